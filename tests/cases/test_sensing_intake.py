"""Sensing intake on the real stack: key authentication, idempotency (also under concurrency), the POST storing a
detection (202, pending) and the worker's step deciding later, merging into an open case, the 待核实 queue below
threshold, throttling with the administrators told once, bad input stored nowhere."""

import threading
from types import SimpleNamespace

import pytest
from django.core.cache import cache
from django.db import connection

from accounts.models import Role
from cases.models import Case, CaseEvent, CasePhoto, SensingEvent, SensingMergeRule, Source, Status
from cases.services.sensing import sensing_caches_clear, sensing_source_revoke
from cases.services.sensing_queue import sensing_process
from dispatch.models import OutboxMessage
from tests.factories.accounts import UserFactory
from tests.factories.sensing import detection, sensing_get, sensing_post, sensing_posted, sensing_source
from tests.fixtures.cases import jpeg_upload

# About 30 m east of the first point at Huizhou's latitude (0.0003° of longitude × 102 km).
STEP_30_M = 0.0003


@pytest.fixture
def source(cases, personas):
    cache.clear()
    return sensing_source(owner=personas["handler_department"], classes=(("E0102", "0.8"), ("E0103", "0.5")))


def test_a_detection_is_stored_pending_and_the_worker_makes_it_an_accepted_sensor_case(cases, source):
    _source, key = source
    response = sensing_post(key, detection(event_id="cam-1", lon=cases.lon, lat=cases.lat, confidence=0.93))
    assert response.status_code == 202, response.content
    assert response.json()["state"] == "pending" and response.json()["outcome"] is None
    assert response.json()["case"] is None and response.json()["duplicate"] is False
    assert not Case.objects.filter(source=Source.SENSOR).exists()
    assert sensing_get(key, "cam-1").json()["state"] == "pending"
    assert sensing_process() == {"created": 1}
    answer = sensing_get(key, "cam-1")
    assert answer.status_code == 200
    body = answer.json()
    assert body["state"] == "processed" and body["outcome"] == "created" and body["duplicate"] is False
    case = Case.objects.get(number=body["case"])
    assert case.source == Source.SENSOR
    assert case.status == Status.TO_REGISTER
    assert list(case.events.values_list("action", flat=True).order_by("id")) == ["report", "accept"]
    assert SensingEvent.objects.get(pk=body["id"]).case == case


def test_the_same_event_id_twice_creates_nothing_new_and_answers_the_same(cases, source):
    _source, key = source
    body = detection(event_id="cam-2", lon=cases.lon, lat=cases.lat)
    first = sensing_post(key, body)
    second = sensing_post(key, body, header="authorization")
    assert first.status_code == 202 and second.status_code == 200
    assert {**first.json(), "duplicate": True} == second.json()
    sensing_process()
    third = sensing_post(key, body)
    assert third.status_code == 200
    assert third.json()["duplicate"] is True and third.json()["outcome"] == "created"
    assert third.json()["case"] is not None
    assert SensingEvent.objects.count() == 1
    assert Case.objects.filter(source=Source.SENSOR).count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_posts_of_one_id_store_one_event_and_one_case(cases, source):
    _source, key = source
    body = detection(event_id="cam-race", lon=cases.lon, lat=cases.lat)
    barrier = threading.Barrier(2)
    answers = []

    def post():
        try:
            barrier.wait()
            answers.append(sensing_post(key, body))
        finally:
            connection.close()

    threads = [threading.Thread(target=post) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(a.status_code for a in answers) == [200, 202]
    assert len({a.json()["id"] for a in answers}) == 1
    sensing_process()
    assert SensingEvent.objects.filter(external_id="cam-race").count() == 1
    assert Case.objects.filter(source=Source.SENSOR).count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_sources_seeing_one_problem_at_the_same_instant_make_one_case(cases, personas):
    cache.clear()
    keys = [sensing_source(owner=personas["handler_department"])[1] for _ in range(2)]
    barrier = threading.Barrier(2)
    answers = []

    def post(key, n):
        try:
            barrier.wait()
            answers.append(sensing_post(key, detection(event_id=f"e{n}", lon=cases.lon + n * STEP_30_M, lat=cases.lat)))
        finally:
            connection.close()

    threads = [threading.Thread(target=post, args=(key, n)) for n, key in enumerate(keys)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [a.status_code for a in answers] == [202, 202]
    assert sensing_process() == {"created": 1, "merged": 1}
    outcomes = SensingEvent.objects.values_list("outcome", flat=True)
    assert sorted(outcomes) == ["created", "merged"]
    assert len({e.case_id for e in SensingEvent.objects.all()}) == 1
    assert Case.objects.filter(source=Source.SENSOR).count() == 1


def test_a_repeat_nearby_joins_the_open_case_with_its_snapshot_as_evidence(cases, source):
    _source, key = source
    first = sensing_posted(key, detection(event_id="a", lon=cases.lon, lat=cases.lat))
    body = detection(event_id="b", lon=cases.lon + STEP_30_M, lat=cases.lat, confidence=0.4)
    body["snapshot"] = jpeg_upload("snap.jpg")
    body["attributes"] = '{"track": 7}'
    assert sensing_post(key, body, multipart=True).status_code == 202
    sensing_process()
    second = sensing_get(key, "b").json()
    assert second["outcome"] == "merged"
    assert second["case"] == first["case"]
    case = Case.objects.get(number=first["case"])
    evidence = CaseEvent.objects.get(case=case, action="sensing_evidence")
    assert CasePhoto.objects.get(case=case).event == evidence
    assert SensingEvent.objects.get(external_id="b").attributes == {"track": 7}


def test_a_repeat_beyond_the_classes_distance_is_a_new_problem(cases, source):
    _source, key = source
    SensingMergeRule.objects.create(category=cases.category, distance_m=20, window_hours=1)
    sensing_caches_clear()
    sensing_posted(key, detection(event_id="a", lon=cases.lon, lat=cases.lat))
    far = sensing_posted(key, detection(event_id="b", lon=cases.lon + STEP_30_M, lat=cases.lat))
    assert far["outcome"] == "created"
    assert Case.objects.filter(source=Source.SENSOR).count() == 2


def test_a_closed_case_takes_no_more_detections(cases, source):
    _source, key = source
    first = sensing_posted(key, detection(event_id="a", lon=cases.lon, lat=cases.lat))
    case = Case.objects.get(number=first["case"])
    cases.act(case, "operator", "request_void", note="误报")
    cases.act(case, "shift_lead", "approve_void")
    again = sensing_posted(key, detection(event_id="b", lon=cases.lon, lat=cases.lat))
    assert again["outcome"] == "created" and again["case"] != first["case"]


def test_below_threshold_waits_and_its_repeats_wait_beside_it(cases, source):
    _source, key = source
    low = sensing_posted(key, detection(event_id="low-1", lon=cases.lon, lat=cases.lat, confidence=0.5))
    repeat = sensing_posted(key, detection(event_id="low-2", lon=cases.lon, lat=cases.lat, confidence=0.6))
    assert (low["outcome"], low["case"]) == ("pending", None)
    assert repeat["outcome"] == "grouped"
    assert SensingEvent.objects.get(pk=repeat["id"]).lead_id == low["id"]
    assert not Case.objects.filter(source=Source.SENSOR).exists()
    # A confident detection of the same problem makes the case, and the waiting ones join it.
    high = sensing_posted(key, detection(event_id="high", lon=cases.lon, lat=cases.lat, confidence=0.95))
    assert high["outcome"] == "created"
    joined = SensingEvent.objects.filter(external_id__in=["low-1", "low-2"])
    assert {(e.outcome, e.case.number) for e in joined} == {("merged", high["case"])}


def test_a_revoked_key_is_refused_with_401(cases, source):
    sensing, key = source
    assert sensing_post(key, detection(event_id="a", lon=cases.lon, lat=cases.lat)).status_code == 202
    sensing_source_revoke(source=sensing)
    refused = sensing_post(key, detection(event_id="b", lon=cases.lon, lat=cases.lat))
    assert refused.status_code == 401
    assert refused.headers["WWW-Authenticate"].startswith("Key")
    assert sensing_post("not-a-key", detection(event_id="c", lon=cases.lon, lat=cases.lat)).status_code == 401
    assert SensingEvent.objects.count() == 1


def test_a_post_without_a_key_or_with_a_users_session_is_401(cases, source, api_client_for, personas):
    body = detection(event_id="a", lon=cases.lon, lat=cases.lat)
    assert api_client_for(personas["operator"]).post("/api/v1/sensing/events/", body, format="json").status_code == 401
    assert SensingEvent.objects.count() == 0


@pytest.mark.usefixtures("steady_rate_windows")
def test_a_flooding_source_gets_429_and_the_administrators_are_told_once(cases, personas):
    cache.clear()
    admin = UserFactory(username="p-admin", is_superuser=True, is_staff=True)
    UserFactory(username="p-admin-noemail", is_superuser=True, email="")
    _source, key = sensing_source(owner=personas["handler_department"], rate_limit=3)
    answers = [
        sensing_post(key, detection(event_id=f"f{n}", lon=cases.lon, lat=cases.lat)).status_code for n in range(6)
    ]
    assert answers == [202, 202, 202, 429, 429, 429]
    told = OutboxMessage.objects.filter(key__startswith="sensing-flood:")
    assert list(told.values_list("recipient", flat=True)) == [admin.email]
    assert SensingEvent.objects.count() == 3


BAD = [
    ({"confidence": 1.5}, "confidence"),
    ({"confidence": "NaN"}, "confidence"),
    ({"lon": "east"}, "lon"),
    ({"time": "yesterday"}, "time"),
    ({"class_code": "X99"}, "class_code"),
    ({"class_code": "E0401"}, "class_code"),  # a class this source may not report
    ({"attributes": [1, 2]}, "attributes"),
    ({"attributes": {"a": "\u0000"}}, "attributes"),
    ({"event_id": ""}, "event_id"),
    ({"lon": 100.0, "lat": 10.0}, "location"),  # outside every grid of the city
]


@pytest.mark.parametrize(("change", "field"), BAD)
def test_bad_input_is_400_naming_the_field_and_nothing_is_stored(cases, source, change, field):
    _source, key = source
    before = (Case.objects.count(), CaseEvent.objects.count())
    response = sensing_post(key, {**detection(event_id="bad", lon=cases.lon, lat=cases.lat), **change})
    assert response.status_code == 400, response.content
    assert field in response.json()
    assert SensingEvent.objects.count() == 0
    assert (Case.objects.count(), CaseEvent.objects.count()) == before


def test_a_snapshot_that_is_not_an_image_is_400_and_nothing_is_stored(cases, source):
    from django.core.files.uploadedfile import SimpleUploadedFile

    _source, key = source
    body = {**detection(event_id="bad-snap", lon=cases.lon, lat=cases.lat), "attributes": "{}"}
    body["snapshot"] = SimpleUploadedFile("x.jpg", b"not an image", content_type="image/jpeg")
    response = sensing_post(key, body, multipart=True)
    assert response.status_code == 400
    assert "snapshot" in response.json()
    assert SensingEvent.objects.count() == 0


def test_a_snapshot_over_the_pixel_limit_is_400(cases, source, settings):
    settings.PHOTO_MAX_PIXELS = 1000
    _source, key = source
    body = {**detection(event_id="big", lon=cases.lon, lat=cases.lat), "attributes": "{}"}
    body["snapshot"] = jpeg_upload("big.jpg", size=(200, 200))
    response = sensing_post(key, body, multipart=True)
    assert response.status_code == 400
    assert "snapshot" in response.json()
    assert SensingEvent.objects.count() == 0


def test_the_sensing_account_cannot_sign_in(cases, source):
    _source, key = source
    sensing_posted(key, detection(event_id="a", lon=cases.lon, lat=cases.lat))
    case = Case.objects.get(source=Source.SENSOR)
    assert case.created_by.is_active is False
    assert not case.created_by.has_usable_password()
    assert Role.OPERATOR not in {p.role for p in case.created_by.postings.all()}


@pytest.mark.django_db(transaction=True)
def test_on_the_servers_database_threads_ingestion_keeps_its_connections(cases, personas, settings):
    from cases.api import sensing as api

    settings.SENSING_DB_THREADS = 2
    cache.clear()
    _source, key = sensing_source(owner=personas["handler_department"])
    try:
        answers = [sensing_post(key, detection(event_id=f"t{n}", lon=cases.lon, lat=cases.lat)) for n in range(4)]
        assert [a.status_code for a in answers] == [202] * 4
        sensing_process()
        answers = [sensing_get(key, f"t{n}") for n in range(4)]
        assert [a.json()["outcome"] for a in answers] == ["created", "merged", "merged", "merged"]
        assert api._threads.started and api._threads.pool._max_workers == 2
    finally:
        api.db_threads_close()
    assert Case.objects.filter(source=Source.SENSOR).count() == 1


def test_a_run_killed_midway_leaves_the_rest_received_and_the_next_run_does_nothing_twice(cases, source, monkeypatch):
    from cases.services import sensing as service

    _source, key = source
    far = 10 * STEP_30_M  # about 300 m apart: three real problems
    for n in range(3):
        body = detection(event_id=f"k{n}", lon=cases.lon + n * far, lat=cases.lat)
        assert sensing_post(key, body).status_code == 202
        assert sensing_post(key, {**body, "event_id": f"k{n}-again"}).status_code == 202
    real_create = service.sensing_case_create
    made = []

    def dies_at_the_second_case(**kwargs):
        if len(made) == 1:
            # The process dies while the second problem's case is being written: its transaction never commits.
            raise SystemExit("killed")
        made.append(real_create(**kwargs))
        return made[-1]

    monkeypatch.setattr(service, "sensing_case_create", dies_at_the_second_case)
    with pytest.raises(SystemExit):
        sensing_process()
    assert list(SensingEvent.objects.exclude(outcome="received").values_list("external_id", "outcome")) == [
        ("k0-again", "merged"),
        ("k0", "created"),
    ]
    assert Case.objects.filter(source=Source.SENSOR).count() == 1
    monkeypatch.setattr(service, "sensing_case_create", real_create)
    assert sensing_process() == {"created": 2, "merged": 2}
    assert sensing_process() == {}
    assert Case.objects.filter(source=Source.SENSOR).count() == 3
    for n in range(3):
        pair = SensingEvent.objects.filter(external_id__in=[f"k{n}", f"k{n}-again"])
        assert len({e.case_id for e in pair}) == 1 and pair[0].case_id is not None
    assert not SensingEvent.objects.filter(outcome="received").exists()


def test_another_run_holding_the_lock_makes_this_one_step_aside(cases, source):
    from cases.services.sensing_queue import PROCESS_LOCK

    _source, key = source
    sensing_post(key, detection(event_id="held", lon=cases.lon, lat=cases.lat))
    from django.db import connections

    other = connections.create_connection("default")
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s)", [PROCESS_LOCK])
        assert sensing_process() == {}
        assert SensingEvent.objects.get(external_id="held").outcome == "received"
        with other.cursor() as cursor:
            # Released here, not by closing: a closed session's backend lets go of its locks only once it has exited.
            cursor.execute("SELECT pg_advisory_unlock(%s)", [PROCESS_LOCK])
    finally:
        other.close()
    assert sensing_process() == {"created": 1}


def test_a_source_reads_only_its_own_events(cases, source, personas):
    _source, key = source
    _other, other_key = sensing_source(owner=personas["handler_department"])
    sensing_post(key, detection(event_id="mine", lon=cases.lon, lat=cases.lat))
    assert sensing_get(other_key, "mine").status_code == 404
    assert sensing_get("not-a-key", "mine").status_code == 401
    assert sensing_get(key, "unknown").status_code == 404


def test_a_new_problem_just_outside_the_city_is_kept_as_outside_without_a_case(cases, source):
    from cases.services.sensing_sources import sensing_city_box

    _source, key = source
    _xmin, _ymin, xmax, ymax = sensing_city_box()
    # Inside the box's margin (so the POST stores it) but beyond the city's corner: no grid covers it.
    body = detection(event_id="edge", lon=xmax - 0.02, lat=ymax - 0.02)
    assert sensing_post(key, body).status_code == 202
    assert sensing_process() == {"outside": 1}
    assert sensing_get(key, "edge").json()["outcome"] == "outside"
    assert not Case.objects.filter(source=Source.SENSOR).exists()


def test_posts_ask_for_one_run_until_it_starts(cases, source, settings, monkeypatch):
    from cases.services import sensing_queue

    settings.SENSING_KICK = True
    # A run asked for by an earlier test of this process (the ask is remembered in the cache for a sweep's period).
    cache.delete(sensing_queue.KICK_KEY)
    sent = []
    # The module's own name for the Celery app: a stand-in seen from every thread the post may run on.
    monkeypatch.setattr(
        sensing_queue, "current_app", SimpleNamespace(send_task=lambda name, **options: sent.append(name))
    )
    _source, key = source
    for n in range(3):
        assert sensing_post(key, detection(event_id=f"q{n}", lon=cases.lon, lat=cases.lat)).status_code == 202
    assert sent == ["followup.sensing_process"]  # one run asked for while none has started
    assert sensing_process() == {"created": 1, "merged": 2}
    sensing_post(key, detection(event_id="q3", lon=cases.lon, lat=cases.lat))
    assert sent == ["followup.sensing_process"] * 2  # the run started: the next post asks again


def test_a_repeat_just_over_the_boundary_processed_first_joins_the_case_made_after_it(cases, source):
    _source, key = source
    assert sensing_post(key, detection(event_id="over", lon=cases.lon + STEP_30_M, lat=cases.lat)).status_code == 202
    # As the worker leaves a detection no grid covers (the grid's edge passing between the two points).
    SensingEvent.objects.filter(external_id="over").update(outcome="outside")
    assert sensing_post(key, detection(event_id="first", lon=cases.lon, lat=cases.lat)).status_code == 202
    assert sensing_process() == {"created": 1}
    first, over = sensing_get(key, "first").json(), sensing_get(key, "over").json()
    assert (over["outcome"], over["case"]) == ("merged", first["case"])
