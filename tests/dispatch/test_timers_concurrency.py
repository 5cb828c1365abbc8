"""Two sweeps at once, a crash half-way, a crash before the announcement: every level fires exactly once.

These tests commit for real (transactional), so the row locks, SKIP LOCKED and the unique marks are the
database's, not a simulation.
"""

import threading
from collections import Counter
from datetime import timedelta

import pytest
from django.db import connection
from django.db.models import Count

from cases.models import Case, CaseEvent
from dispatch.models import TimerMark
from dispatch.services import timers
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
    assert not Case.objects.filter(pk__in=case_ids, overdue=False).exists()


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
    assert Case.objects.filter(pk__in=due_cases, timer_due_at__lte=DEADLINE).count() == len(due_cases) - 100

    monkeypatch.setattr(timers, "_plan", real_plan)
    result = timers_sweep(now=DEADLINE, batch=50)
    assert result.cases == len(due_cases) - 100
    assert timers_sweep(now=DEADLINE + timedelta(minutes=1)).cases == 0
    assert_each_level_once(due_cases)


def test_a_crash_between_commit_and_announcement_is_announced_by_a_later_sweep(due_cases, monkeypatch):
    received = []

    def receiver(sender, *, marks, **kwargs):
        received.extend(mark["event_id"] for mark in marks)

    real_announce = timers._announce

    def crash(fired, result=None):
        if fired:
            raise RuntimeError("worker killed after commit")

    monkeypatch.setattr(timers, "_announce", crash)
    timers_fired.connect(receiver, dispatch_uid="test-reannounce")
    try:
        with pytest.raises(RuntimeError):
            timers_sweep(now=DEADLINE, batch=500)
        assert received == [] and TimerMark.objects.filter(announced_at__isnull=True).count() == 2 * len(due_cases)
        monkeypatch.setattr(timers, "_announce", real_announce)
        # Within the grace period a running sweep may still be announcing: left alone.
        assert timers_sweep(now=DEADLINE + timedelta(minutes=1)).reannounced == 0
        result = timers_sweep(now=DEADLINE + timedelta(minutes=6))
    finally:
        timers_fired.disconnect(dispatch_uid="test-reannounce")
    assert result.reannounced == 2 * len(due_cases) and result.fired == {}
    assert sorted(received) == sorted(TimerMark.objects.values_list("event_id", flat=True))
    assert not TimerMark.objects.filter(announced_at__isnull=True).exists()
    assert_each_level_once(due_cases)


def test_a_failing_receiver_leaves_the_batch_unannounced_until_a_later_sweep_delivers_it(due_cases):
    from dispatch.models import Notification

    calls = []

    def flaky(sender, *, marks, **kwargs):
        calls.append(len(marks))
        if len(calls) == 1:
            # A database error inside the receiver: it must not poison the sweep's own work.
            connection.cursor().execute("SELECT 1/0")

    timers_fired.connect(flaky, dispatch_uid="test-flaky")
    try:
        first = timers_sweep(now=DEADLINE, batch=1000)
        assert first.cases == len(due_cases) and calls == [2 * len(due_cases)]
        # The notifications of that batch went out (their own receiver), yet the marks wait to be announced again.
        assert TimerMark.objects.filter(announced_at__isnull=True).count() == 2 * len(due_cases)
        told = Notification.objects.count()
        assert told > 0
        later = timers_sweep(now=DEADLINE + timedelta(minutes=6), batch=1000)
    finally:
        timers_fired.disconnect(dispatch_uid="test-flaky")
    assert later.reannounced == 2 * len(due_cases) and calls[-1] == 2 * len(due_cases)
    assert not TimerMark.objects.filter(announced_at__isnull=True).exists()
    assert Notification.objects.count() == told  # the second delivery wrote nothing twice
    assert_each_level_once(due_cases)
