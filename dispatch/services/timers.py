"""The timer sweep: warning (预警), overdue (超期) and the escalation ladder, fired from the database.

A running stage has its levels at known instants, all from the stage clock (cases/clock.py): the warning point
(80 % of the budget used), the deadline, then one instant per active escalation step (deadline + percent × budget,
counted on the stage's clock).
`CaseTimer.due_at` (cases.models) is the next of them still to look at: one narrow row per running clock, set
to the warning point by the stage clock (a trigger copies `Case.timer_due_at`), behind a partial index, so a
sweep with nothing due is one index probe however many cases are open.

The sweep claims due timers with their cases in short transactions (FOR UPDATE SKIP LOCKED on both rows: two
sweeps share the work, never a case; a case being transitioned is skipped and seen next time), then in one
statement inserts a mark per level that became due (ON CONFLICT DO NOTHING: an existing mark means the effect
already happened), one event per new mark and one follow-up row for the batch's new marks
(dispatch.services.followup), and moves the timers on, raising their overdue flag at the deadline. The case row
is only read (and locked): firing never rewrites it and its twenty indexes. That is all the sweep does: the
announcing (the cases whose step says so lifted to the city level, then one `timers_fired` signal, i.e. the
notifications) is the follow-up's work, on the `followup` queue right after the commit, or the repair sweep's
after a crash. A crash rolls back the batch in flight and the next sweep redoes it; marks committed earlier
keep everything that already happened from happening again. For the same reason a batch's commit does not wait
for the disk (see _commit_without_waiting_for_the_disk).
"""

import json
import logging
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from cases.clock import WARN_FRACTION, escalation_at
from cases.models import FINAL_STATUSES, CaseEvent, CaseTimer
from cases.services.feed import feed_publish
from cases.workflow import SYSTEM_ROLE
from cases.worktime import work_calendar
from dispatch.models import EscalationStep, FollowUp, FollowUpKind, FollowUpState, TimerMark
from dispatch.models.timers import ESCALATION_PREFIX, OVERDUE, WARNING
from dispatch.services.followup import followup_kick_on_commit, grace
from dispatch.signals import timers_fired

logger = logging.getLogger(__name__)

ACTION_OF_LEVEL = {WARNING: "timer_warning", OVERDUE: "timer_overdue"}
ESCALATION_ACTION = "timer_escalation"
WARNING_PERCENT = int(WARN_FRACTION * 100)
CASE_FIELDS = (
    "status", "stage", "stage_started_at", "stage_warn_at", "stage_deadline", "stage_budget", "stage_clock",
    "lead_department_id", "region_path",
)  # fmt: skip
# What a claim reads per timer: its case's clock, the case id as "id", the timer's instant as "timer_due_at".
CLAIMED = {
    "id": F("case_id"),
    "timer_due_at": F("due_at"),
    **{name: F(f"case__{name}") for name in CASE_FIELDS},
}


@dataclass(frozen=True)
class Level:
    """One timer level of a stage run: its name, instant, share of the limit used, and its ladder step."""

    name: str
    due_at: datetime
    percent: int
    step: EscalationStep | None = None


@dataclass
class SweepResult:
    """What one sweep did: cases claimed, new marks per level, follow-up rows written (one per batch), time."""

    now: datetime
    cases: int = 0
    batches: int = 0
    fired: Counter = field(default_factory=Counter)
    followups: list = field(default_factory=list)
    ms: float = 0.0

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
            "followups": self.followups,
            "ms": round(self.ms, 2),
        }


def timers_sweep(*, now: datetime | None = None, batch: int | None = None) -> SweepResult:
    """Fire every timer level due at `now` (default: now) exactly once; one transaction per `batch` cases.

    Side effects: TimerMark and CaseEvent rows, CaseTimer.due_at and .overdue, and a follow-up row per batch
    (`timers_announce` after the commit: lifts for steps that lift, one `timers_fired` signal for the batch's
    marks). Never changes a status.
    Call it outside a transaction, so that each batch commits (and is announced) on its own.
    """
    started = time.perf_counter()
    # Without an explicit instant each batch reads the clock again: a long sweep keeps up with what falls due
    # meanwhile, and each mark's fired_at is close to its commit (the re-announce grace counts from it).
    clock = timezone.now if now is None else (lambda: now)
    batch = batch or settings.TIMER_SWEEP_BATCH
    result = SweepResult(now=clock())
    ladder = _ladder_reader()
    after = None
    while True:
        claimed, after = _sweep_batch(now=clock(), batch=batch, ladder=ladder, result=result, after=after)
        if claimed < batch:
            break
    result.ms = (time.perf_counter() - started) * 1000
    return result


def _sweep_batch(*, now, batch, ladder, result, after=None):
    """One transaction: claim, fire, advance, and the follow-up that announces the batch. Returns the cases claimed
    and the latest instant claimed (where the next batch's index scan starts)."""
    with transaction.atomic():
        claimed = _claim(now=now, batch=batch, after=after)
        if not claimed:
            return 0, after
        _commit_without_waiting_for_the_disk()
        steps = ladder()
        plans = [(case, *_plan(case, steps, now)) for case in claimed]
        fired, followup = _fire(plans, now)
        if fired:
            event_ids, case_ids = [item[0] for item in fired], [item[1] for item in fired]
            transaction.on_commit(lambda: feed_publish(event_ids=event_ids, case_ids=case_ids))
        if followup is not None:
            followup_kick_on_commit([followup])
            result.followups.append(followup)
    result.cases += len(claimed)
    result.batches += 1
    result.fired.update(item[2] for item in fired)
    return len(claimed), claimed[-1]["timer_due_at"]


def _commit_without_waiting_for_the_disk():
    """This batch's commit returns before its WAL reaches the disk (synchronous_commit off, this transaction only).

    Sound because a batch lost that way is simply done again, completely and once:
    - everything the batch writes (marks, events, timers, its follow-up row) is in this one transaction, and the
      deadlines it works from are in the database: a crash in the short window (at most a few hundred
      milliseconds, until the WAL writer flushes) undoes the whole batch, as if it had never run, and the next
      sweep claims the same timers and fires the same levels (the marks are unique, nothing else remembers it);
    - the database replays its log in order, so a lost batch takes every later commit with it and no committed
      transaction can have built on it: whatever wrote after reading the batch (its follow-up's lifts and
      notifications, which commit synchronously) flushed the batch's commit with its own;
    - what left the transaction at its commit was only the fast path's hand-over of the follow-up id (a task that
      finds no such row does nothing; the redone batch writes and announces its own) and the live feed's wake-up
      (a screen may show a timer event that the redone batch writes again).
    """
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL synchronous_commit TO OFF")


class Ladder:
    """The active escalation steps of one sweep, and each step's instant for a deadline, computed once.

    Many due cases share a deadline, budget and clock (the same limits, started the same minute): the calendar
    arithmetic of an escalation instant is done once per sweep for them all, on the calendar of the sweep's start.
    """

    def __init__(self, steps):
        self.steps = steps
        self.calendar = work_calendar()
        self._instants = {}

    def __iter__(self):
        return iter(self.steps)

    def instant(self, *, deadline, budget, step, clock):
        key = (deadline, budget, step.percent, clock)
        at = self._instants.get(key)
        if at is None:
            at = escalation_at(
                deadline=deadline, budget=budget, percent=step.percent, clock=clock, calendar=self.calendar
            )
            self._instants[key] = at
        return at


def _ladder_reader():
    """The ladder, read once per sweep and only when something is due."""
    ladder = None

    def read():
        nonlocal ladder
        if ladder is None:
            ladder = Ladder(list(EscalationStep.objects.filter(active=True).order_by("percent")))
        return ladder

    return read


def _claim(*, now, batch, after=None):
    """Lock up to `batch` due timers and their cases, earliest first; a timer or case locked by another sweep or a
    transition is skipped.

    The filter and the order match the partial index case_timer_due_at: an index range scan that stops at `now`.
    A later batch of the same sweep starts where the previous one ended (`after`): the index entries of the
    timers it just moved on are dead until vacuumed, and scanning them again made each batch slower than the one
    before. (A case skipped as locked behind that point is the next sweep's.)
    """
    due = due_cases(now)
    if after is not None:
        due = due.filter(due_at__gte=after)
    return list(due.values(**CLAIMED)[:batch])


def due_cases(now):
    """The timers due at `now` with their cases, earliest first, to be locked skipping rows locked elsewhere.

    Both rows are locked: the case's, as a transition locks it before changing the clock (so the clock read here
    is the one that stays until the commit), and the timer's, which the batch moves on.
    """
    return (
        CaseTimer.objects.filter(due_at__lte=now)
        .order_by("due_at")
        .select_for_update(skip_locked=True, of=("self", "case"))
    )


def _levels(case, ladder):
    """The levels of the case's running stage in order; lazy, as escalation instants cost calendar arithmetic."""
    if case["stage_warn_at"] is not None:
        yield Level(WARNING, case["stage_warn_at"], WARNING_PERCENT)
    deadline = case["stage_deadline"]
    yield Level(OVERDUE, deadline, 100)
    budget = case["stage_budget"] or timedelta(0)
    for step in ladder:
        at = ladder.instant(deadline=deadline, budget=budget, step=step, clock=case["stage_clock"])
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
    """One statement for the batch: a mark per due level, an event per mark that was new, the batch's follow-up row
    and every claimed timer moved on; returns (the new marks as (event id, case id, level), the follow-up's id or
    None when no mark was new).

    Event ids are drawn from the sequence in the statement, before the marks, so that each mark names its event:
    the mark insert decides (ON CONFLICT DO NOTHING) and only the winners' events are written.
    """
    # One array element per value, quoted once per case (a case fires 2.4 levels on average) and once per instant
    # (many due cases share one); the columns are the transposed rows.
    instants = _Instants()
    rows = []
    for case, due, _next in plans:
        if due:
            head = (
                str(case["id"]),
                _text(case["stage"]),
                instants[case["stage_started_at"]],
                _text(case["status"]),
                instants[case["stage_deadline"]],
                _int(case["lead_department_id"]),
                _text(case["region_path"]),
            )
            rows.extend((*head, *_level_elements(level, instants)) for level in due)
    transposed = zip(*rows, strict=True) if rows else ((),) * len(FIRE_COLUMNS)
    columns = {name: _array(column) for name, column in zip(FIRE_COLUMNS, transposed, strict=True)}
    # The timers: each to its next instant (NULL after the last), overdue once the deadline's level fired.
    columns["timer"] = _array(str(case["id"]) for case, _due, _next in plans)
    columns["next_at"] = _array(instants[next_at] for _case, _due, next_at in plans)
    columns["overdue"] = _array("t" if any(lv.name == OVERDUE for lv in due) else "f" for _case, due, _next in plans)
    followup = {
        "kind": FollowUpKind.TIMERS.value,
        "pending": FollowUpState.PENDING.value,
        "next": timezone.now() + grace(),
    }
    with connection.cursor() as cursor:
        cursor.execute(_fire_sql(), {**columns, **followup, "now": now, "role": SYSTEM_ROLE})
        won = cursor.fetchall()
    return [(event_id, case_id, level) for event_id, case_id, level, _f in won], (won[0][3] if won else None)


FIRE_COLUMNS = (
    "case_id", "stage", "started", "status", "deadline", "department", "region_path", "level", "due_at", "action",
    "data",
)  # fmt: skip
# Raw SQL because it is the hot path: building 10,000 CaseEvent objects costs more than the database's work, and
# the values go as one array literal per column (2,400 × 11 values bound one by one cost ~30 ms more CPU a batch).
# The event is an overlay (from_status = to_status, actor NULL, role "system"); a new CaseEvent column needs a
# database default or a place here (the sweep's tests would fail first). The timers' update runs whatever the
# inserts find (a stale timer fires nothing and is still moved on); the case row is only read (and locked).
FIRE_SQL = """
WITH v AS MATERIALIZED (
    SELECT nextval((SELECT pg_get_serial_sequence('{events}', 'id'))::regclass) AS event_id, v.*
    FROM unnest(
        %(case_id)s::bigint[], %(stage)s::varchar[], %(started)s::timestamptz[], %(level)s::varchar[],
        %(due_at)s::timestamptz[], %(action)s::varchar[], %(status)s::varchar[], %(deadline)s::timestamptz[],
        %(department)s::bigint[], %(region_path)s::varchar[], %(data)s::jsonb[]
    ) AS v(case_id, stage, started, level, due_at, action, status, deadline, department, region_path, data)
), won AS (
    INSERT INTO {marks} (case_id, stage, stage_started_at, level, due_at, fired_at, event_id)
    SELECT case_id, stage, started, level, due_at, %(now)s, event_id FROM v
    ON CONFLICT (case_id, stage, stage_started_at, level) DO NOTHING
    RETURNING event_id, id, case_id, level
), events AS (
    INSERT INTO {events} (id, case_id, action, from_status, to_status, actor_id, actor_role, at, note, data, stage,
                          stage_deadline, stage_met, department_id, region_path)
    SELECT v.event_id, v.case_id, v.action, v.status, v.status, NULL, %(role)s, %(now)s, '', v.data, v.stage,
           v.deadline, NULL, v.department, v.region_path
    FROM won JOIN v USING (event_id)
), followup AS (
    INSERT INTO {followups} (kind, payload, key, state, attempts, next_attempt_at, last_error, created_at)
    SELECT %(kind)s, jsonb_build_object('marks', jsonb_agg(id ORDER BY id)), %(kind)s || ':' || min(event_id),
           %(pending)s, 0, %(next)s, '', %(now)s
    FROM won HAVING count(*) > 0
    RETURNING id
), moved AS (
    UPDATE {timers} AS t SET due_at = m.next_at, overdue = t.overdue OR m.overdue
    FROM unnest(%(timer)s::bigint[], %(next_at)s::timestamptz[], %(overdue)s::boolean[]) AS m(id, next_at, overdue)
    WHERE t.case_id = m.id
)
SELECT won.event_id, won.case_id, won.level, (SELECT id FROM followup) FROM won
"""


def _fire_sql():
    return FIRE_SQL.format(
        marks=TimerMark._meta.db_table,
        events=CaseEvent._meta.db_table,
        followups=FollowUp._meta.db_table,
        timers=CaseTimer._meta.db_table,
    )


def _array(elements):
    """A PostgreSQL array literal of elements already quoted (or numbers, booleans, NULL)."""
    return "{" + ",".join(elements) + "}"


def _int(value):
    return "NULL" if value is None else str(value)


def _text(value):
    """A string (never NULL here) as an array element: quoted, with backslashes and double quotes escaped."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


class _Instants(dict):
    """Instants as array elements, each written once per batch."""

    def __missing__(self, value):
        element = self[value] = "NULL" if value is None else f'"{value.isoformat()}"'
        return element


def _level_elements(level, instants):
    """A level's array elements: its name, instant, event action and event data."""
    name_and_action = _LEVEL_TEXTS.get(level.name)
    if name_and_action is None:
        action = ESCALATION_ACTION if level.step else ACTION_OF_LEVEL[level.name]
        name_and_action = _LEVEL_TEXTS[level.name] = (_text(level.name), _text(action))
    due_at = instants[level.due_at]
    return name_and_action[0], due_at, name_and_action[1], _text(_event_json(level, due_at[1:-1]))


_LEVEL_TEXTS = {}


def _event_data(level):
    """The event's data: the level, the share of the limit used, when it was due and the step's effects."""
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


def _event_json(level, due_at=None):
    """`_event_data(level)` as the JSON text json.dumps writes, without a dict and an encoding per event (10,000 due
    cases are 24,000 events): the level's name and instant need no escaping, the step's part is encoded once.
    `due_at`: the instant's isoformat, when the caller has it."""
    due_at = due_at or level.due_at.isoformat()
    head = f'{{"level": "{level.name}", "percent": {level.percent}, "due_at": "{due_at}"'
    return head + (_step_json(level.step) if level.step is not None else "}")


def _step_json(step):
    key = (step.percent, tuple(step.targets), step.lift_to_city, step.propose_supervision)
    text = _STEP_JSON.get(key)
    if text is None:
        whole = json.dumps(_event_data(Level("", timezone.now(), 0, step)))
        text = _STEP_JSON[key] = ", " + whole[whole.index('"over_limit_percent"') :]
    return text


_STEP_JSON = {}


MESSAGE_FIELDS = ("mark_id", "case_id", "event_id", "level", "stage", "percent")


def timers_announce(*, mark_ids) -> int:
    """Announce fired marks (the follow-up a sweep batch wrote): lift the cases whose step says so, send
    `timers_fired` for them, record the announcement. Returns how many cases this lifted.

    Runs in the follow-up's transaction: a failing lift or receiver rolls everything back and the follow-up is
    retried; both are idempotent, so a retry after a lost commit changes nothing.
    """
    marks = list(
        TimerMark.objects.filter(pk__in=mark_ids)
        .order_by("id")
        .values("id", "case_id", "event_id", "stage", "level", "event__data")
    )
    if not marks:
        return 0
    lift = [m["case_id"] for m in marks if m["event__data"].get("lift_to_city")]
    lifted = _lift_to_city(lift)
    message = [
        {
            "mark_id": m["id"],
            "case_id": m["case_id"],
            "event_id": m["event_id"],
            "level": m["level"],
            "stage": m["stage"],
            "percent": m["event__data"].get("percent"),
            "notify": tuple(m["event__data"].get("notify", ())),
            "lift_to_city": m["event__data"].get("lift_to_city", False),
            "propose_supervision": m["event__data"].get("propose_supervision", False),
        }
        for m in marks
    ]
    timers_fired.send(sender=TimerMark, marks=message)
    TimerMark.objects.filter(pk__in=[m["id"] for m in marks], announced_at__isnull=True).update(
        announced_at=timezone.now()
    )
    return lifted


def _lift_to_city(case_ids) -> int:
    """Lift the cases to the city command level; how many this call lifted (a case lifted before is not)."""
    if not case_ids:
        return 0
    from dispatch.services.routing import routing_escalate_many_to_city

    return len(routing_escalate_many_to_city(case_ids=case_ids))
