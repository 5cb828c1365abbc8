"""The stage clock of a case: start, pause (挂账), resume, extend, stop — in working or natural time.

Every change recomputes two instants, the deadline and the warning point (80 % used), so the
traffic light is a comparison with "now" that SQL can do too (`stage_deadline < now()` is red).
"""

from datetime import timedelta

from django.utils.translation import gettext as _

from cases.models import Clock, Stage, StepLimit, TimeLimit, TimeUnit
from cases.worktime import WARN_FRACTION, add_time, elapsed, limit_duration, work_calendar

STEP_OF_STAGE = {
    Stage.ACCEPT: "accept",
    Stage.VERIFY: "verify",
    Stage.REGISTER: "register",
    Stage.DISPATCH: "dispatch",
    Stage.CHECK: "check",
    Stage.CLOSE: "close",
}


def clock_add(start, minutes, clock):
    """`start` plus `minutes` (negative: minus) of the given clock."""
    if minutes >= 0:
        return add_time(start=start, duration=timedelta(minutes=minutes), clock=clock)
    if clock == Clock.NATURAL:
        return start + timedelta(minutes=minutes)
    return work_calendar().shift(start, timedelta(minutes=minutes))


def clock_between(a, b, clock):
    """Whole minutes of the given clock from `a` to `b` (zero when b is not after a)."""
    return max(clock_signed(a, b, clock), 0)


def clock_signed(a, b, clock):
    """Minutes of the given clock from `a` to `b`, negative when b is before a."""
    return int(elapsed(start=a, now=b, clock=clock) // timedelta(minutes=1))


def limit_minutes(value, unit, start, clock):
    """A configured limit as minutes of its clock; a working day is the length of that day's working periods."""
    return int(limit_duration(start=start, value=value, unit=unit, clock=clock) // timedelta(minutes=1))


def stage_limit(case, stage, start):
    """(minutes, clock) of `stage` for this case, from the catalogue (handling) or the step limits."""
    if stage == Stage.HANDLING:
        condition = case.filing_condition
        limit = TimeLimit.objects.filter(
            filing_condition=condition, urgency=case.urgency, area_class=case.region.area_class
        ).first()
        if limit is None:
            return None, ""
        clock = Clock.NATURAL if limit.unit == TimeUnit.NATURAL_HOUR else condition.clock
        return limit_minutes(limit.value, limit.unit, start, clock), clock
    step = StepLimit.objects.filter(step=STEP_OF_STAGE[stage]).first()
    if step is None:
        return None, ""
    clock = Clock.NATURAL if step.unit == TimeUnit.NATURAL_HOUR else Clock.WORKING
    return limit_minutes(step.value, step.unit, start, clock), clock


def _set_running(case, now, remaining):
    """Deadline after `remaining` minutes from `now`; the warning when 20 % of the whole limit is left."""
    total = case.stage_limit_minutes
    case.stage_deadline = clock_add(now, remaining, case.stage_clock)
    warn_left = int(total * (1 - WARN_FRACTION))
    case.stage_warn_at = clock_add(now, min(max(remaining - warn_left, 0), remaining), case.stage_clock)
    case.stage_remaining_minutes = None
    case.timer_due_at = case.stage_warn_at


def stage_start(case, stage, now):
    """Start `stage` afresh at `now` with its full limit (no limit configured: no clock)."""
    case.stage = stage
    case.stage_started_at = now
    case.overdue = False
    minutes, clock = stage_limit(case, stage, now)
    case.stage_limit_minutes, case.stage_clock = minutes, clock
    if minutes is None:
        case.stage_deadline = case.stage_warn_at = case.timer_due_at = None
        return
    _set_running(case, now, minutes)


def stage_pause(case, now):
    """Stop the clock (approved suspension), remembering what is left (negative: how far overdue it was)."""
    if case.stage_deadline is None:
        return
    case.stage_remaining_minutes = clock_signed(now, case.stage_deadline, case.stage_clock)
    case.overdue = case.stage_remaining_minutes < 0
    case.stage_deadline = case.stage_warn_at = case.timer_due_at = None


def stage_resume(case, now):
    """Restart the clock from where it stopped."""
    if case.stage_remaining_minutes is None:
        return
    _set_running(case, now, case.stage_remaining_minutes)


def stage_extend(case, now, extra):
    """Add approved working time (a timedelta) to the running stage (the limit grows by as much)."""
    if case.stage_deadline is None:
        return
    minutes = int(extra // timedelta(minutes=1))
    remaining = clock_signed(now, case.stage_deadline, case.stage_clock)
    case.stage_limit_minutes += minutes
    _set_running(case, now, remaining + minutes)
    case.overdue = now > case.stage_deadline


def stage_stop(case):
    """No clock runs in an end state."""
    case.stage = ""
    case.stage_deadline = case.stage_warn_at = case.timer_due_at = None
    case.stage_remaining_minutes = None


def describe_remaining(case, now):
    """A short human text for the countdown: "3 working hours 20 min left" or "overdue by …"."""
    if case.stage_deadline is None:
        return _("clock stopped") if case.stage_remaining_minutes is not None else ""
    if now <= case.stage_deadline:
        minutes = clock_between(now, case.stage_deadline, case.stage_clock)
        template = _("%(h)d h %(m)d min left")
    else:
        minutes = clock_between(case.stage_deadline, now, case.stage_clock)
        template = _("overdue by %(h)d h %(m)d min")
    return template % {"h": minutes // 60, "m": minutes % 60}
