"""The follow-up outbox (dispatch.models.FollowUp): write the work a change causes with the change, carry it out
once after the commit.

Writing: `followup_add_many` inserts rows in the caller's transaction (ON CONFLICT on the idempotency key: the
same work written twice is one row) and, only once that transaction commits, hands their ids to the `followup.run`
task (the fast path). Correctness never depends on that hand-over: a row stays `pending` until its work is done,
and the repair sweep (`followup.repair`, beat) takes every row the fast path did not finish within the grace period.

Carrying out, exactly once:
1. a claim (one statement, its own transaction) takes pending rows whose lease is free with FOR UPDATE SKIP
   LOCKED, counts the attempt and sets `claimed_until` (the lease, longer than any handler);
2. each row then runs in a transaction that first locks the row again (SKIP LOCKED, and only while the attempt is
   still the one claimed), runs the handler in a savepoint and marks the row done: the handler's effects and
   `done` commit together or not at all, and while a handler runs its row is locked, so a second worker never
   runs it even after the lease ran out. A process killed mid-handler rolls back; the row is taken again once its
   lease ends. A failure is recorded and retried with back-off, then the row is marked failed.
A row waits for the earlier pending rows of its event (a filed case's routing before its notification).

Handlers are registered per kind (`followup_handler`) by dispatch.followups; each must be idempotent anyway (a
rerun after a lost commit acknowledgement finds its work done and does nothing).
"""

import atexit
import contextlib
import contextvars
import json
import logging
import os
import threading
import time
from collections import Counter
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from cases.services.handover import handover_on_commit
from dispatch.models import FollowUp, FollowUpState

logger = logging.getLogger(__name__)

RUN_TASK = "followup.run"
HANDLERS = {}
# Set by `followup_inline()`: the fast path runs in this process at commit instead of going through the broker.
_inline = contextvars.ContextVar("followup_inline", default=False)


@dataclass(frozen=True)
class Work:
    """A claimed follow-up row, as its handler receives it."""

    id: int
    kind: str
    payload: dict
    case_id: int | None
    event_id: int | None
    attempts: int


def followup_handler(kind):
    """Register the function that carries out rows of `kind`: `handler(work: Work)`, idempotent, database only."""

    def register(function):
        HANDLERS[str(kind)] = function
        return function

    return register


# ---- writing ----


INSERT_SQL = """
INSERT INTO {table} (kind, payload, case_id, event_id, key, state, attempts, next_attempt_at, last_error, created_at)
SELECT v.kind, v.payload, v.case_id, v.event_id, v.key, %(pending)s, 0, %(next)s, '', %(now)s
FROM unnest(%(kind)s::varchar[], %(payload)s::jsonb[], %(case)s::bigint[], %(event)s::bigint[], %(key)s::varchar[])
     AS v(kind, payload, case_id, event_id, key)
ON CONFLICT (key) DO NOTHING
RETURNING id
"""


def followup_add(*, kind, key: str, payload: dict | None = None, case_id=None, event_id=None) -> list[int]:
    """One follow-up row in the caller's transaction (none when `key` exists); carried out after the commit."""
    return followup_add_many([{"kind": kind, "key": key, "payload": payload, "case_id": case_id, "event_id": event_id}])


def followup_add_many(rows) -> list[int]:
    """Insert follow-up rows (dicts of kind, key, payload, case_id, event_id) in one statement; returns the new ids.

    Must run inside the transaction of the change that causes the work: the rows commit or roll back with it. After
    the commit their ids go to the fast path (`followup_kick_soon`)."""
    rows = list(rows)
    if not rows:
        return []
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(
            INSERT_SQL.format(table=FollowUp._meta.db_table),
            {
                "kind": [str(r["kind"]) for r in rows],
                "payload": [json.dumps(r.get("payload") or {}) for r in rows],
                "case": [r.get("case_id") for r in rows],
                "event": [r.get("event_id") for r in rows],
                "key": [r["key"] for r in rows],
                "pending": FollowUpState.PENDING.value,
                "next": now + grace(),
                "now": now,
            },
        )
        ids = sorted(row[0] for row in cursor.fetchall())
    followup_kick_on_commit(ids)
    return ids


def followup_kick_on_commit(ids) -> None:
    """After the caller's transaction commits, hand `ids` to the fast path (nothing when it rolls back)."""
    if ids:
        # Gathered over a sensing run's many small transactions: one `followup.run` per batch, not one per case.
        handover_on_commit(followup_kick_soon, ids)


class _Kicks:
    """One process's hand-overs to the `followup` queue, at most one message per FOLLOWUP_KICK_SECONDS.

    Sending a task costs the committing request about a millisecond of CPU (serialising, publishing to the broker);
    a web worker taking dozens of reports a second paid it for every one. The first commit after a quiet interval is
    sent at once; the ids of the commits that follow within the interval are gathered and sent together when it
    ends (a timer thread), so a burst costs one message per interval and a report's follow-ups start at most
    FOLLOWUP_KICK_SECONDS later than before. Nothing depends on the message: the rows are committed, and ids a
    process never sent (killed before its timer fired) are taken by the repair sweep after FOLLOWUP_GRACE_SECONDS;
    a process that exits normally sends what it gathered (`followup_kicks_flush`: at exit, and when a Celery pool
    process shuts down, which ends with os._exit and skips the exit handlers)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.ids = []
        self.timer = None
        self.sent_at = float("-inf")

    def add(self, ids, interval):
        with self.lock:
            self.ids.extend(ids)
            if self.timer is not None:
                return  # the timer sends them with the others
            wait = self.sent_at + interval - time.monotonic()
            if wait > 0:
                self.timer = threading.Timer(wait, self.flush)
                self.timer.daemon = True
                self.timer.start()
                return
        self.flush()

    def flush(self):
        """Send what was gathered now (the timer, at exit, and the first commit after a quiet interval)."""
        with self.lock:
            ids, self.ids = self.ids, []
            if self.timer is not None:
                self.timer.cancel()
                self.timer = None
            if ids:
                self.sent_at = time.monotonic()
        if ids:
            followup_kick(ids)


_kicks = _Kicks()


def followup_kicks_flush(**_signal) -> None:
    """Send the ids this process has gathered and not sent yet (at exit; a Celery pool process's shutdown signal)."""
    _kicks.flush()


atexit.register(followup_kicks_flush)
# A forked child (gunicorn's and celery's workers) starts with nothing gathered and no timer of its parent's.
os.register_at_fork(after_in_child=lambda: _kicks.__init__())


def followup_kick_soon(ids) -> None:
    """Hand `ids` to the fast path: inline at once, or with the other commits of this process's current interval
    (`_Kicks`)."""
    interval = settings.FOLLOWUP_KICK_SECONDS
    if _inline.get() or settings.FOLLOWUP_INLINE or not interval:
        followup_kick(ids)
    else:
        _kicks.add(ids, interval)


def followup_kick(ids) -> None:
    """The fast path: run the rows now (inline, see `followup_inline`) or send them to the `followup` queue.

    Never raises: the rows are committed, and whatever does not happen here the repair sweep does later."""
    try:
        if _inline.get() or settings.FOLLOWUP_INLINE:
            followup_run(ids=ids)
        else:
            from celery import current_app

            current_app.send_task(RUN_TASK, kwargs={"ids": list(ids)}, queue=settings.FOLLOWUP_QUEUE)
    except Exception:  # noqa: BLE001 - the repair sweep carries the rows out
        logger.exception("the fast path of follow-ups %s failed; the repair sweep will take them", list(ids)[:20])


@contextlib.contextmanager
def followup_inline():
    """Within the block, follow-ups run in this process as soon as their transaction commits (the demo loader,
    management commands that must see the effects at once); outside it they go through the `followup` queue."""
    token = _inline.set(True)
    try:
        yield
    finally:
        _inline.reset(token)


def grace() -> timedelta:
    return timedelta(seconds=settings.FOLLOWUP_GRACE_SECONDS)


def lease() -> timedelta:
    return timedelta(seconds=settings.FOLLOWUP_LEASE_SECONDS)


def followup_backoff(attempts: int) -> timedelta:
    """Wait before the next attempt after `attempts` failures: 1, 2, 4 … × the base, at most an hour."""
    seconds = settings.FOLLOWUP_RETRY_BASE_SECONDS * 2 ** max(attempts - 1, 0)
    return timedelta(seconds=min(seconds, 3600))


# ---- carrying out ----


CLAIM_SQL = """
UPDATE {table} AS f SET attempts = f.attempts + 1, claimed_until = %(until)s
WHERE f.id IN (
    SELECT c.id FROM {table} AS c
    WHERE c.state = %(pending)s AND (c.claimed_until IS NULL OR c.claimed_until < %(now)s)
      AND {which}
      AND (c.event_id IS NULL OR NOT EXISTS (
          SELECT 1 FROM {table} AS e WHERE e.event_id = c.event_id AND e.state = %(pending)s AND e.id < c.id))
    ORDER BY c.id
    LIMIT %(limit)s
    FOR UPDATE SKIP LOCKED
)
RETURNING f.id, f.kind, f.payload, f.case_id, f.event_id, f.attempts
"""


def _claim(*, ids, now, limit) -> list[Work]:
    which = "c.id = ANY(%(ids)s::bigint[])" if ids is not None else "c.next_attempt_at <= %(now)s"
    params = {"until": now + lease(), "pending": FollowUpState.PENDING.value, "now": now, "limit": limit}
    if ids is not None:
        params["ids"] = list(ids)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(CLAIM_SQL.format(table=FollowUp._meta.db_table, which=which), params)
        rows = cursor.fetchall()
    works = [
        Work(pk, kind, payload if isinstance(payload, dict) else json.loads(payload), case_id, event_id, attempts)
        for pk, kind, payload, case_id, event_id, attempts in rows
    ]
    return sorted(works, key=lambda work: work.id)


def _carry_out(work: Work, now) -> str:
    """Run one claimed row under its row lock; 'done', 'retry', 'failed' or 'skipped' (someone else has it).
    A failure's next attempt counts from `now`, the run's clock."""
    handler = HANDLERS.get(work.kind)
    mine = FollowUp.objects.filter(pk=work.id, state=FollowUpState.PENDING, attempts=work.attempts)
    with transaction.atomic():
        if mine.select_for_update(skip_locked=True).values_list("pk", flat=True).first() is None:
            return "skipped"
        try:
            if handler is None:
                raise LookupError(f"no handler for follow-ups of kind {work.kind!r}")
            with transaction.atomic():
                handler(work)
        except Exception as exc:  # noqa: BLE001 - recorded on the row and retried
            error = f"{type(exc).__name__}: {exc}"[:2000]
            n = work.attempts
            if n >= settings.FOLLOWUP_MAX_ATTEMPTS:
                mine.update(state=FollowUpState.FAILED, claimed_until=None, last_error=error)
                logger.exception("follow-up %s (%s) failed for good after %s attempts", work.id, work.kind, n)
                return "failed"
            mine.update(claimed_until=None, next_attempt_at=now + followup_backoff(work.attempts), last_error=error)
            logger.warning("follow-up %s (%s) failed, retried later: %s", work.id, work.kind, error, exc_info=True)
            return "retry"
        mine.update(state=FollowUpState.DONE, claimed_until=None, done_at=timezone.now(), last_error="")
    return "done"


def followup_run(*, ids=None, now=None, batch: int | None = None, budget_seconds: float | None = None) -> Counter:
    """Carry out follow-up rows: those of `ids` (the fast path, whatever their next attempt), or every pending row
    due for the repair sweep (grace or back-off over, lease free). Returns counts by outcome.

    Runs until nothing is left to claim or `budget_seconds` is spent; rows locked elsewhere are skipped.
    """
    batch = batch or settings.FOLLOWUP_BATCH
    started = time.monotonic()
    counts = Counter()
    remaining = None if ids is None else sorted(set(ids))
    while remaining is None or remaining:
        clock = now or timezone.now()
        works = _claim(ids=remaining, now=clock, limit=batch)
        if not works:
            break
        for work in works:
            counts[_carry_out(work, clock)] += 1
        if remaining is not None:
            done = {work.id for work in works}
            remaining = [pk for pk in remaining if pk not in done]
        if budget_seconds is not None and time.monotonic() - started > budget_seconds:
            break
    return counts


def followup_repair(*, now=None) -> dict:
    """The repair sweep: carry out rows the fast path never finished (lost hand-over, killed process, expired
    lease, failures whose back-off is over). Bounded by FOLLOWUP_REPAIR_BUDGET_SECONDS; the next sweep goes on."""
    counts = followup_run(now=now, budget_seconds=settings.FOLLOWUP_REPAIR_BUDGET_SECONDS)
    purged = _purge(now or timezone.now())
    if purged:
        counts["purged"] = purged
    if counts:
        logger.info("follow-up repair: %s", dict(counts))
    return dict(counts)


PURGE_SQL = """
DELETE FROM {table} WHERE id IN (
    SELECT id FROM {table} WHERE state = %(done)s AND done_at < %(cutoff)s ORDER BY id LIMIT %(limit)s
)
"""


def _purge(now, limit=5000) -> int:
    """Forget done rows older than FOLLOWUP_KEEP_DAYS, a bounded batch per sweep (their effects stay, of course)."""
    cutoff = now - timedelta(days=settings.FOLLOWUP_KEEP_DAYS)
    with connection.cursor() as cursor:
        cursor.execute(
            PURGE_SQL.format(table=FollowUp._meta.db_table),
            {"done": FollowUpState.DONE.value, "cutoff": cutoff, "limit": limit},
        )
        return cursor.rowcount


# ---- watching ----


def followup_backlog(*, now=None) -> dict:
    """What to watch: pending rows, the age of the oldest pending one (seconds), failed rows, pending per kind."""
    now = now or timezone.now()
    table = FollowUp._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT kind, count(*), min(created_at) FROM {table} WHERE state = %s GROUP BY kind",  # noqa: S608
            [FollowUpState.PENDING.value],
        )
        pending = cursor.fetchall()
        cursor.execute(f"SELECT count(*) FROM {table} WHERE state = %s", [FollowUpState.FAILED.value])  # noqa: S608
        failed = cursor.fetchone()[0]
    oldest = min((row[2] for row in pending), default=None)
    return {
        "pending": sum(row[1] for row in pending),
        "oldest_pending_seconds": round((now - oldest).total_seconds(), 1) if oldest else 0.0,
        "failed": failed,
        "by_kind": {row[0]: row[1] for row in pending},
    }
