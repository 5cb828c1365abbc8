"""Starting a stage: its limit looked up in the catalogue (handling) or the step limits, then the clock started."""

from cases.clock import STEP_OF_STAGE, WORKING, clock_of, limit_duration, stage_begin
from cases.models import Stage, StepLimit, TimeLimit


def stage_limit(case, stage, start):
    """(budget, clock) of `stage` for this case from the catalogue (handling) or the step limits; (None, "")."""
    if stage == Stage.HANDLING:
        condition = case.filing_condition
        limit = TimeLimit.objects.filter(
            filing_condition=condition, urgency=case.urgency, area_class=case.region.area_class
        ).first()
        base = condition.clock if limit is not None else ""
    else:
        limit = StepLimit.objects.filter(step=STEP_OF_STAGE[stage]).first()
        base = WORKING
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
