"""The patrol API as the phone uses it: 上岗 with its own id, batches of track points (late, repeated), 下岗."""

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from grids.models import PatrolSession, TrackPoint

pytestmark = pytest.mark.django_db

START, TRACK, END = "/api/v1/patrols/", "/api/v1/patrols/{}/track/", "/api/v1/patrols/{}/end/"


def _points(origin, start, n, step_s=30, step_deg=0.0003):
    return [
        {
            "recorded_at": (start + timedelta(seconds=step_s * i)).isoformat(),
            "lon": origin.x + step_deg * i,
            "lat": origin.y,
            "accuracy": 8,
            "battery": 0.8,
        }
        for i in range(n)
    ]


@pytest.fixture
def phone(api_client_for, grid_worker):
    client = api_client_for(grid_worker)
    client.credentials(HTTP_ACCEPT_LANGUAGE="en")
    return client


@pytest.fixture
def origin(huizhou_grid):
    return huizhou_grid.point_in("441302001001")


def test_a_start_sent_twice_makes_one_patrol(phone, grid_worker, origin):
    client_id = str(uuid.uuid4())
    body = {"client_id": client_id, "lon": origin.x, "lat": origin.y}
    first = phone.post(START, body, format="json")
    again = phone.post(START, body, format="json")
    assert (first.status_code, again.status_code) == (201, 200)
    assert PatrolSession.objects.filter(user=grid_worker).count() == 1
    assert first.json()["last_position"]["lon"] == pytest.approx(origin.x)


def test_a_batch_sent_again_stores_nothing_and_an_offline_batch_arriving_late_is_put_in_order(phone, origin):
    client_id = str(uuid.uuid4())
    now = timezone.now()
    start = now - timedelta(minutes=30)
    phone.post(START, {"client_id": client_id, "started_at": start.isoformat()}, format="json")
    early = _points(origin, start + timedelta(minutes=1), 5)  # recorded offline, sent last
    late = _points(origin, start + timedelta(minutes=10), 5)
    late = [{**p, "lon": p["lon"] + 0.0015} for p in late]  # continues east from where the early ones ended
    answer = phone.post(TRACK.format(client_id), {"points": late}, format="json")
    assert answer.status_code == 200 and answer.json()["stored"] == 5
    assert phone.post(TRACK.format(client_id), {"points": late}, format="json").json()["stored"] == 0
    answer = phone.post(TRACK.format(client_id), {"points": early}, format="json").json()
    assert answer["points"] == 10 and answer["stored"] == 5
    # Ten fixes 0.0003° apart along a parallel at 23°N: nine steps of about 30.7 m, counted in time order.
    assert answer["distance_m"] == pytest.approx(9 * 30.7, rel=0.02)
    # The latest fix stays the latest, although the older batch arrived after it.
    assert answer["last_position"]["lon"] == pytest.approx(late[-1]["lon"])
    session = PatrolSession.objects.get(client_id=client_id)
    assert session.last_seen_at.isoformat() == timezone.datetime.fromisoformat(late[-1]["recorded_at"]).isoformat()


def test_ending_twice_keeps_the_first_end_and_late_points_of_the_patrol_still_arrive(phone, origin):
    client_id = str(uuid.uuid4())
    start = timezone.now() - timedelta(minutes=20)
    phone.post(START, {"client_id": client_id, "started_at": start.isoformat()}, format="json")
    ended = (timezone.now() - timedelta(minutes=10)).isoformat()
    first = phone.post(END.format(client_id), {"ended_at": ended}, format="json").json()
    again = phone.post(END.format(client_id), {}, format="json").json()
    assert first["ended_at"] == again["ended_at"]
    answer = phone.post(TRACK.format(client_id), {"points": _points(origin, start, 3)}, format="json")
    assert answer.status_code == 200 and answer.json()["points"] == 3
    after_end = _points(origin, timezone.now() - timedelta(minutes=5), 1)
    assert phone.post(TRACK.format(client_id), {"points": after_end}, format="json").status_code == 400


def test_a_new_start_ends_a_patrol_left_open(phone, grid_worker):
    old, new = str(uuid.uuid4()), str(uuid.uuid4())
    phone.post(START, {"client_id": old, "started_at": (timezone.now() - timedelta(hours=3)).isoformat()}, "json")
    phone.post(START, {"client_id": new}, format="json")
    open_ = PatrolSession.objects.filter(user=grid_worker, ended_at__isnull=True).values_list("client_id", flat=True)
    assert [str(c) for c in open_] == [new]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"lon": 181}, "points"),
        ({"lat": "north"}, "points"),
        ({"lat": None}, "points"),
        ({"recorded_at": "yesterday"}, "points"),
        ({"battery": 3}, "points"),
    ],
)
def test_bad_points_are_refused_with_field_errors_and_nothing_is_stored(phone, origin, change, field):
    client_id = str(uuid.uuid4())
    phone.post(START, {"client_id": client_id}, format="json")
    points = _points(origin, timezone.now() - timedelta(seconds=5), 1)
    points.append({**points[0], **change})
    answer = phone.post(TRACK.format(client_id), {"points": points}, format="json")
    assert answer.status_code == 400 and field in answer.json()
    assert TrackPoint.objects.count() == 0


def test_points_from_the_future_too_many_points_and_bad_starts_are_refused(phone, origin, settings):
    client_id = str(uuid.uuid4())
    phone.post(START, {"client_id": client_id}, format="json")
    future = _points(origin, timezone.now() + timedelta(minutes=10), 1)
    answer = phone.post(TRACK.format(client_id), {"points": future}, format="json")
    assert answer.status_code == 400 and "future" in answer.json()["points"][0]
    many = _points(origin, timezone.now() - timedelta(hours=1), settings.PATROL_TRACK_BATCH_MAX + 1, step_s=1)
    assert phone.post(TRACK.format(client_id), {"points": many}, format="json").status_code == 400
    assert phone.post(TRACK.format(client_id), {"points": []}, format="json").status_code == 400
    assert phone.post(START, {"client_id": "not-a-uuid"}, format="json").json().keys() == {"client_id"}
    tomorrow = (timezone.now() + timedelta(days=1)).isoformat()
    answer = phone.post(START, {"client_id": str(uuid.uuid4()), "started_at": tomorrow}, format="json")
    assert answer.status_code == 400 and "started_at" in answer.json()
    assert phone.post(START, {"client_id": str(uuid.uuid4()), "lon": 114.4}, format="json").status_code == 400
    assert TrackPoint.objects.count() == 0


def test_only_grid_workers_go_on_patrol_and_a_patrol_is_only_its_workers(api_client_for, phone, dispatcher):
    client_id = str(uuid.uuid4())
    assert api_client_for(dispatcher).post(START, {"client_id": client_id}, format="json").status_code == 403
    phone.post(START, {"client_id": client_id}, format="json")
    other = api_client_for(dispatcher)
    assert other.post(END.format(client_id), {}, format="json").status_code == 404
    assert api_client_for(None).post(END.format(client_id), {}, format="json").status_code == 401
