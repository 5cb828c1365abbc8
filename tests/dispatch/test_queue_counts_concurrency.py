"""Transitions at once never wait on one another for the tab counters: each writes rows of its own.

These tests commit for real (transactional): the locks are the database's. A transaction that has changed a case
(and so written its counter deltas) and not yet committed must not hold up another case's change in the same
grids, the same tabs; a compaction and a recount meanwhile see only what was committed.
"""

import threading
from contextlib import contextmanager

import pytest
from django.db import connection, connections, transaction
from django.utils import timezone

from cases.models import Case
from dispatch.queue_counts import queue_counts_for_user
from dispatch.services.counts import queue_counts_compact, queue_counts_recount

pytestmark = pytest.mark.django_db(transaction=True)


@contextmanager
def dispatch_held_open(cases, case, personas):
    """A dispatch of `case` in another connection's transaction, left uncommitted while the block runs (every
    statement in the block waits at most 1 s for a lock), committed after it; yields the errors of that thread."""
    holding, release, errors = threading.Event(), threading.Event(), []

    def held_open():
        try:
            with transaction.atomic():
                cases.act(case, "dispatcher", "dispatch", lead_department=personas["handler_department"].code)
                holding.set()
                release.wait(10)
        except Exception as exc:  # noqa: BLE001 - reported by the caller's assertion
            errors.append(exc)
            holding.set()
        finally:
            connections.close_all()

    thread = threading.Thread(target=held_open)
    thread.start()
    try:
        assert holding.wait(10)
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL lock_timeout = '1s'")
            yield errors
    finally:
        release.set()
        thread.join(20)


def test_an_uncommitted_transition_does_not_hold_up_another_in_the_same_tabs(cases, personas):
    first, second = cases.to("to_dispatch"), cases.to("to_dispatch")
    # Waiting on a lock held by the other transaction would fail at once rather than hang.
    with dispatch_held_open(cases, first, personas) as errors:
        cases.act(second, "dispatcher", "dispatch", lead_department=personas["handler_department"].code)
        # Meanwhile the counts, a compaction and a recount see only what is committed.
        queue_counts_compact()
        assert queue_counts_recount(repair=False).keys == 0
        counts = queue_counts_for_user(user=personas["dispatcher"], now=timezone.now())
        assert (counts["to_dispatch"], counts["handling"]) == (1, 1)
    assert errors == []
    assert Case.objects.filter(pk__in=[first.pk, second.pk], status="handling").count() == 2
    assert queue_counts_recount(repair=False).keys == 0
    counts = queue_counts_for_user(user=personas["dispatcher"], now=timezone.now())
    assert (counts["to_dispatch"], counts["handling"]) == (0, 2)


def test_transitions_in_many_threads_at_once_keep_the_counters(cases, personas):
    waiting = [cases.to("to_dispatch") for _ in range(8)]
    barrier, errors = threading.Barrier(len(waiting)), []

    def dispatch(case):
        try:
            barrier.wait(10)
            cases.act(case, "dispatcher", "dispatch", lead_department=personas["handler_department"].code)
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=dispatch, args=(case,)) for case in waiting]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []
    assert queue_counts_recount(repair=False).keys == 0
    assert queue_counts_for_user(user=personas["dispatcher"], now=timezone.now())["handling"] == len(waiting)


def test_a_repair_while_a_transition_is_in_flight_counts_it_once(cases, personas):
    from dispatch.models import QueueCount

    first = cases.to("to_dispatch")
    queue_counts_compact()
    QueueCount.objects.filter(path="", queue="all").update(n=99)  # drift, e.g. rows changed with triggers off
    with dispatch_held_open(cases, first, personas) as errors:
        assert queue_counts_recount().city == {"all": 98}
    assert errors == []
    assert queue_counts_recount(repair=False).keys == 0
    counts = queue_counts_for_user(user=personas["dispatcher"], now=timezone.now())
    assert (counts["all"], counts["to_dispatch"], counts["handling"]) == (1, 0, 1)
