"""Two sweeps at once, a crash half-way, a crash before the announcement: every level fires and is announced once.

These tests commit for real (transactional), so the row locks, SKIP LOCKED and the unique marks are the
database's, not a simulation.
"""

import threading
from collections import Counter
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.db.models import Count
from django.utils import timezone

from cases.models import CaseEvent, CaseTimer
from dispatch.models import FollowUp, TimerMark
from dispatch.services import followup, timers
from dispatch.services.followup import followup_repair
from dispatch.services.timers import timers_sweep
from dispatch.signals import timers_fired
from tests.dispatch.test_timers import DEADLINE, DISPATCHED, TIMER_ACTIONS, default_ladder
from tests.dispatch.test_timers_scale import clone_cases

pytestmark = pytest.mark.django_db(transaction=True)
COPIES = 300


@pytest.fixture
def due_cases(cases):
    """COPIES + 1 cases in handling whose warning and deadline have both passed at DEADLINE."""
    default_ladder()
    template = cases.to("handling", now=DISPATCHED)
    return [template.pk, *clone_cases(template, COPIES)]


def assert_each_level_once(case_ids):
    marks = TimerMark.objects.filter(case_id__in=case_ids)
    assert marks.count() == 2 * len(case_ids)
    assert not marks.values("case", "stage", "level").annotate(n=Count("id")).filter(n__gt=1).exists()
    events = CaseEvent.objects.filter(case_id__in=case_ids, action__in=TIMER_ACTIONS)
    assert Counter(events.values_list("action", flat=True)) == {
        "timer_warning": len(case_ids),
        "timer_overdue": len(case_ids),
    }
    assert set(marks.values_list("event_id", flat=True)) == set(events.values_list("id", flat=True))
    assert not CaseTimer.objects.filter(case_id__in=case_ids, overdue=False).exists()


def test_two_sweeps_at_once_share_the_cases_and_fire_each_level_once(due_cases):
    barrier = threading.Barrier(2)
    results, errors = [], []

    def sweep():
        try:
            barrier.wait()
            results.append(timers_sweep(now=DEADLINE, batch=20))
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=sweep) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sum(r.cases for r in results) == len(due_cases)  # SKIP LOCKED: no case claimed twice
    assert sum(r.fired["warning"] for r in results) == len(due_cases)
    assert_each_level_once(due_cases)


def test_a_crash_half_way_keeps_the_committed_batches_and_the_next_sweep_does_the_rest(due_cases, monkeypatch):
    real_plan, calls = timers._plan, []

    def crashing_plan(case, ladder, now):
        calls.append(case["id"])
        if len(calls) == 130:  # in the third batch of 50
            raise RuntimeError("worker killed")
        return real_plan(case, ladder, now)

    monkeypatch.setattr(timers, "_plan", crashing_plan)
    with pytest.raises(RuntimeError, match="worker killed"):
        timers_sweep(now=DEADLINE, batch=50)
    # Two batches committed; the third rolled back whole: no mark, no event, no timer moved.
    assert TimerMark.objects.values("case").distinct().count() == 100
    assert CaseEvent.objects.filter(action__in=TIMER_ACTIONS).count() == 200
    assert CaseTimer.objects.filter(case_id__in=due_cases, due_at__lte=DEADLINE).count() == len(due_cases) - 100

    monkeypatch.setattr(timers, "_plan", real_plan)
    result = timers_sweep(now=DEADLINE, batch=50)
    assert result.cases == len(due_cases) - 100
    assert timers_sweep(now=DEADLINE + timedelta(minutes=1)).cases == 0
    assert_each_level_once(due_cases)


def test_a_crash_between_commit_and_announcement_is_announced_by_the_repair_sweep(due_cases, monkeypatch):
    received = []

    def receiver(sender, *, marks, **kwargs):
        received.extend(mark["event_id"] for mark in marks)

    # The sweep's process dies right after each commit: the fast path never hands the follow-ups over.
    monkeypatch.setattr(followup, "followup_kick", lambda ids: None)
    timers_fired.connect(receiver, dispatch_uid="test-reannounce")
    try:
        swept = timers_sweep(now=DEADLINE, batch=500)
        assert received == [] and TimerMark.objects.filter(announced_at__isnull=True).count() == 2 * len(due_cases)
        rows = FollowUp.objects.filter(pk__in=swept.followups)
        assert rows.count() == 1 and rows.get().state == "pending"
        # Within the grace period the fast path may still be at it: the repair sweep leaves the row alone.
        assert followup_repair() == {}
        result = followup_repair(now=timezone.now() + timedelta(minutes=1))
        assert followup_repair(now=timezone.now() + timedelta(minutes=20)) == {}
    finally:
        timers_fired.disconnect(dispatch_uid="test-reannounce")
    assert result == {"done": 1}
    assert sorted(received) == sorted(TimerMark.objects.values_list("event_id", flat=True))
    assert not TimerMark.objects.filter(announced_at__isnull=True).exists()
    assert rows.get().state == "done"
    assert_each_level_once(due_cases)


def test_a_failing_receiver_rolls_the_announcement_back_until_a_retry_delivers_it_once(due_cases):
    from dispatch.models import Notification

    calls = []

    def flaky(sender, *, marks, **kwargs):
        calls.append(len(marks))
        if len(calls) == 1:
            connection.cursor().execute("SELECT 1/0")

    timers_fired.connect(flaky, dispatch_uid="test-flaky")
    try:
        first = timers_sweep(now=DEADLINE, batch=1000)
        # The sweep's own work committed; the announcement (its follow-up) failed whole and waits for a retry.
        assert first.cases == len(due_cases) and len(calls) == 1
        row = FollowUp.objects.get(pk__in=first.followups)
        assert (row.state, row.attempts) == ("pending", 1) and "division by zero" in row.last_error
        assert TimerMark.objects.filter(announced_at__isnull=True).count() == 2 * len(due_cases)
        assert not Notification.objects.filter(event__action__startswith="timer_").exists()
        assert followup_repair(now=row.next_attempt_at + timedelta(seconds=1)) == {"done": 1}
        told = Notification.objects.count()
        assert told > 0
        # A second delivery of the same marks (a follow-up re-run after a lost acknowledgement) writes nothing.
        timers.timers_announce(mark_ids=list(TimerMark.objects.values_list("id", flat=True)))
    finally:
        timers_fired.disconnect(dispatch_uid="test-flaky")
    assert calls[1:] == [2 * len(due_cases)] * 2
    assert not TimerMark.objects.filter(announced_at__isnull=True).exists()
    assert Notification.objects.count() == told
    assert_each_level_once(due_cases)


def test_a_batch_whose_commit_is_lost_after_its_hand_over_is_redone_completely_and_once(due_cases, monkeypatch):
    """A batch commits without waiting for the disk: a crash can lose one whose commit had returned, after its
    follow-up was handed over and the live feed woken. Simulated: the sweep runs inside a transaction that is
    rolled back after the batches' on-commit hand-overs are taken, and those run as if the commit had held."""
    received, woken = [], []

    def receiver(sender, *, marks, **kwargs):
        received.extend(mark["event_id"] for mark in marks)

    monkeypatch.setattr(timers, "feed_publish", lambda **kwargs: woken.extend(kwargs["event_ids"]))
    timers_fired.connect(receiver, dispatch_uid="test-lost-commit")
    try:
        with transaction.atomic():
            lost = timers_sweep(now=DEADLINE, batch=100)
            with connection.cursor() as cursor:
                cursor.execute("SHOW synchronous_commit")
                assert cursor.fetchone()[0] == "off"  # set by the batches, for this transaction only
            hand_overs = [hook for _savepoints, hook, _robust in connection.run_on_commit]
            transaction.set_rollback(True)
        assert lost.cases == len(due_cases) and lost.batches == 4
        for hook in hand_overs:  # the follow-ups' fast path (inline in tests) and the feed's wake-up
            hook()
        # Nothing of the lost batches is left: the fast path found no follow-up row and announced nothing.
        assert len(woken) == 2 * len(due_cases)
        assert received == []
        assert not TimerMark.objects.exists() and not CaseEvent.objects.filter(action__in=TIMER_ACTIONS).exists()
        assert not FollowUp.objects.filter(pk__in=lost.followups).exists()
        assert not FollowUp.objects.filter(kind="timers").exists()
        assert CaseTimer.objects.filter(case_id__in=due_cases, due_at__lte=DEADLINE).count() == len(due_cases)

        redone = timers_sweep(now=DEADLINE, batch=100)
        assert timers_sweep(now=DEADLINE + timedelta(minutes=1)).cases == 0
    finally:
        timers_fired.disconnect(dispatch_uid="test-lost-commit")
    with connection.cursor() as cursor:
        cursor.execute("SHOW synchronous_commit")
        assert cursor.fetchone()[0] == "on"  # the connection's own setting is untouched
    assert redone.cases == len(due_cases) and dict(redone.fired) == dict(lost.fired)
    assert sorted(received) == sorted(TimerMark.objects.values_list("event_id", flat=True))
    timer_followups = FollowUp.objects.filter(kind="timers")
    assert sorted(timer_followups.filter(state="done").values_list("id", flat=True)) == sorted(redone.followups)
    assert timer_followups.count() == redone.batches
    assert_each_level_once(due_cases)
