"""The stage clock: the one place that times a case's stage against its limit (DOMAIN §5).

Everything about a stage's time lives here and every consumer asks it: limit → budget, start, pause (挂账),
resume, extend (延期), stop, the warning instant (exactly 80 % of the budget used), the deadline, remaining and
used time, overdue, the traffic light (in Python and as a queryset filter, side by side) and the countdown
text. The arithmetic is exact to the microsecond; the working calendar itself is `cases.worktime`.

The running state is kept on the case row, so the light is a comparison with "now" that SQL can do too:
`stage_deadline` and `stage_warn_at` while the clock runs; `stage_remaining` (negative when overdue) while it
stands still; `stage_budget` (the limit plus approved extensions) throughout.

The rules (`run_from`, `pause_at`, `extend_by`, `until_warning`) take a `Timeline`, the arithmetic of one
clock; the load generator passes its tabulated minute timeline to the very same rules.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from fractions import Fraction

from django.db.models import Q
from django.utils.translation import gettext as _

from cases.models.status import Light
from cases.worktime import CalendarError, WorkCalendar, work_calendar

# The values of cases.models.Clock and TimeUnit; compared as strings so that models may import this module.
WORKING = "working"
NATURAL = "natural"
WORKING_HOUR = "working_hour"
WORKING_DAY = "working_day"
NATURAL_HOUR = "natural_hour"
NATURAL_MINUTE = "natural_minute"

# DOMAIN §5: green below 80 % of the limit used, yellow (预警) from 80 % to 100 %, red (超期) beyond.
WARN_FRACTION = Fraction(4, 5)

# The timed steps of the centre and the step limit (StepLimit.step) each reads; handling reads TimeLimit.
STEP_OF_STAGE = {
    "accept": "accept",
    "verify": "verify",
    "register": "register",
    "dispatch": "dispatch",
    "check": "check",
    "close": "close",
}

_US = timedelta(microseconds=1)
_HOUR_US = 3_600_000_000
_MINUTE_US = 60_000_000
ZERO = timedelta(0)


# ---- the calendar's time, per clock ----


def _is_natural(clock: str) -> bool:
    if clock not in (WORKING, NATURAL):
        raise CalendarError(f"unknown clock {clock!r}")
    return clock == NATURAL


def _calendar(calendar: WorkCalendar | None) -> WorkCalendar:
    return calendar if calendar is not None else work_calendar()


def hours_duration(hours: Decimal | int | float | str) -> timedelta:
    """`hours` (e.g. Decimal("1.01")) as an exact duration: 1.01 h is 1 h 0 min 36 s, not 60 minutes."""
    return timedelta(microseconds=int(Decimal(str(hours)) * _HOUR_US))


def budget_of(*, value: Decimal | int | float | str, unit: str, clock: str, day: timedelta) -> timedelta:
    """A (value, unit) limit as time of its clock, given the length of one working day where counting begins."""
    amount = Decimal(str(value))
    if unit in (WORKING_HOUR, NATURAL_HOUR):
        return timedelta(microseconds=int(amount * _HOUR_US))
    if unit == NATURAL_MINUTE:
        return timedelta(microseconds=int(amount * _MINUTE_US))
    if unit != WORKING_DAY:
        raise CalendarError(f"unknown time unit {unit!r}")
    if _is_natural(clock):
        return timedelta(microseconds=int(amount * 24 * _HOUR_US))
    return timedelta(microseconds=int(amount * (day // _US)))


def limit_duration(
    *, start: datetime, value: Decimal | int | float | str, unit: str, clock: str, calendar: WorkCalendar | None = None
) -> timedelta:
    """The budget of a limit: working_day is value × the working day counting begins on (24 h on a natural clock)."""
    day = ZERO
    if unit == WORKING_DAY and not _is_natural(clock):
        day = _calendar(calendar).working_day_length_at(start)
    return budget_of(value=value, unit=unit, clock=clock, day=day)


def clock_of(*, unit: str, clock: str) -> str:
    """The clock a limit runs on: limits in natural hours or minutes always run on natural time."""
    return NATURAL if unit in (NATURAL_HOUR, NATURAL_MINUTE) or _is_natural(clock) else WORKING


def add_time(*, start: datetime, duration: timedelta, clock: str, calendar: WorkCalendar | None = None) -> datetime:
    """`start` + `duration` on the given clock (negative: backwards; plain arithmetic on the natural clock)."""
    if _is_natural(clock):
        return start + duration
    return _calendar(calendar).shift(start, duration)


def elapsed(*, start: datetime, now: datetime, clock: str, calendar: WorkCalendar | None = None) -> timedelta:
    """Time of the clock from `start` to `now` (signed: negative when now < start)."""
    if _is_natural(clock):
        return now - start
    return _calendar(calendar).working_time_between(start, now)


def deadline_for(
    *, start: datetime, value: Decimal | int | float | str, unit: str, clock: str, calendar: WorkCalendar | None = None
) -> datetime:
    """The deadline of a (value, TimeUnit) limit counted from `start` on the filing condition's clock."""
    budget = limit_duration(start=start, value=value, unit=unit, clock=clock, calendar=calendar)
    return add_time(start=start, duration=budget, clock=clock_of(unit=unit, clock=clock), calendar=calendar)


@dataclass(frozen=True)
class Timeline:
    """The arithmetic of one clock on aware datetimes and timedeltas, exact to the microsecond."""

    clock: str = WORKING
    calendar: WorkCalendar | None = None
    zero = ZERO

    def shift(self, start: datetime, amount: timedelta) -> datetime:
        return add_time(start=start, duration=amount, clock=self.clock, calendar=self.calendar)

    def between(self, a: datetime, b: datetime) -> timedelta:
        return elapsed(start=a, now=b, clock=self.clock, calendar=self.calendar)

    def scale(self, amount: timedelta, fraction: Fraction) -> timedelta:
        """`amount` × `fraction`, rounded up to the microsecond (the warning is never early)."""
        us = amount // _US
        return timedelta(microseconds=-((-us * fraction.numerator) // fraction.denominator))


def timeline(clock: str, calendar: WorkCalendar | None = None) -> Timeline:
    return Timeline(clock=clock or WORKING, calendar=calendar)


# ---- the rules, for any timeline ----


def until_warning(tl, budget):
    """How much of the budget is used when the light turns yellow: 80 % of it."""
    return tl.scale(budget, WARN_FRACTION)


def run_from(tl, now, remaining, budget):
    """(deadline, warning instant) of a clock running from `now` with `remaining` (negative: overdue) left.

    The warning falls where 80 % of the whole budget is used; when that is already behind (a resume or an
    extension late in the stage) it is `now`, and for a stage already overdue it is the deadline.
    """
    deadline = tl.shift(now, remaining)
    to_warning = remaining - (budget - until_warning(tl, budget))
    warn_at = tl.shift(now, min(max(to_warning, tl.zero), remaining))
    return deadline, warn_at


def pause_at(tl, now, deadline):
    """(remaining, overdue) when the clock stops at `now`: what is left (negative: how far overdue it was)."""
    remaining = tl.between(now, deadline)
    # After hours no working time passes, so a stage can be past its deadline with nothing "negative" left yet.
    return remaining, now > deadline


def extend_by(tl, now, deadline, budget, extra):
    """(budget, remaining) after an approved extension of `extra` clock time at `now`."""
    return budget + extra, tl.between(now, deadline) + extra


def escalation_at(
    *, deadline: datetime, budget: timedelta, percent: int, clock: str, calendar: WorkCalendar | None = None
) -> datetime:
    """An escalation step's instant: the deadline plus `percent` % of the budget, on the stage's clock."""
    extra = timedelta(microseconds=(budget // _US) * percent // 100)
    return add_time(start=deadline, duration=extra, clock=clock or WORKING, calendar=calendar)


# ---- the case-facing clock (called by the transition service) ----


# These read and write the clock's fields on `case`: a Case, or any object with the same attributes (the
# property tests drive them without a database, passing their own calendar).


def _run(case, now, remaining, calendar):
    tl = timeline(case.stage_clock, calendar)
    case.stage_deadline, case.stage_warn_at = run_from(tl, now, remaining, case.stage_budget)
    case.stage_remaining = None
    case.timer_due_at = case.stage_warn_at


def stage_begin(case, now, budget, clock, *, calendar=None):
    """Run a fresh clock of `budget` on `clock` from `now` (budget None: no clock runs)."""
    case.stage_budget, case.stage_clock = budget, clock
    case.overdue = False
    case.stage_remaining = None
    if budget is None:
        case.stage_deadline = case.stage_warn_at = case.timer_due_at = None
        return
    _run(case, now, budget, calendar)


def stage_pause(case, now, *, calendar=None):
    """Stop the clock (approved suspension), remembering exactly what is left."""
    if case.stage_deadline is None:
        return
    tl = timeline(case.stage_clock, calendar)
    case.stage_remaining, case.overdue = pause_at(tl, now, case.stage_deadline)
    case.stage_deadline = case.stage_warn_at = case.timer_due_at = None


def stage_resume(case, now, *, calendar=None):
    """Restart the clock from where it stopped, to the microsecond."""
    if case.stage_remaining is None:
        return
    _run(case, now, case.stage_remaining, calendar)


def stage_extend(case, now, extra: timedelta, *, calendar=None):
    """Add approved time (`extra`, a timedelta of the stage's clock) to the running stage and its budget."""
    if case.stage_deadline is None:
        return
    tl = timeline(case.stage_clock, calendar)
    case.stage_budget, remaining = extend_by(tl, now, case.stage_deadline, case.stage_budget, extra)
    _run(case, now, remaining, calendar)
    case.overdue = now > case.stage_deadline


def stage_stop(case):
    """No clock runs in an end state."""
    case.stage = ""
    case.stage_deadline = case.stage_warn_at = case.timer_due_at = None
    case.stage_remaining = None


# ---- reading the clock at an instant ----


def is_paused(case) -> bool:
    return case.stage_deadline is None and case.stage_remaining is not None


def remaining_at(case, now, *, calendar=None) -> timedelta | None:
    """Clock time left at `now` (negative once overdue; frozen while paused); None without a clock."""
    if case.stage_deadline is not None:
        return timeline(case.stage_clock, calendar).between(now, case.stage_deadline)
    return case.stage_remaining


def used_at(case, now, *, calendar=None) -> timedelta | None:
    """Clock time of the budget used at `now`; None without a clock."""
    remaining = remaining_at(case, now, calendar=calendar)
    return None if remaining is None or case.stage_budget is None else case.stage_budget - remaining


def light_of(*, deadline, warn_at, paused_overdue, now):
    """The light from the row's values: the Python side of `light_q`."""
    if deadline is None:
        return Light.RED if paused_overdue else None
    if now > deadline:
        return Light.RED
    if warn_at is not None and now >= warn_at:
        return Light.YELLOW
    return Light.GREEN


# The columns the light reads, for readers that fetch values rather than cases (the map).
LIGHT_FIELDS = ("stage_deadline", "stage_warn_at", "stage_remaining", "overdue")


def light_at(case, now):
    """Green below 80 % of the budget used, yellow to 100 %, red beyond (also while paused); None: no clock runs."""
    return light_of(
        deadline=case.stage_deadline,
        warn_at=case.stage_warn_at,
        paused_overdue=is_paused(case) and case.overdue,
        now=now,
    )


def light_of_row(row: dict, now):
    """`light_at` for a row of LIGHT_FIELDS values."""
    paused = row["stage_deadline"] is None and row["stage_remaining"] is not None
    return light_of(
        deadline=row["stage_deadline"], warn_at=row["stage_warn_at"], paused_overdue=paused and row["overdue"], now=now
    )


def is_overdue_at(case, now) -> bool:
    return light_at(case, now) == Light.RED


def paused_overdue_q():
    """A stopped clock that was past its deadline when it stopped (stage_pause sets `overdue` then)."""
    return Q(stage_deadline__isnull=True, stage_remaining__isnull=False, overdue=True)


def overdue_q(now):
    """Red as a filter: past the running deadline, or paused after it had passed (same rule as `light_of`)."""
    return Q(stage_deadline__lt=now) | paused_overdue_q()


def light_q(light, now):
    """The traffic light as a filter; the SQL side of `light_of`."""
    if light == Light.RED:
        return overdue_q(now)
    if light == Light.YELLOW:
        return Q(stage_warn_at__lte=now, stage_deadline__gte=now)
    return Q(stage_deadline__gte=now) & (Q(stage_warn_at__gt=now) | Q(stage_warn_at__isnull=True))


def describe_remaining(case, now, *, remaining=None) -> str:
    """A short human text for the countdown: "3 h 20 min left" or "overdue by …" (whole minutes, floored).
    `remaining`: `remaining_at(case, now)` when the caller has it already."""
    if case.stage_deadline is None:
        return _("clock stopped") if case.stage_remaining is not None else ""
    if remaining is None:
        remaining = remaining_at(case, now)
    if now <= case.stage_deadline:
        left = max(remaining, ZERO)
        template = _("%(h)d h %(m)d min left")
    else:
        left = max(-remaining, ZERO)
        template = _("overdue by %(h)d h %(m)d min")
    minutes = left // timedelta(minutes=1)
    return template % {"h": minutes // 60, "m": minutes % 60}
