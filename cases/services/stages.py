"""Starting a stage: its limit looked up in the catalogue (handling) or the step limits, then the clock started.

The case's urgency policy (UrgencyPolicy, data) says which clock each kind of stage runs on and may give the
centre's steps limits of their own; it is read whenever a stage starts, so an edit reaches new stages only. A
worker making many cases in a row (the sensing run, one batch of detections) may read the policies and step limits
once for the batch (`stage_settings_kept`): an edit then reaches the stages started from its next batch.
"""

import contextlib
import contextvars

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


def stage_limit(case, stage, start):
    """(budget, clock) of `stage` for this case from the catalogue (handling) or the step limits; (None, "")."""
    policy = case_urgency_policy(case)
    if stage == Stage.HANDLING:
        limit = _handling_limit(case)
        base = policy.handling_clock
        if base == HandlingClock.CONDITION:
            base = case.filing_condition.clock
    else:
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
