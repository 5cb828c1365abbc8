"""The follow-up outbox: rows written with the change, carried out once, in order, retried, repaired, watched."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from cases.models import CaseEvent
from dispatch.models import CaseRouting, FollowUp, Notification
from dispatch.services import followup
from dispatch.services.followup import followup_backlog, followup_repair, followup_run
from dispatch.services.orders import order_issue
from tests.dispatch.test_routing import make_rule

pytestmark = pytest.mark.django_db


def rows_of(event):
    return list(FollowUp.objects.filter(event_id=event.pk).order_by("id"))


def to_register(cases):
    """A case ready to register; the follow-ups of its report and acceptance out of the way (done)."""
    case = cases.to("to_register")
    FollowUp.objects.update(state="done")
    return case


def register(cases, case):
    return cases.act(case, "shift_lead", "register", filing_condition=cases.condition.pk, urgency="normal")


@pytest.fixture
def no_fast_path(monkeypatch):
    """The committing process dies before its fast path: rows are only written, never handed over."""
    monkeypatch.setattr(followup, "followup_kick", lambda ids: None)


def test_a_transition_writes_its_follow_ups_in_its_own_transaction(cases, no_fast_path):
    case = to_register(cases)
    register(cases, case)
    event = CaseEvent.objects.get(case=case, action="register")
    assert [(r.kind, r.state, r.attempts, r.key) for r in rows_of(event)] == [
        ("route", "pending", 0, f"route:{event.pk}"),
        ("notify_transition", "pending", 0, f"notify_transition:{event.pk}"),
    ]
    assert rows_of(event)[0].case_id == case.pk and rows_of(event)[0].payload == {"action": "register"}

    # A change that rolls back leaves no follow-up behind.
    other = to_register(cases)
    before = FollowUp.objects.count()
    with pytest.raises(RuntimeError), transaction.atomic():
        register(cases, other)
        raise RuntimeError("the request failed after the transition")
    assert FollowUp.objects.count() == before


def test_the_fast_path_runs_them_right_after_the_commit_and_a_second_run_does_nothing(
    cases, catalogue, django_capture_on_commit_callbacks
):
    make_rule("E0102", auto=True)
    case = to_register(cases)
    with django_capture_on_commit_callbacks(execute=True):
        register(cases, case)
    event = CaseEvent.objects.get(case=case, action="register")
    assert {(r.state, r.attempts) for r in rows_of(event)} == {("done", 1)}
    assert CaseRouting.objects.get(case=case).auto_dispatched
    dispatch = CaseEvent.objects.get(case=case, action="dispatch")
    assert {r.state for r in rows_of(dispatch)} == {"done"}  # the auto-dispatch's own follow-ups, at the same commit
    told = Notification.objects.count()
    ids = [r.pk for r in rows_of(event) + rows_of(dispatch)]
    assert followup_run(ids=ids) == {}  # done rows are not claimed again
    assert followup_repair(now=timezone.now() + timedelta(hours=1)) == {}
    assert CaseEvent.objects.filter(case=case, action="dispatch").count() == 1
    assert Notification.objects.count() == told


def test_a_notification_waits_for_the_routing_of_its_event(cases, no_fast_path):
    case = to_register(cases)
    register(cases, case)
    route, notify = rows_of(CaseEvent.objects.get(case=case, action="register"))
    later = timezone.now() + timedelta(minutes=1)
    claimed = followup._claim(ids=[notify.pk], now=later, limit=10)
    assert claimed == []  # the routing of the same event is still pending
    claimed = followup._claim(ids=None, now=later, limit=10)
    assert [w.kind for w in claimed if w.event_id == route.event_id] == ["route"]


def test_the_repair_sweep_takes_rows_after_the_grace_and_claims_after_their_lease(cases, no_fast_path):
    case = to_register(cases)
    register(cases, case)
    event = CaseEvent.objects.get(case=case, action="register")
    assert followup_repair() == {}  # within the grace period the fast path may still be at work
    # A worker claimed the routing and died: the row is left to its lease.
    dead = followup._claim(ids=[rows_of(event)[0].pk], now=timezone.now(), limit=1)
    assert [w.attempts for w in dead] == [1]
    assert followup_repair(now=timezone.now() + timedelta(minutes=1)) == {}  # lease running: nothing (the
    # notification waits for the routing)
    assert followup_repair(now=timezone.now() + timedelta(minutes=11)) == {"done": 2}
    route, notify = rows_of(event)
    assert (route.state, route.attempts, notify.state, notify.attempts) == ("done", 2, "done", 1)
    assert CaseRouting.objects.get(case=case).source_event_id == event.pk
    assert followup_backlog()["pending"] == 0


def test_a_failing_handler_is_rolled_back_retried_with_back_off_then_failed(cases, no_fast_path, monkeypatch, settings):
    settings.FOLLOWUP_MAX_ATTEMPTS = 2
    written = []

    def broken(work):
        written.append(CaseRouting.objects.create(case_id=work.case_id))  # rolled back with the failure
        raise ValueError("no such department")

    monkeypatch.setitem(followup.HANDLERS, "route", broken)
    case = to_register(cases)
    register(cases, case)
    route = rows_of(CaseEvent.objects.get(case=case, action="register"))[0]
    now = timezone.now() + timedelta(minutes=1)
    assert followup_run(now=now) == {"retry": 1}
    route.refresh_from_db()
    assert (route.state, route.attempts, route.claimed_until) == ("pending", 1, None)
    assert route.last_error == "ValueError: no such department" and not CaseRouting.objects.exists()
    assert route.next_attempt_at > timezone.now() + timedelta(seconds=25)  # the back-off
    assert followup_run(now=now) == {}
    assert followup_run(now=route.next_attempt_at + timedelta(seconds=1)) == {"failed": 1, "done": 1}
    route.refresh_from_db()
    assert (route.state, route.attempts) == ("failed", 2) and len(written) == 2
    backlog = followup_backlog()
    assert (backlog["pending"], backlog["failed"]) == (0, 1)  # the notification ran once the routing gave up


def test_without_inline_running_the_fast_path_sends_the_ids_to_the_followup_queue(cases, monkeypatch, settings):
    from celery import current_app

    settings.FOLLOWUP_INLINE = False
    sent = []
    monkeypatch.setattr(current_app, "send_task", lambda name, **options: sent.append((name, options)))
    followup.followup_kick([3, 1])
    assert sent == [("followup.run", {"kwargs": {"ids": [3, 1]}, "queue": "followup"})]

    def broker_down(name, **options):
        raise ConnectionError("redis is down")

    monkeypatch.setattr(current_app, "send_task", broker_down)
    followup.followup_kick([5])  # logged, never raised into the committed request: the repair sweep takes them


def test_orders_and_whistles_write_their_notifications_as_follow_ups(cases, personas, no_fast_path):
    case = cases.to("handling")
    order = order_issue(case_id=case.pk, actor=personas["leader"], note="跟进", reply_hours=2)
    row = FollowUp.objects.get(kind="notify_order")
    assert row.payload == {"order_id": order.pk, "kind": "order"} and row.state == "pending"
    assert not Notification.objects.filter(kind="order").exists()
    assert followup_run(ids=[row.pk]) == {"done": 1}
    assert Notification.objects.filter(kind="order", event_id=row.event_id).exists()


def test_the_backlog_command_shows_what_to_watch(cases, no_fast_path):
    case = to_register(cases)
    register(cases, case)
    FollowUp.objects.update(created_at=timezone.now() - timedelta(minutes=3))
    out = StringIO()
    call_command("followups", stdout=out)
    text = out.getvalue()
    assert "Follow-ups pending: 2, the oldest for 180 s" in text and "route: 1" in text
    out = StringIO()
    FollowUp.objects.update(next_attempt_at=timezone.now())
    call_command("followups", "--repair", stdout=out)
    assert "Repair sweep: 2 done, 0 to retry, 0 failed for good." in out.getvalue()
    assert "Follow-ups pending: 0" in out.getvalue()


def test_a_process_sends_the_ids_of_a_burst_of_commits_in_one_message_per_interval(monkeypatch, settings):
    from celery import current_app

    settings.FOLLOWUP_INLINE = False
    settings.FOLLOWUP_KICK_SECONDS = 60
    sent = []
    monkeypatch.setattr(current_app, "send_task", lambda name, **options: sent.append(options["kwargs"]["ids"]))
    kicks = followup._Kicks()
    monkeypatch.setattr(followup, "_kicks", kicks)
    followup.followup_kick_soon([1])  # the first after a quiet interval: at once
    followup.followup_kick_soon([2, 3])
    followup.followup_kick_soon([4])
    assert sent == [[1]] and kicks.timer is not None  # the others wait for the interval's end
    kicks.flush()  # what the timer does when the interval ends
    assert sent == [[1], [2, 3, 4]] and kicks.timer is None
    kicks.flush()
    assert sent == [[1], [2, 3, 4]]  # nothing twice


def test_without_an_interval_or_inline_every_commit_is_handed_over_at_once(monkeypatch, settings):
    handed = []
    monkeypatch.setattr(followup, "followup_kick", handed.append)
    settings.FOLLOWUP_INLINE, settings.FOLLOWUP_KICK_SECONDS = False, 0
    followup.followup_kick_soon([1])
    settings.FOLLOWUP_INLINE, settings.FOLLOWUP_KICK_SECONDS = True, 60
    followup.followup_kick_soon([2])
    assert handed == [[1], [2]]


def test_a_celery_pool_process_sends_what_it_gathered_when_it_shuts_down(monkeypatch, settings):
    # A pool process ends with os._exit, which skips the exit handlers: the shutdown signal sends the gathered ids.
    from celery.signals import worker_process_shutdown

    sent = []
    monkeypatch.setattr(followup, "followup_kick", sent.append)
    settings.FOLLOWUP_INLINE, settings.FOLLOWUP_KICK_SECONDS = False, 60
    kicks = followup._Kicks()
    monkeypatch.setattr(followup, "_kicks", kicks)
    followup.followup_kick_soon([1])
    followup.followup_kick_soon([2])
    assert sent == [[1]]
    worker_process_shutdown.send(sender=None, pid=0, exitcode=0)
    assert sent == [[1], [2]] and kicks.timer is None
