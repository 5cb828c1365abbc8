"""The timer sweep: warning (预警), overdue (超期) and the escalation ladder, fired from the database.

A running stage has its levels at known instants, all from the stage clock (cases/clock.py): the warning point
(80 % of the budget used), the deadline, then one instant per active escalation step (deadline + percent × budget,
counted on the stage's clock).
`Case.timer_due_at` is the next of them still to look at, behind a partial index, so a sweep with nothing due
is one index probe however many cases are open.

The sweep claims due cases in short transactions (FOR UPDATE SKIP LOCKED: two sweeps share the work, never a
case; a case being transitioned is skipped and seen next time), inserts a mark per level that became due
(ON CONFLICT DO NOTHING: an existing mark means the effect already happened), writes one event per new mark,
raises the overdue flag and moves `timer_due_at` on. After each commit the batch's new marks are announced
together (the cases whose step says so lifted to the city level, then one `timers_fired` signal). A crash
rolls back the batch in flight and the next sweep redoes it; marks committed earlier keep everything that
already happened from happening again.
"""

import json
import logging
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from cases.clock import WARN_FRACTION, escalation_at
from cases.models import FINAL_STATUSES, Case, CaseEvent
from cases.services.feed import feed_publish
from cases.workflow import SYSTEM_ROLE
from dispatch.models import EscalationStep, TimerMark
from dispatch.models.timers import ESCALATION_PREFIX, OVERDUE, WARNING
from dispatch.signals import timers_fired

logger = logging.getLogger(__name__)

ACTION_OF_LEVEL = {WARNING: "timer_warning", OVERDUE: "timer_overdue"}
ESCALATION_ACTION = "timer_escalation"
WARNING_PERCENT = int(WARN_FRACTION * 100)
# A mark still unannounced this long after it fired was left behind by a crash between commit and announcement.
ANNOUNCE_GRACE = timedelta(minutes=5)
CLAIMED_FIELDS = (
    "id", "status", "stage", "stage_started_at", "stage_warn_at", "stage_deadline", "stage_budget",
    "stage_clock", "lead_department_id", "region_path",
)  # fmt: skip


@dataclass(frozen=True)
class Level:
    """One timer level of a stage run: its name, instant, share of the limit used, and its ladder step."""

    name: str
    due_at: datetime
    percent: int
    step: EscalationStep | None = None


@dataclass
class SweepResult:
    """What one sweep did: cases claimed, new marks per level, cases lifted, marks re-announced, time."""

    now: datetime
    cases: int = 0
    batches: int = 0
    fired: Counter = field(default_factory=Counter)
    lifted: int = 0
    reannounced: int = 0
    ms: float = 0.0
    announce_ms: float = 0.0  # of `ms`: signal receivers (notifications) and lifts, after each commit

    @property
    def by_kind(self) -> Counter:
        """New marks as warning / overdue / escalation (all steps together)."""
        kinds = Counter()
        for level, count in self.fired.items():
            kinds["escalation" if level.startswith(ESCALATION_PREFIX) else level] += count
        return kinds

    def as_dict(self) -> dict:
        return {
            "now": self.now.isoformat(),
            "cases": self.cases,
            "batches": self.batches,
            "fired": dict(self.fired),
            "lifted": self.lifted,
            "reannounced": self.reannounced,
            "ms": round(self.ms, 2),
            "announce_ms": round(self.announce_ms, 2),
        }


def timers_sweep(*, now: datetime | None = None, batch: int | None = None) -> SweepResult:
    """Fire every timer level due at `now` (default: now) exactly once; one transaction per `batch` cases.

    Side effects: TimerMark and CaseEvent rows, Case.overdue and Case.timer_due_at; after each commit
    `routing_escalate_many_to_city` for steps that lift and one `timers_fired` signal for the batch's marks.
    Never changes a status.
    Call it outside a transaction, so that each batch commits (and is announced) on its own.
    """
    started = time.perf_counter()
    # Without an explicit instant each batch reads the clock again: a long sweep keeps up with what falls due
    # meanwhile, and each mark's fired_at is close to its commit (the re-announce grace counts from it).
    clock = timezone.now if now is None else (lambda: now)
    batch = batch or settings.TIMER_SWEEP_BATCH
    result = SweepResult(now=clock())
    result.reannounced = _reannounce(now=result.now, batch=batch, result=result)
    ladder = _ladder_reader()
    while True:
        claimed = _sweep_batch(now=clock(), batch=batch, ladder=ladder, result=result)
        if claimed < batch:
            break
    result.ms = (time.perf_counter() - started) * 1000
    return result


def _sweep_batch(*, now, batch, ladder, result):
    """One transaction: claim, fire, advance; the announcement follows its commit. Returns the cases claimed."""
    with transaction.atomic():
        claimed = _claim(now=now, batch=batch)
        if not claimed:
            return 0
        steps = ladder()
        plans = [(case, *_plan(case, steps, now)) for case in claimed]
        fired = _fire(plans, now)
        _advance(plans, now)
        transaction.on_commit(
            lambda: feed_publish(
                event_ids=[item["event_id"] for item in fired], case_ids=[item["case_id"] for item in fired]
            )
        )
        transaction.on_commit(lambda: _announce(fired, result))
    result.cases += len(claimed)
    result.batches += 1
    result.fired.update(item["level"] for item in fired)
    return len(claimed)


def _ladder_reader():
    """The active escalation steps, read once per sweep and only when something is due."""
    steps = None

    def read():
        nonlocal steps
        if steps is None:
            steps = list(EscalationStep.objects.filter(active=True).order_by("percent"))
        return steps

    return read


def _claim(*, now, batch):
    """Lock up to `batch` due cases, earliest first; rows locked by another sweep or a transition are skipped.

    The filter and the order match the partial index case_timer_due: an index range scan that stops at `now`.
    """
    return list(due_cases(now).values(*CLAIMED_FIELDS)[:batch])


def due_cases(now):
    """Cases with a timer due at `now`, earliest first, to be locked skipping rows locked elsewhere."""
    return Case.objects.filter(timer_due_at__lte=now).order_by("timer_due_at").select_for_update(skip_locked=True)


def _levels(case, ladder):
    """The levels of the case's running stage in order; lazy, as escalation instants cost calendar arithmetic."""
    if case["stage_warn_at"] is not None:
        yield Level(WARNING, case["stage_warn_at"], WARNING_PERCENT)
    deadline = case["stage_deadline"]
    yield Level(OVERDUE, deadline, 100)
    budget = case["stage_budget"] or timedelta(0)
    for step in ladder:
        at = escalation_at(deadline=deadline, budget=budget, percent=step.percent, clock=case["stage_clock"])
        yield Level(step.level, at, 100 + step.percent, step)


def _plan(case, ladder, now):
    """(levels due at `now`, the next instant to look at or None) for one claimed case.

    Everything comes from the case row as locked now, so a timer_due_at left over from an earlier stage fires
    nothing for that stage: the marks are keyed by the current stage and its start.
    """
    if case["status"] in FINAL_STATUSES or case["stage_deadline"] is None or case["stage_started_at"] is None:
        return [], None  # no clock runs (end state, suspended, no limit): nothing to watch
    due = []
    for level in _levels(case, ladder):
        if level.due_at > now:
            return due, level.due_at
        due.append(level)
    return due, None


def _fire(plans, now):
    """A mark per due level and an event per mark that was new, in one statement; returns what to announce.

    Event ids are drawn from the sequence first so that each mark names its event: the mark insert decides
    (ON CONFLICT DO NOTHING) and only the winners' events are written. The foreign key is checked at commit.
    """
    rows = [(case, level) for case, due, _next in plans for level in due]
    if not rows:
        return []
    event_ids = _reserve_event_ids(len(rows))
    data = [_event_data(level) for _case, level in rows]
    won = _insert_marks_and_events(rows, event_ids, data, now)
    return [
        {"mark_id": won[event_id], "case_id": case["id"], "event_id": event_id, "stage": case["stage"], **details}
        for (case, _level), event_id, details in zip(rows, event_ids, data, strict=True)
        if event_id in won
    ]


def _reserve_event_ids(count):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
            [CaseEvent._meta.db_table, count],
        )
        return [row[0] for row in cursor.fetchall()]


# Raw SQL because it is the hot path: building 10,000 CaseEvent objects costs more than the database's work.
# The event is an overlay (from_status = to_status, actor NULL, role "system"); a new CaseEvent column needs a
# database default or a place here (the sweep's tests would fail first).
FIRE_SQL = """
WITH v AS (
    SELECT * FROM unnest(
        %(event_id)s::bigint[], %(case_id)s::bigint[], %(stage)s::varchar[], %(started)s::timestamptz[],
        %(level)s::varchar[], %(due_at)s::timestamptz[], %(action)s::varchar[], %(status)s::varchar[],
        %(deadline)s::timestamptz[], %(department)s::bigint[], %(region_path)s::varchar[], %(data)s::jsonb[]
    ) AS v(event_id, case_id, stage, started, level, due_at, action, status, deadline, department, region_path, data)
), won AS (
    INSERT INTO {marks} (case_id, stage, stage_started_at, level, due_at, fired_at, event_id)
    SELECT case_id, stage, started, level, due_at, %(now)s, event_id FROM v
    ON CONFLICT (case_id, stage, stage_started_at, level) DO NOTHING
    RETURNING event_id, id
), events AS (
    INSERT INTO {events} (id, case_id, action, from_status, to_status, actor_id, actor_role, at, note, data, stage,
                          stage_deadline, stage_met, department_id, region_path)
    SELECT v.event_id, v.case_id, v.action, v.status, v.status, NULL, %(role)s, %(now)s, '', v.data, v.stage,
           v.deadline, NULL, v.department, v.region_path
    FROM won JOIN v USING (event_id)
)
SELECT event_id, id FROM won
"""


def _insert_marks_and_events(rows, event_ids, data, now):
    """Insert the marks that do not exist yet and their events; returns {event id: mark id} of those inserted."""
    columns = {
        "event_id": event_ids,
        "case_id": [case["id"] for case, _level in rows],
        "stage": [case["stage"] for case, _level in rows],
        "started": [case["stage_started_at"] for case, _level in rows],
        "level": [level.name for _case, level in rows],
        "due_at": [level.due_at for _case, level in rows],
        "action": [ESCALATION_ACTION if level.step else ACTION_OF_LEVEL[level.name] for _case, level in rows],
        "status": [case["status"] for case, _level in rows],
        "deadline": [case["stage_deadline"] for case, _level in rows],
        "department": [case["lead_department_id"] for case, _level in rows],
        "region_path": [case["region_path"] for case, _level in rows],
        "data": [json.dumps(details) for details in data],
    }
    sql = FIRE_SQL.format(marks=TimerMark._meta.db_table, events=CaseEvent._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(sql, {**columns, "now": now, "role": SYSTEM_ROLE})
        return dict(cursor.fetchall())


def _event_data(level):
    data = {"level": level.name, "percent": level.percent, "due_at": level.due_at.isoformat()}
    step = level.step
    if step is not None:
        data.update(
            over_limit_percent=step.percent,
            notify=step.targets,
            lift_to_city=step.lift_to_city,
            propose_supervision=step.propose_supervision,
        )
    return data


def _advance(plans, now):
    """One UPDATE for the batch: timer_due_at to the next instant (NULL after the last), overdue once it is.

    The rows are locked by this transaction, so no condition beyond the id is needed: nobody changed them.
    """
    ids, nexts, overdue = [], [], []
    for case, due, next_at in plans:
        ids.append(case["id"])
        nexts.append(next_at)
        overdue.append(any(level.name == OVERDUE for level in due))
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            UPDATE {Case._meta.db_table} AS c
            SET timer_due_at = v.next_at,
                overdue = c.overdue OR v.overdue,
                updated_at = CASE WHEN v.overdue AND NOT c.overdue THEN %s ELSE c.updated_at END
            FROM unnest(%s::bigint[], %s::timestamptz[], %s::boolean[]) AS v(id, next_at, overdue)
            WHERE c.id = v.id
            """,  # noqa: S608 - the table name is ours; every value is a parameter
            [now, ids, nexts, overdue],
        )


MESSAGE_FIELDS = ("mark_id", "case_id", "event_id", "level", "stage", "percent")


def _announce(fired, result=None):
    """After commit: lift the cases whose step says so, send `timers_fired` for the batch, record the announcement.

    When the lift or a receiver fails, the marks stay unannounced and a later sweep announces them again
    (after ANNOUNCE_GRACE; both steps are idempotent), so one failure never loses a batch's effects.
    """
    if not fired:
        return
    started = time.perf_counter()
    lifted = _lift_to_city([item["case_id"] for item in fired if item.get("lift_to_city")])
    marks = [
        {
            **{name: item[name] for name in MESSAGE_FIELDS},
            "notify": tuple(item.get("notify", ())),
            "lift_to_city": item.get("lift_to_city", False),
            "propose_supervision": item.get("propose_supervision", False),
        }
        for item in fired
    ]
    # send_robust: a failing receiver must not keep the others (or the sweep) from their work; Django logs it.
    responses = timers_fired.send_robust(sender=TimerMark, marks=marks)
    if lifted is None or any(isinstance(response, Exception) for _receiver, response in responses):
        logger.warning("announcing %s timer marks failed; a later sweep announces them again", len(fired))
    else:
        TimerMark.objects.filter(pk__in=[item["mark_id"] for item in fired]).update(announced_at=timezone.now())
    if result is not None:
        result.lifted += lifted or 0
        result.announce_ms += (time.perf_counter() - started) * 1000


def _lift_to_city(case_ids) -> int | None:
    """Lift the cases to the city command level; how many this call lifted (a case lifted before is not), or
    None when it failed."""
    if not case_ids:
        return 0
    from dispatch.services.routing import routing_escalate_many_to_city

    try:
        return len(routing_escalate_many_to_city(case_ids=case_ids))
    except Exception:  # a routing problem must not keep the notifications from going out
        logger.exception("lifting %s cases to the city command level failed", len(case_ids))
        return None


def _reannounce(*, now, batch, result):
    """Announce marks a crash left unannounced (older than ANNOUNCE_GRACE): at-least-once for receivers.

    The probe reads the partial index timer_mark_unannounced, which is empty in normal operation.
    """
    stale = (
        TimerMark.objects.filter(announced_at__isnull=True, fired_at__lt=now - ANNOUNCE_GRACE)
        .select_related("event")
        .select_for_update(of=("self",), skip_locked=True)
        .order_by("fired_at", "id")
    )
    count, after = 0, Q()
    while True:
        with transaction.atomic():
            # Keyset paging: marks whose announcement fails again stay unannounced and are not read twice here.
            marks = list(stale.filter(after)[:batch])
            if marks:
                last = marks[-1]
                after = Q(fired_at__gt=last.fired_at) | Q(fired_at=last.fired_at, id__gt=last.pk)
            fired = [
                {"mark_id": m.pk, "case_id": m.case_id, "event_id": m.event_id, "stage": m.stage, **m.event.data}
                for m in marks
            ]
            _announce(fired, result)
        count += len(marks)
        if len(marks) < batch:
            return count
