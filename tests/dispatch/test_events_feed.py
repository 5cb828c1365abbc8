"""The live feed: case events after a cursor, only in the caller's scope, with a long poll that times out."""

import time

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from cases.models import CaseEvent
from dispatch.api import events as feed_module

pytestmark = pytest.mark.django_db


def client_for(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def feed(user, query=""):
    response = client_for(user).get(f"/api/v1/events/{query}")
    assert response.status_code == 200, response.content
    return response.json()


def test_without_a_cursor_the_feed_starts_from_now(cases, personas):
    case = cases.report()
    body = feed(personas["dispatcher"])
    assert body == {"events": [], "cursor": CaseEvent.objects.filter(case=case).latest("id").id}


def test_events_after_the_cursor_come_oldest_first_with_the_next_cursor(cases, personas):
    start = feed(personas["dispatcher"])["cursor"]
    case = cases.to("to_dispatch")
    body = feed(personas["dispatcher"], f"?after={start}")
    assert [e["action"] for e in body["events"]] == ["report", "accept", "register"]
    first = body["events"][0]
    assert first["case"] == {"id": case.pk, "number": case.number, "status": "to_dispatch"}
    assert first["actor"] and first["actor_role"] == "grid_worker" and first["to_status"] == "reported"
    assert body["cursor"] == body["events"][-1]["id"]
    assert feed(personas["dispatcher"], f"?after={body['cursor']}") == {"events": [], "cursor": body["cursor"]}


def test_a_full_page_continues_right_after_its_last_event(cases, personas):
    start = feed(personas["dispatcher"])["cursor"]
    cases.to("to_dispatch")
    page = feed(personas["dispatcher"], f"?after={start}&limit=2")
    assert [e["action"] for e in page["events"]] == ["report", "accept"]
    rest = feed(personas["dispatcher"], f"?after={page['cursor']}&limit=2")
    assert [e["action"] for e in rest["events"]] == ["register"]


def test_an_outsider_sees_nothing_of_huicheng_but_the_cursor_moves_on(cases, personas):
    start = feed(personas["outsider"])["cursor"]
    cases.to("handling")
    body = feed(personas["outsider"], f"?after={start}")
    assert body["events"] == []
    assert body["cursor"] == CaseEvent.objects.latest("id").id  # the next poll does not re-read them


def test_a_handler_sees_its_departments_cases_from_the_dispatch_on(cases, personas):
    start = feed(personas["handler"])["cursor"]
    case = cases.to("handling")
    actions = [e["action"] for e in feed(personas["handler"], f"?after={start}")["events"]]
    # Visibility is the case's, read now: the department sees the whole history of a case it leads.
    assert actions == [e.action for e in CaseEvent.objects.filter(case=case).order_by("id")]
    assert feed(personas["street_handler"], f"?after={start}")["events"] == []


def test_a_poll_costs_the_same_queries_however_many_events_there_are(cases, personas):
    user = personas["dispatcher"]
    client = client_for(user)
    start = feed(user)["cursor"]
    cases.report()

    def count(query):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(f"/api/v1/events/{query}").status_code == 200
        return len(queries)

    count(f"?after={start}")  # the user's scope is read once, then cached on the user
    few = count(f"?after={start}")
    cases.to("handling", case=cases.report())
    cases.to("handling", case=cases.report())
    assert count(f"?after={start}") == few
    idle = count(f"?after={CaseEvent.objects.latest('id').id}")
    assert idle == few - 1  # nothing new: the newest id only


def test_a_long_poll_returns_an_empty_list_when_nothing_comes(personas, monkeypatch):
    monkeypatch.setattr(feed_module, "POLL_INTERVAL_SECONDS", 0.05)
    started = time.monotonic()
    body = feed(personas["dispatcher"], "?wait=1")
    elapsed = time.monotonic() - started
    assert body["events"] == [] and 0.9 <= elapsed < 3


def test_a_long_poll_returns_as_soon_as_an_event_arrives(cases, personas, monkeypatch):
    start = feed(personas["dispatcher"])["cursor"]
    made = []

    def sleep_then_report(seconds):
        if not made:
            made.append(cases.report())

    monkeypatch.setattr(feed_module.time, "sleep", sleep_then_report)
    body = feed(personas["dispatcher"], f"?after={start}&wait=20")
    assert [e["action"] for e in body["events"]] == ["report"] and body["events"][0]["case"]["id"] == made[0].pk


def test_the_wait_is_capped_at_25_seconds(personas, monkeypatch):
    clock = {"now": 1000.0, "slept": 0.0}

    class FakeTime:
        @staticmethod
        def monotonic():
            return clock["now"]

        @staticmethod
        def sleep(seconds):
            clock["now"] += seconds
            clock["slept"] += seconds

    monkeypatch.setattr(feed_module, "time", FakeTime)
    assert feed(personas["dispatcher"], "?wait=600")["events"] == []
    assert clock["slept"] == pytest.approx(25)


def test_bad_parameters_are_400_and_anonymous_callers_401(personas):
    assert client_for(personas["dispatcher"]).get("/api/v1/events/?after=-1").status_code == 400
    assert client_for(personas["dispatcher"]).get("/api/v1/events/?limit=0").status_code == 400
    assert APIClient().get("/api/v1/events/").status_code == 401


def test_the_cursor_waits_at_a_gap_until_the_missing_event_commits_or_is_given_up():
    from datetime import timedelta

    from django.utils import timezone

    from dispatch.selectors import FEED_GAP_GRACE, _feed_horizon

    now = timezone.now()
    young, old = now - timedelta(seconds=1), now - FEED_GAP_GRACE - timedelta(seconds=1)
    assert _feed_horizon([(11, young), (12, young)], 10, now) == 12
    # 13 is still in flight while 14 already committed: stop before the gap.
    assert _feed_horizon([(11, young), (12, young), (14, young)], 10, now) == 12
    # The event after the gap is old: 13 was rolled back (or reserved and never used).
    assert _feed_horizon([(11, old), (12, old), (14, old), (15, young)], 10, now) == 15
    assert _feed_horizon([], 10, now) == 10
