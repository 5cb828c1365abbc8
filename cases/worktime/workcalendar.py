"""WorkCalendar: working-time arithmetic over date overrides and daily working periods, without the database."""

import threading
from bisect import bisect_left, bisect_right
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

# Without any working time for this many days the calendar is broken (no periods at all), not just on holiday.
_MAX_IDLE_DAYS = 3660
_EXTEND_CHUNK_DAYS = 400


class CalendarError(ValueError):
    """The calendar cannot answer (no working periods, naive datetime, negative duration)."""


@dataclass(frozen=True)
class Period:
    """One daily working period, valid from `valid_from` to `valid_to` (inclusive; None = open-ended)."""

    start: time
    end: time
    valid_from: date = date(2000, 1, 1)
    valid_to: date | None = None

    def covers(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)


# Used when no WorkingPeriod row exists at all, and seeded by calendar_seed (Huizhou office hours).
DEFAULT_PERIODS = (
    Period(start=time(8, 30), end=time(12, 0), valid_from=date(2020, 1, 1)),
    Period(start=time(14, 30), end=time(18, 0), valid_from=date(2020, 1, 1)),
)


def _us(value: timedelta) -> int:
    return (value.days * 86_400 + value.seconds) * 1_000_000 + value.microseconds


def _time_us(value: time) -> int:
    return ((value.hour * 60 + value.minute) * 60 + value.second) * 1_000_000 + value.microsecond


class WorkCalendar:
    """Working days (Mon–Fri unless overridden) × daily working periods; all answers in the calendar's zone.

    Time is counted on a prefix sum of working microseconds per day, so every question is a bisect plus one
    day's periods: no per-minute loops and no database access after construction.
    """

    def __init__(
        self,
        *,
        overrides: dict[date, bool] | Iterable[tuple[date, bool]] = (),
        periods: Iterable[Period] = (),
        known_years: Iterable[int] = (),
        tz: ZoneInfo | str = "Asia/Shanghai",
        origin: date = date(2000, 1, 1),
    ):
        self.overrides = dict(overrides)
        self.periods = tuple(periods) or DEFAULT_PERIODS
        self.known_years = frozenset(known_years)
        self.tz = ZoneInfo(tz) if isinstance(tz, str) else tz
        self._schedules: dict[date, tuple[tuple[int, int], ...]] = {}
        self.origin = origin
        self._lock = threading.Lock()
        self._cum = [0]  # _cum[i] = working µs of the days [origin, origin + i)

    # Days

    def is_working_day(self, day: date) -> bool:
        """Monday–Friday unless a holiday override; Saturday/Sunday only when a make-up working day (调休)."""
        override = self.overrides.get(day)
        return override if override is not None else day.weekday() < 5

    def periods_on(self, day: date) -> list[tuple[time, time]]:
        """The working periods of `day` (empty on a day off)."""
        midnight = datetime.combine(day, time())
        return [
            ((midnight + timedelta(microseconds=s)).time(), (midnight + timedelta(microseconds=e)).time())
            for s, e in self._schedule(day)
        ]

    def day_working_time(self, day: date) -> timedelta:
        """Total length of the day's working periods: one working day on that date."""
        return timedelta(microseconds=sum(e - s for s, e in self._schedule(day)))

    def working_day_minutes(self, day: date) -> int:
        """Minutes in one working day for a limit starting on `day`: that day's, or the next working day's if off."""
        for offset in range(_MAX_IDLE_DAYS):
            minutes = self.day_working_time(day + timedelta(days=offset)) // timedelta(minutes=1)
            if minutes:
                return minutes
        raise CalendarError("the calendar has no working time; check the working periods")

    def _schedule(self, day: date) -> tuple[tuple[int, int], ...]:
        cached = self._schedules.get(day)
        if cached is not None:
            return cached
        spans: tuple[tuple[int, int], ...] = ()
        if self.is_working_day(day):
            covering = [p for p in self.periods if p.covers(day)]
            if covering:
                # Seasonal hours: the set with the latest valid_from wins, so a summer set overrides the all-year one.
                latest = max(p.valid_from for p in covering)
                spans = _merge(sorted((_time_us(p.start), _time_us(p.end)) for p in covering if p.valid_from == latest))
        self._schedules[day] = spans
        return spans

    # The prefix sum

    def _index(self, day: date) -> int:
        index = (day - self.origin).days
        if index < 0:
            raise CalendarError(f"dates before {self.origin} are outside the calendar")
        if index + 1 >= len(self._cum):
            self._extend(upto=index + 1)
        return index

    def _extend(self, *, upto: int) -> None:
        # Appending in place keeps readers safe: a position, once computed, never changes meaning.
        with self._lock:
            cum = self._cum
            while len(cum) <= upto:
                day = self.origin + timedelta(days=len(cum) - 1)
                cum.append(cum[-1] + sum(e - s for s, e in self._schedule(day)))

    def _reach(self, position: int, *, beyond: bool) -> None:
        """Extend the prefix sum until it holds `position` (or more than it, when `beyond`)."""
        cum = self._cum
        while cum[-1] < position or (beyond and cum[-1] == position):
            self._extend(upto=len(cum) - 1 + _EXTEND_CHUNK_DAYS)
            if len(cum) > _MAX_IDLE_DAYS and cum[-1] == cum[-1 - _MAX_IDLE_DAYS]:
                raise CalendarError("the calendar has no working time; check the working periods")

    def _split(self, moment: datetime) -> tuple[date, int]:
        local = self._local(moment)
        day = local.date()
        return day, _us(local - datetime.combine(day, time()))

    def _position(self, moment: datetime) -> int:
        """Working microseconds from the origin to `moment`."""
        day, offset = self._split(moment)
        worked = sum(min(max(offset - s, 0), e - s) for s, e in self._schedule(day))
        return self._cum[self._index(day)] + worked

    def _moment(self, position: int) -> datetime:
        """The earliest instant whose position is `position` (> 0): inside a period or exactly at its end."""
        self._reach(position, beyond=False)
        index = bisect_left(self._cum, position) - 1
        day = self.origin + timedelta(days=index)
        remaining = position - self._cum[index]
        for s, e in self._schedule(day):
            if remaining <= e - s:
                return self._aware(day, s + remaining)
            remaining -= e - s
        raise AssertionError("prefix sum and day schedule disagree")  # pragma: no cover

    def _local(self, moment: datetime) -> datetime:
        if moment.tzinfo is None or moment.utcoffset() is None:
            raise CalendarError("naive datetime: working-time arithmetic needs an aware datetime")
        return moment.astimezone(self.tz).replace(tzinfo=None)

    def _aware(self, day: date, offset_us: int) -> datetime:
        # Asia/Shanghai has no daylight saving since 1991, so local wall time maps to one instant.
        return (datetime.combine(day, time()) + timedelta(microseconds=offset_us)).replace(tzinfo=self.tz)

    # Arithmetic

    def add_working_time(self, start: datetime, duration: timedelta) -> datetime:
        """The earliest instant at which `duration` of working time has passed since `start`.

        Outside working periods counting begins at the next period start; a result that falls exactly on a
        period end stays there. A zero duration returns `start` unchanged.
        """
        if duration < timedelta(0):
            raise CalendarError("negative duration")
        if not duration:
            self._local(start)
            return start
        return self._moment(self._position(start) + _us(duration))

    def shift(self, start: datetime, duration: timedelta) -> datetime:
        """`start` moved by signed working time: like add_working_time forwards, and backwards when negative
        (a suspended stage that was already overdue resumes exactly as overdue as it was)."""
        if duration >= timedelta(0):
            return self.add_working_time(start, duration)
        return self._moment(self._position(start) + _us(duration))

    def working_time_between(self, a: datetime, b: datetime) -> timedelta:
        """Signed working time from `a` to `b`: positive when b > a, negative (−between(b, a)) when b < a."""
        return timedelta(microseconds=self._position(b) - self._position(a))

    def extend(self, deadline: datetime, extra: timedelta) -> datetime:
        """Move a deadline by `extra` working time (an approved extension)."""
        return self.add_working_time(deadline, extra)

    def next_working_instant(self, moment: datetime) -> datetime:
        """`moment` itself when inside a working period, else the start of the next one."""
        day, offset = self._split(moment)
        for s, e in self._schedule(day):
            if offset < e:
                return moment if offset >= s else self._aware(day, s)
        end_of_day = self._cum[self._index(day) + 1]
        self._reach(end_of_day, beyond=True)
        following = self.origin + timedelta(days=bisect_right(self._cum, end_of_day) - 1)
        return self._aware(following, self._schedule(following)[0][0])

    def working_day_length_at(self, start: datetime) -> timedelta:
        """One working day for a limit counted from `start`: the length of the day counting begins on."""
        return self.day_working_time(self._local(self.next_working_instant(start)).date())


def _merge(spans: list[tuple[int, int]]) -> tuple[tuple[int, int], ...]:
    merged: list[tuple[int, int]] = []
    for s, e in spans:
        if merged and s <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], e))
        else:
            merged.append((s, e))
    return tuple(merged)
