"""Who is on duty where: the duty page (roster now / next with phones as the viewer may see them), the command
map's layer of grid workers on patrol (only those of the viewer's grids) and the nearest one proposed on site."""

import uuid
from datetime import timedelta

import pytest
from django.contrib.gis.geos import Point
from django.test import Client
from django.utils import timezone

from accounts.models import Role
from grids.models import Department, DutyKind, DutyShift, PatrolSession, Region
from grids.services.patrols import patrol_start, patrol_track_add
from tests.factories.accounts import UserFactory, user_posted
from tests.fixtures.grid import HUIYANG, QIAODONG, QIAODONG_COMMUNITY

pytestmark = pytest.mark.django_db
PHONE = "13912345678"


def client_for(user):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def on_patrol(user, point, minutes_ago=3):
    now = timezone.now()
    session, _ = patrol_start(user=user, client_id=uuid.uuid4(), started_at=now - timedelta(hours=1))
    patrol_track_add(
        user=user,
        client_id=session.client_id,
        points=[{"recorded_at": now - timedelta(minutes=minutes_ago), "point": point}],
    )
    return session


@pytest.fixture
def huiyang_worker(huizhou_grid):
    community = Region.objects.filter(path__startswith=f"/4413/{HUIYANG}/", level="community").order_by("code")[0]
    return user_posted(username="p-huiyang-grid", role=Role.GRID_WORKER, region=community), community


def test_the_patrol_layer_shows_only_the_workers_of_the_viewers_grids(personas, huiyang_worker, huizhou_grid):
    worker, community = huiyang_worker
    on_patrol(personas["grid_worker"], huizhou_grid.point_in(QIAODONG_COMMUNITY))
    on_patrol(worker, community.geom.point_on_surface, minutes_ago=30)
    seen = {}
    for role in ("dispatcher", "district_dispatcher", "outsider"):
        data = client_for(personas[role]).get("/command/map/patrols/").json()
        seen[role] = sorted(w["username"] for w in data["workers"])
    assert seen == {
        "dispatcher": ["p-gridworker", "p-huiyang-grid"],
        "district_dispatcher": ["p-gridworker"],
        "outsider": ["p-huiyang-grid"],
    }
    data = client_for(personas["outsider"]).get("/command/map/patrols/").json()["workers"][0]
    assert data["age_minutes"] == 30 and data["stale"] is True
    assert client_for(personas["grid_worker"]).get("/command/map/patrols/").status_code == 403


def test_an_ended_patrol_leaves_the_layer(personas, huizhou_grid):
    from grids.services.patrols import patrol_end

    session = on_patrol(personas["grid_worker"], huizhou_grid.point_in(QIAODONG_COMMUNITY))
    patrol_end(user=personas["grid_worker"], client_id=session.client_id)
    assert client_for(personas["dispatcher"]).get("/command/map/patrols/").json()["workers"] == []


def test_the_duty_page_shows_who_is_on_duty_now_and_next_with_phones_masked_for_the_leader(personas, huizhou_grid):
    office = Department.objects.get(code=f"street-{QIAODONG}")
    now = timezone.now()
    DutyShift.objects.create(
        user=personas["street_handler"], department=office, kind=DutyKind.OFFICER, phone=PHONE,
        starts_at=now - timedelta(hours=2), ends_at=now + timedelta(hours=2),
    )  # fmt: skip
    DutyShift.objects.create(
        user=personas["handler"], department=office, kind=DutyKind.LEADER,
        starts_at=now + timedelta(hours=2), ends_at=now + timedelta(hours=6),
    )  # fmt: skip
    on_patrol(personas["grid_worker"], huizhou_grid.point_in(QIAODONG_COMMUNITY))
    page = client_for(personas["district_dispatcher"]).get("/command/duty/").content.decode()
    assert f'data-on-duty="{personas["street_handler"].username}"' in page and PHONE in page
    assert "Next" in page and str(personas["handler"]) in page
    assert 'data-worker="p-gridworker"' in page
    leader = client_for(personas["leader"]).get("/command/duty/").content.decode()
    assert PHONE not in leader and "139****5678" in leader
    # Outside 惠城区 the street office's roster is not shown.
    assert PHONE not in client_for(personas["outsider"]).get("/command/duty/").content.decode()


def test_late_in_the_evening_the_next_shift_is_the_one_after_midnight(personas, huizhou_grid, monkeypatch):
    """At 22:30 the roster for today names the night shift starting at 00:00 as next; tomorrow's other shifts, and
    departments rostered only from tomorrow, are not part of today's roster."""
    import dispatch.pages.duty as duty_page
    from grids.duty_selectors import day_bounds

    start, midnight = day_bounds(timezone.localdate())
    evening = midnight - timedelta(minutes=90)
    monkeypatch.setattr(duty_page.timezone, "now", lambda: evening)
    office = Department.objects.get(code=f"street-{QIAODONG}")
    night = UserFactory(username="p-night", full_name="夜班值守员")
    day_after = UserFactory(username="p-dayshift", full_name="白班值守员")
    for user, starts, ends in [
        (personas["street_handler"], midnight - timedelta(hours=4), midnight),
        (night, midnight, midnight + timedelta(hours=8)),
        (day_after, midnight + timedelta(hours=8), midnight + timedelta(hours=16)),
    ]:
        DutyShift.objects.create(user=user, department=office, kind=DutyKind.OFFICER, starts_at=starts, ends_at=ends)
    # A department rostered only from tomorrow is on tomorrow's roster, not on today's.
    only_tomorrow = UserFactory(username="p-tomorrow", full_name="明日值守员")
    DutyShift.objects.create(
        user=only_tomorrow, department=Department.objects.get(code="huicheng-urban-management"),
        kind=DutyKind.OFFICER, starts_at=midnight + timedelta(hours=1), ends_at=midnight + timedelta(hours=9),
    )  # fmt: skip
    page = client_for(personas["district_dispatcher"]).get("/command/duty/").content.decode()
    assert f'data-on-duty="{personas["street_handler"].username}"' in page
    assert str(only_tomorrow) not in page
    tomorrow = client_for(personas["district_dispatcher"]).get(f"/command/duty/?day={midnight.date().isoformat()}")
    assert str(only_tomorrow) in tomorrow.content.decode()
    next_rows = [row for row in page.split("<tr") if 'class="next"' in row]
    assert len(next_rows) == 1 and str(night) in next_rows[0]
    assert str(day_after) not in page
    # Another day's roster is that day's only.
    yesterday = (start - timedelta(days=1)).date().isoformat()
    other_day = client_for(personas["district_dispatcher"]).get(f"/command/duty/?day={yesterday}")
    assert str(night) not in other_day.content.decode()


def test_a_bad_day_is_a_message_on_the_page(personas):
    response = client_for(personas["dispatcher"]).get("/command/duty/?day=2026-13-45")
    assert response.status_code == 200 and "YYYY-MM-DD" in response.content.decode()


def test_the_nearest_grid_worker_on_patrol_is_proposed_first_for_the_on_site_check(cases, personas):
    case = cases.to("to_check")
    near = user_posted(username="p-near", role=Role.GRID_WORKER, region=Region.objects.get(code=QIAODONG_COMMUNITY))
    far = user_posted(username="p-far", role=Role.GRID_WORKER, region=Region.objects.get(code=QIAODONG))
    on_patrol(far, Point(case.point.x + 0.01, case.point.y, srid=4326))  # about 1 km east
    on_patrol(near, Point(case.point.x, case.point.y + 0.002, srid=4326))  # about 220 m north
    body = client_for(personas["operator"]).get(f"/command/cases/{case.pk}/", HTTP_HX_REQUEST="true").content.decode()
    select = body[body.index('name="assignee"') : body.index("</select>", body.index('name="assignee"'))]
    options = [chunk.split('"')[0] for chunk in select.split('<option value="')[2:]]
    assert options[:2] == ["p-near", "p-far"] and "p-gridworker" in options[2:]
    assert '<option value="p-near" selected data-on-duty-m="22' in select
    assert "on patrol, 1" in select  # the far one's distance, about a kilometre


def test_without_anyone_on_patrol_nobody_is_preselected(cases, personas):
    case = cases.to("to_check")
    assert not PatrolSession.objects.exists()
    body = client_for(personas["operator"]).get(f"/command/cases/{case.pk}/", HTTP_HX_REQUEST="true").content.decode()
    select = body[body.index('name="assignee"') : body.index("</select>", body.index('name="assignee"'))]
    assert " selected" not in select


def _count_queries(client, url):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_the_layer_and_the_duty_page_read_in_the_same_number_of_queries_for_3_and_30_rows(personas, huizhou_grid):
    community = Region.objects.get(code=QIAODONG_COMMUNITY)
    office = Department.objects.get(code=f"street-{QIAODONG}")
    point = huizhou_grid.point_in(QIAODONG_COMMUNITY)
    client = client_for(personas["district_dispatcher"])
    counts = []
    for total in (3, 30):
        done = PatrolSession.objects.count()
        for i in range(done, total):
            worker = user_posted(username=f"p-walker-{i}", role=Role.GRID_WORKER, region=community, phone="13900001111")
            on_patrol(worker, point)
            DutyShift.objects.create(
                user=worker, department=office, starts_at=timezone.now() - timedelta(hours=1),
                ends_at=timezone.now() + timedelta(hours=1),
            )  # fmt: skip
        counts.append((_count_queries(client, "/command/map/patrols/"), _count_queries(client, "/command/duty/")))
    assert counts[0] == counts[1]
