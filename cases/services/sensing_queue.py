"""The sensing step of the worker: received detections become cases, join cases or wait for a person, off the request.

The POST stores a detection `received` (one INSERT … ON CONFLICT, the row is the pending work itself) and kicks the
task `followup.sensing_process` at most once while one is still waiting to start (a Redis key the task deletes when
it starts). A run takes the received rows in arrival order, in batches, under one advisory lock, so one run at a time
works through them; the repeats of problems with an open case join it in one transaction per batch
(`sensing_batch_merge`), every other row is processed in a transaction of its own with its effects (see
`sensing_event_process`), so a run killed midway leaves only unprocessed rows, which the next run or the periodic
sweep (`SENSING_SWEEP_SECONDS`) takes, and nothing is done twice.
"""

import contextlib
import logging
import time
from collections import Counter

from celery import current_app
from django.conf import settings
from django.core.cache import cache
from django.db import connection

from cases.models.sensing import SensingEvent, SensingOutcome

from .handover import handovers_gathered
from .sensing import sensing_event_process
from .sensing_batch import sensing_batch_merge, sensing_near_enough
from .stages import stage_settings_kept

log = logging.getLogger(__name__)

TASK_NAME = "followup.sensing_process"
KICK_KEY = "sensing:kick"
# The key of the session-level advisory lock one run holds while it works (any bigint no other lock uses).
PROCESS_LOCK = 0x53454E53  # "SENS"


def sensing_kick() -> None:
    """Ask a worker to process the received detections, unless a run is already asked for and not yet started.
    Best effort: should Redis or the broker fail, the periodic sweep takes the rows."""
    if not settings.SENSING_KICK:
        return
    try:
        if cache.add(KICK_KEY, 1, timeout=settings.SENSING_SWEEP_SECONDS):
            # By name (the task module imports this one): routed to the followup queue like every `followup.*`.
            current_app.send_task(TASK_NAME, queue=settings.FOLLOWUP_QUEUE)
    except Exception:  # noqa: BLE001 - the event is stored; the sweep is the fallback
        log.warning("sensing: could not ask a worker to process; the sweep will", exc_info=True)


def _pending_exists() -> bool:
    return SensingEvent.objects.filter(outcome=SensingOutcome.RECEIVED).exists()


def _try_lock() -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [PROCESS_LOCK])
        return cursor.fetchone()[0]


def _unlock() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_unlock(%s)", [PROCESS_LOCK])


def _drain(tally, deadline, batch, flush):
    while time.monotonic() < deadline:
        flush()  # the follow-up work of the cases made so far goes to its workers, one message per batch
        # The repeats of known problems in one transaction; the rest one at a time, in arrival order.
        merged, left = sensing_batch_merge(limit=batch)
        if not merged and not left:
            return True
        tally.update(merged)
        with stage_settings_kept():
            if not _one_at_a_time(tally, deadline, left):
                return False
    return False


def _one_at_a_time(tally, deadline, left):
    """Decide the batch's detections no open case was near, in arrival order; False when the budget ran out."""
    while left:
        if time.monotonic() >= deadline:
            return False
        first = left.pop(0)
        outcome = sensing_event_process(event_id=first.id)
        if outcome is not None:
            tally[outcome] += 1
        if outcome == SensingOutcome.CREATED:
            # Later detections of the same problem in this batch join the new case together.
            near = [other.id for other in left if sensing_near_enough(first, other)]
            if near:
                merged, _left = sensing_batch_merge(limit=len(near), ids=near)
                tally.update(merged)
                joined = set(near) - {other.id for other in _left}
                left = [other for other in left if other.id not in joined]
    return True


@contextlib.contextmanager
def _commit_mode():
    """SENSING_ASYNC_COMMIT: the run's transactions do not wait for their WAL flush (PostgreSQL's
    synchronous_commit off for this session, set back afterwards). Each decision is one transaction with its
    effects, so should the database server crash, the last fraction of a second of decisions is lost whole and
    consistent: their detections are `received` again and the next run decides them anew. The detection itself was
    stored by the POST with a synchronous commit (its 202 is durable)."""
    if not settings.SENSING_ASYNC_COMMIT:
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit TO off")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET synchronous_commit")


def sensing_process(*, budget_seconds: float | None = None, batch: int | None = None) -> Counter:
    """Process received detections in arrival order until none is left or the budget is spent; returns the outcomes.

    At-least-once as a task, exactly-once per detection. Another run holding the lock: returns at once — that run
    looks again for received rows after releasing the lock, so a detection stored meanwhile is not left behind."""
    budget = settings.SENSING_PROCESS_BUDGET_SECONDS if budget_seconds is None else budget_seconds
    batch = batch or settings.SENSING_PROCESS_BATCH
    deadline = time.monotonic() + budget
    tally = Counter()
    with contextlib.suppress(Exception):
        cache.delete(KICK_KEY)  # from here on a new detection asks for a new run
    while True:
        if not _try_lock():
            return tally
        try:
            with _commit_mode(), handovers_gathered() as flush:
                done = _drain(tally, deadline, batch, flush)
        finally:
            _unlock()
        if not done:
            # Budget spent with rows left: hand over to a fresh run (the task's time limits stay short).
            sensing_kick()
            return tally
        if not _pending_exists():
            return tally


def sensing_backlog() -> dict:
    """The received detections waiting for the worker: how many, and the age of the oldest (seconds)."""
    from django.db.models import Count, Min  # noqa: PLC0415
    from django.utils import timezone  # noqa: PLC0415

    received = SensingEvent.objects.filter(outcome=SensingOutcome.RECEIVED)
    row = received.aggregate(n=Count("id"), oldest=Min("received_at"))
    age = (timezone.now() - row["oldest"]).total_seconds() if row["oldest"] else 0
    return {"received": row["n"], "oldest_seconds": round(age, 1)}
