"""Stage clocks: limits in working or natural time, pauses (挂账), extensions and the traffic light."""

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from fractions import Fraction

from cases.models.case import Light

from .workcalendar import CalendarError, WorkCalendar

# The values of cases.models.Clock and TimeUnit; compared as strings so that models may import this module.
WORKING = "working"
NATURAL = "natural"
WORKING_HOUR = "working_hour"
WORKING_DAY = "working_day"
NATURAL_HOUR = "natural_hour"

# DOMAIN §5: green below 80 % of the limit used, yellow (预警) from 80 % to 100 %, red (超期) beyond.
WARN_FRACTION = Fraction(4, 5)

_HOUR_US = 3_600_000_000


def _calendar(calendar: WorkCalendar | None) -> WorkCalendar:
    if calendar is not None:
        return calendar
    from .store import work_calendar

    return work_calendar()


def _is_natural(clock: str) -> bool:
    if clock not in (WORKING, NATURAL):
        raise CalendarError(f"unknown clock {clock!r}")
    return clock == NATURAL


def limit_duration(
    *, start: datetime, value: Decimal | int | float | str, unit: str, clock: str, calendar: WorkCalendar | None = None
) -> timedelta:
    """The budget of a limit, in the clock's own time.

    working_hour: value hours; working_day: value × the length of the working day counting begins on (on a
    natural 7×24 clock a day is 24 h); natural_hour: value hours, always natural.
    """
    amount = Decimal(str(value))
    if unit in (WORKING_HOUR, NATURAL_HOUR):
        return timedelta(microseconds=int(amount * _HOUR_US))
    if unit != WORKING_DAY:
        raise CalendarError(f"unknown time unit {unit!r}")
    if _is_natural(clock):
        return timedelta(microseconds=int(amount * 24 * _HOUR_US))
    day = _calendar(calendar).working_day_length_at(start)
    return timedelta(microseconds=int(amount * (day // timedelta(microseconds=1))))


def _runs_natural(*, unit: str, clock: str) -> bool:
    return unit == NATURAL_HOUR or _is_natural(clock)


def add_time(*, start: datetime, duration: timedelta, clock: str, calendar: WorkCalendar | None = None) -> datetime:
    """`start` + `duration` on the given clock (plain arithmetic on the natural clock)."""
    if _is_natural(clock):
        return start + duration
    return _calendar(calendar).add_working_time(start, duration)


def deadline_for(
    *, start: datetime, value: Decimal | int | float | str, unit: str, clock: str, calendar: WorkCalendar | None = None
) -> datetime:
    """The deadline of a (value, TimeUnit) limit counted from `start` on the filing condition's clock."""
    budget = limit_duration(start=start, value=value, unit=unit, clock=clock, calendar=calendar)
    return add_time(start=start, duration=budget, clock=NATURAL if unit == NATURAL_HOUR else clock, calendar=calendar)


def elapsed(*, start: datetime, now: datetime, clock: str, calendar: WorkCalendar | None = None) -> timedelta:
    """Time used from `start` to `now` on the clock (signed: negative when now < start)."""
    if _is_natural(clock):
        return now - start
    return _calendar(calendar).working_time_between(start, now)


def extend(*, deadline: datetime, extra: timedelta, clock: str, calendar: WorkCalendar | None = None) -> datetime:
    """A deadline moved by an approved extension, counted on the stage's clock."""
    return add_time(start=deadline, duration=extra, clock=clock, calendar=calendar)


Interval = tuple[datetime, datetime | None]


@dataclass(frozen=True)
class StageStatus:
    """A stage clock read at one instant."""

    deadline: datetime | None  # None while suspended: the clock is stopped
    warning_at: datetime | None  # when the light turns yellow (None while suspended)
    used: timedelta
    budget: timedelta
    remaining: timedelta  # negative once overdue
    fraction: float
    light: Light
    overdue: bool
    paused: bool


@dataclass(frozen=True)
class StageClock:
    """One stage's clock: a budget from `started_at`, minus suspensions (挂账), plus approved extensions.

    `suspensions` are (from, to) pairs with `to=None` while still suspended; `extensions` are amounts of the
    stage's own time (working time on a working clock). Pure: pass `calendar` or the cached one is used.
    """

    started_at: datetime
    limit: timedelta
    clock: str = WORKING
    suspensions: tuple[Interval, ...] = ()
    extensions: tuple[timedelta, ...] = ()
    warn_fraction: Fraction = field(default=WARN_FRACTION)

    @classmethod
    def for_limit(
        cls,
        *,
        started_at: datetime,
        value: Decimal | int | float | str,
        unit: str,
        clock: str,
        suspensions: Iterable[Interval] = (),
        extensions: Iterable[timedelta] = (),
        calendar: WorkCalendar | None = None,
    ) -> "StageClock":
        """A stage clock for a (value, TimeUnit) limit; natural_hour limits run on the natural clock."""
        budget = limit_duration(start=started_at, value=value, unit=unit, clock=clock, calendar=calendar)
        return cls(
            started_at=started_at,
            limit=budget,
            clock=NATURAL if _runs_natural(unit=unit, clock=clock) else WORKING,
            suspensions=tuple(suspensions),
            extensions=tuple(extensions),
        )

    @property
    def budget(self) -> timedelta:
        return self.limit + sum(self.extensions, timedelta(0))

    def _active(self) -> list[Interval]:
        """The intervals in which the clock runs: from the start, around the (merged) suspensions."""
        pauses = sorted((max(f, self.started_at), t) for f, t in self.suspensions if t is None or t > self.started_at)
        active: list[Interval] = []
        cursor: datetime | None = self.started_at
        for f, t in pauses:
            if cursor is None:
                break
            if f > cursor:
                active.append((cursor, f))
            cursor = None if t is None else max(cursor, t)
        if cursor is not None:
            active.append((cursor, None))
        return active

    def _instant(self, budget: timedelta, calendar: WorkCalendar | None) -> datetime | None:
        remaining = budget
        for a, b in self._active():
            available = None if b is None else elapsed(start=a, now=b, clock=self.clock, calendar=calendar)
            if available is None or remaining <= available:
                return add_time(start=a, duration=remaining, clock=self.clock, calendar=calendar)
            remaining -= available
        return None

    def deadline(self, *, calendar: WorkCalendar | None = None) -> datetime | None:
        """The instant the budget runs out; None while suspended (unless it ran out before the suspension)."""
        return self._instant(self.budget, calendar)

    def warning_at(self, *, calendar: WorkCalendar | None = None) -> datetime | None:
        """The instant the light turns yellow (the warn fraction of the budget is used)."""
        us = self.budget // timedelta(microseconds=1)
        return self._instant(timedelta(microseconds=int(us * self.warn_fraction)), calendar)

    def used(self, *, now: datetime, calendar: WorkCalendar | None = None) -> timedelta:
        """Clock time used from the start to `now`, suspensions excluded (never negative)."""
        total = timedelta(0)
        for a, b in self._active():
            if a >= now:
                break
            end = now if b is None else min(b, now)
            total += elapsed(start=a, now=end, clock=self.clock, calendar=calendar)
        return total

    def status(self, *, now: datetime, calendar: WorkCalendar | None = None) -> StageStatus:
        """Deadline, time used and the light at `now`: red once used > budget or `now` is past the deadline."""
        if self.clock == WORKING:
            calendar = _calendar(calendar)
        budget, used = self.budget, self.used(now=now, calendar=calendar)
        deadline = self.deadline(calendar=calendar)
        paused = any(f <= now and (t is None or now < t) for f, t in self.suspensions)
        # After hours no working time passes, so "used == budget" can last all weekend: past the deadline is red.
        overdue = used > budget or (deadline is not None and now > deadline)
        used_us, budget_us = used // timedelta(microseconds=1), budget // timedelta(microseconds=1)
        if overdue:
            light = Light.RED
        elif used_us >= budget_us * self.warn_fraction:
            light = Light.YELLOW
        else:
            light = Light.GREEN
        return StageStatus(
            deadline=deadline,
            warning_at=self.warning_at(calendar=calendar),
            used=used,
            budget=budget,
            remaining=budget - used,
            fraction=used_us / budget_us if budget_us else (math.inf if used_us else 1.0),
            light=light,
            overdue=overdue,
            paused=paused,
        )
