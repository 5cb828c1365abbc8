"""Starting a stage: its limit looked up in the catalogue (handling) or the step limits, then the clock started.

The case's urgency policy (UrgencyPolicy, data) says which clock each kind of stage runs on and may give the
centre's steps limits of their own; it is read whenever a stage starts, so an edit reaches new stages only. A
worker making many cases in a row (the sensing run, one batch of detections) may read the policies and step limits
once for the batch (`stage_settings_kept`): an edit then reaches the stages started from its next batch.
"""

import contextlib
import contextvars

from django.db import connection

from cases.clock import STEP_OF_STAGE, WORKING, clock_of, limit_duration, stage_begin
from cases.models import HandlingClock, Stage, StepLimit, TimeLimit, UrgencyPolicy, UrgencyStepLimit, handling_urgencies

_kept = contextvars.ContextVar("stage_settings_kept", default=None)


@contextlib.contextmanager
def stage_settings_kept():
    """Within the block, each urgency policy and step limit is read once (a few small rows, read for every stage
    started otherwise: two per new case, and the emergency check of each event)."""
    token = _kept.set({})
    try:
        yield
    finally:
        _kept.reset(token)


def _once(key, read):
    kept = _kept.get()
    if kept is None:
        return read()
    if key not in kept:
        kept[key] = read()
    return kept[key]


def urgency_policy(urgency: str) -> UrgencyPolicy:
    """The policy of `urgency`; an urgency without a row runs like a normal one (working time, no alert)."""
    policy = _once(("policy", urgency), lambda: UrgencyPolicy.objects.filter(urgency=urgency).first())
    return policy if policy is not None else UrgencyPolicy(urgency=urgency)


def case_urgency_policy(case) -> UrgencyPolicy:
    """`urgency_policy(case.urgency)`, read once per case object and urgency: a stage start and the emergency check
    of the same action (intake, registration) ask for it one after the other."""
    known = getattr(case, "_urgency_policy", None)
    if known is None or known.urgency != case.urgency:
        known = case._urgency_policy = urgency_policy(case.urgency)
    return known


def _handling_limit(case):
    urgencies = handling_urgencies(case.urgency)
    limits = {
        limit.urgency: limit
        for limit in TimeLimit.objects.filter(
            filing_condition=case.filing_condition, urgency__in=urgencies, area_class=case.region.area_class
        )
    }
    return next((limits[u] for u in urgencies if u in limits), None)


def _step_limit(policy, step):
    if policy.pk is not None:
        own = _once(("own", policy.pk, step), lambda: UrgencyStepLimit.objects.filter(policy=policy, step=step).first())
        if own is not None:
            return own
    return _once(("step", step), lambda: StepLimit.objects.filter(step=step).first())


# The policy of an urgency with its own limit of a step and the general limit of that step, in one statement: what
# `urgency_policy` and `_step_limit` read in three (a step started outside `stage_settings_kept`, e.g. intake).
POLICY_AND_STEP_LIMIT_SQL = """
SELECT p.id, p.urgency, p.step_clock, p.handling_clock, p.alert, o.id, o.value, o.unit, s.id, s.value, s.unit
FROM (SELECT 1) AS one
LEFT JOIN {policy} AS p ON p.urgency = %(urgency)s
LEFT JOIN {own} AS o ON o.policy_id = p.id AND o.step = %(step)s
LEFT JOIN {step} AS s ON s.step = %(step)s
"""
POLICY_COLUMNS = ("id", "urgency", "step_clock", "handling_clock", "alert")


def _policy_and_step_limit(urgency, step):
    """(policy, limit) as `urgency_policy(urgency)` and `_step_limit(policy, step)` give them, read in one query."""
    sql = POLICY_AND_STEP_LIMIT_SQL.format(
        policy=UrgencyPolicy._meta.db_table, own=UrgencyStepLimit._meta.db_table, step=StepLimit._meta.db_table
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, {"urgency": urgency, "step": step})
        row = cursor.fetchone()
    policy_row, own_row, step_row = row[:5], row[5:8], row[8:]
    if policy_row[0] is None:
        policy = UrgencyPolicy(urgency=urgency)
    else:
        policy = UrgencyPolicy.from_db(connection.alias, POLICY_COLUMNS, policy_row)
    limit = None
    if own_row[0] is not None:
        limit = UrgencyStepLimit.from_db(connection.alias, ("id", "value", "unit"), own_row)
        limit.policy_id, limit.step = policy.pk, step
    elif step_row[0] is not None:
        limit = StepLimit.from_db(connection.alias, ("id", "value", "unit"), step_row)
        limit.step = step
    return policy, limit


def stage_limit(case, stage, start):
    """(budget, clock) of `stage` for this case from the catalogue (handling) or the step limits; (None, "")."""
    known = getattr(case, "_urgency_policy", None)
    if stage != Stage.HANDLING and _kept.get() is None and (known is None or known.urgency != case.urgency):
        policy, limit = _policy_and_step_limit(case.urgency, STEP_OF_STAGE[stage])
        case._urgency_policy = policy
        base = policy.step_clock or WORKING
    elif stage == Stage.HANDLING:
        policy = case_urgency_policy(case)
        limit = _handling_limit(case)
        base = policy.handling_clock
        if base == HandlingClock.CONDITION:
            base = case.filing_condition.clock
    else:
        policy = case_urgency_policy(case)
        limit = _step_limit(policy, STEP_OF_STAGE[stage])
        base = policy.step_clock or WORKING
    if limit is None:
        return None, ""
    clock = clock_of(unit=limit.unit, clock=base)
    return limit_duration(start=start, value=limit.value, unit=limit.unit, clock=clock), clock


def stage_start(case, stage, now):
    """Start `stage` afresh at `now` with its full limit (no limit configured: no clock)."""
    case.stage = stage
    case.stage_started_at = now
    budget, clock = stage_limit(case, stage, now)
    stage_begin(case, now, budget, clock)
