"""The worker's batch step: repeats of known problems join their cases a batch at a time, new problems still make
exactly one case each (also when a problem's first sighting and its repeats share a batch), two runs at once take
different rows, and the timeline's quiet rule holds within a batch."""

import threading

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cases.models import Case, CaseEvent, SensingEvent, Source
from cases.services.sensing import sensing_caches_clear
from cases.services.sensing_batch import sensing_batch_merge
from cases.services.sensing_queue import sensing_process
from tests.factories.sensing import detection, sensing_get, sensing_post, sensing_source

STEP_30_M = 0.0003
FAR = 10 * STEP_30_M  # about 300 m: another problem


@pytest.fixture
def source(cases, personas):
    cache.clear()
    return sensing_source(owner=personas["handler_department"], classes=(("E0102", "0.8"), ("E0103", "0.5")))


def _post(key, event_id, lon, lat, **extra):
    response = sensing_post(key, detection(event_id=event_id, lon=lon, lat=lat, **extra))
    assert response.status_code == 202, response.content


def _case_of(key, event_id):
    return sensing_get(key, event_id).json()["case"]


def test_repeats_of_two_problems_in_one_batch_join_their_own_cases(cases, source):
    _source, key = source
    _post(key, "a0", cases.lon, cases.lat)
    _post(key, "b0", cases.lon + FAR, cases.lat)
    assert sensing_process() == {"created": 2}
    for n in range(1, 4):
        _post(key, f"a{n}", cases.lon + STEP_30_M / n, cases.lat)
        _post(key, f"b{n}", cases.lon + FAR, cases.lat + STEP_30_M / n)
    merged, left = sensing_batch_merge(limit=200)
    assert merged == {"merged": 6} and left == []
    a, b = _case_of(key, "a0"), _case_of(key, "b0")
    assert a != b
    assert {_case_of(key, f"a{n}") for n in range(1, 4)} == {a}
    assert {_case_of(key, f"b{n}") for n in range(1, 4)} == {b}


def test_the_batch_takes_the_same_queries_for_three_repeats_as_for_thirty(cases, source):
    _source, key = source
    _post(key, "first", cases.lon, cases.lat)
    sensing_process()
    counts = []
    for size in (3, 30):
        for n in range(size):
            _post(key, f"r{size}-{n}", cases.lon + STEP_30_M * (n % 3) / 3, cases.lat)
        cache.clear()  # each batch writes its one timeline entry of repeats, and reads the class's rule
        sensing_caches_clear()
        with CaptureQueriesContext(connection) as queries:
            merged, left = sensing_batch_merge(limit=200)
        assert merged == {"merged": size} and left == []
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_a_first_sighting_and_its_repeats_in_one_batch_make_one_case(cases, source):
    _source, key = source
    _post(key, "new-0", cases.lon, cases.lat)
    _post(key, "other-0", cases.lon + FAR, cases.lat)
    _post(key, "new-1", cases.lon + STEP_30_M, cases.lat)
    _post(key, "other-1", cases.lon + FAR, cases.lat + STEP_30_M)
    _post(key, "new-2", cases.lon, cases.lat + STEP_30_M)
    assert sensing_process() == {"created": 2, "merged": 3}
    new, other = _case_of(key, "new-0"), _case_of(key, "other-0")
    assert new != other and None not in (new, other)
    assert {_case_of(key, "new-1"), _case_of(key, "new-2")} == {new}
    assert _case_of(key, "other-1") == other
    assert Case.objects.filter(source=Source.SENSOR).count() == 2


def test_another_class_at_the_same_place_is_another_problem_in_the_batch(cases, source):
    _source, key = source
    _post(key, "rubbish", cases.lon, cases.lat)
    _post(key, "litter", cases.lon, cases.lat, class_code="E0103")
    _post(key, "rubbish-again", cases.lon, cases.lat)
    assert sensing_process() == {"created": 2, "merged": 1}
    assert _case_of(key, "rubbish-again") == _case_of(key, "rubbish") != _case_of(key, "litter")


def test_repeats_without_snapshot_in_one_batch_write_one_timeline_entry(cases, source):
    _source, key = source
    _post(key, "seen", cases.lon, cases.lat)
    sensing_process()
    for n in range(5):
        _post(key, f"seen-{n}", cases.lon, cases.lat)
    assert sensing_process() == {"merged": 5}
    case = Case.objects.get(number=_case_of(key, "seen"))
    assert CaseEvent.objects.filter(case=case, action="sensing_evidence").count() == 1


def test_a_batch_leaves_below_threshold_and_new_problems_to_the_one_at_a_time_step(cases, source):
    _source, key = source
    _post(key, "weak", cases.lon, cases.lat, confidence=0.3)
    merged, left = sensing_batch_merge(limit=200)
    assert merged == {} and [one.id for one in left] == list(SensingEvent.objects.values_list("id", flat=True))
    assert SensingEvent.objects.get(external_id="weak").outcome == "received"
    assert sensing_process() == {"pending": 1}


@pytest.mark.django_db(transaction=True)
def test_two_runs_of_the_batch_at_once_take_different_detections(cases, personas):
    cache.clear()
    _source, key = sensing_source(owner=personas["handler_department"])
    _post(key, "known", cases.lon, cases.lat)
    sensing_process()
    for n in range(40):
        _post(key, f"rep-{n}", cases.lon + STEP_30_M * (n % 4) / 4, cases.lat)
    barrier = threading.Barrier(2)
    results = []

    def run():
        try:
            barrier.wait()
            results.append(sensing_batch_merge(limit=25))
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # Every repeat claimed by exactly one of the two (SKIP LOCKED, then `received` no more): 25 and 15.
    assert sorted(merged["merged"] for merged, _left in results) == [15, 25]
    assert all(left == [] for _merged, left in results)
    assert sensing_process() == {}
    case = Case.objects.get(number=_case_of(key, "known"))
    assert SensingEvent.objects.filter(outcome="merged", case=case).count() == 40
    assert not SensingEvent.objects.filter(outcome="received").exists()
    assert Case.objects.filter(source=Source.SENSOR).count() == 1


def test_the_new_problems_of_one_batch_read_the_urgency_policy_and_step_limits_once(cases, source):
    _source, key = source
    for n in range(3):
        _post(key, f"p{n}", cases.lon + n * FAR, cases.lat)
    with CaptureQueriesContext(connection) as queries:
        assert sensing_process() == {"created": 3}
    reads = [q["sql"] for q in queries.captured_queries if 'FROM "cases_urgencypolicy"' in q["sql"]]
    assert len(reads) == 1
    steps = [q["sql"] for q in queries.captured_queries if 'FROM "cases_steplimit"' in q["sql"]]
    assert len(steps) == len(set(steps))  # each step's limit once
