"""Working-time arithmetic at minute resolution over a fixed window, for generating millions of deadlines.

This is the calendar's arithmetic, tabulated; the stage-clock rules themselves (budget, warning point,
pause, extension) are those of cases/clock.py, which the simulator calls with a `MinuteTimeline`.

`WorkCalendar.add_working_time` costs about 11 µs; a load of a million cases needs some twenty million
deadline, warning and duration computations. Here every instant is an integer minute since the window's
first local midnight, and two lookup tables answer the same questions as the calendar with two list
indexings: `position[m]` (working minutes before minute m) and `moment[p]` (the earliest minute at which
p working minutes have passed). The tables are built from the live calendar, so holidays, make-up days and
seasonal periods are the ones the service uses; tests compare both on random instants.
"""

from array import array
from datetime import date, datetime, time, timedelta
from fractions import Fraction

from cases.worktime import WorkCalendar

DAY = 1440
MINUTE = timedelta(minutes=1)


class ClockError(ValueError):
    """The calendar cannot be tabulated at minute resolution, or an instant falls outside the window."""


def whole_minutes(amount: timedelta) -> int:
    """A stage-clock amount as whole minutes; the generator refuses what its minute instants cannot hold."""
    minutes, rest = divmod(amount, MINUTE)
    if rest:
        raise ClockError(f"{amount} is not a whole number of minutes; the load generator counts in minutes")
    return minutes


class MinuteTimeline:
    """cases/clock.py's `Timeline` on the tables: instants and amounts are whole minutes of one clock."""

    zero = 0

    def __init__(self, clock: "MinuteClock", natural: bool):
        self.clock, self.natural = clock, natural

    def shift(self, start: int, amount: int) -> int:
        return self.clock.shift(start, amount, self.natural)

    def between(self, a: int, b: int) -> int:
        return self.clock.signed(a, b, self.natural)

    def scale(self, amount: int, fraction: Fraction) -> int:
        value = amount * fraction
        if value.denominator != 1:
            raise ClockError(
                f"{fraction} of {amount} minutes is not a whole minute; the load generator counts in minutes"
            )
        return int(value)


class MinuteClock:
    """Minutes since `first` (local midnight) ↔ datetimes, and working-time add/between/sub on integers."""

    def __init__(self, calendar: WorkCalendar, first: date, last: date):
        self.calendar = calendar
        self.tz = calendar.tz
        self.first = first
        self.days = (last - first).days + 1
        self._check_offsets()
        self.position = array("q", bytes(8 * (self.days * DAY + 1)))
        self.moment = array("q", [0])
        self._tabulate()
        self._day_minutes: dict[int, int] = {}
        self.timelines = {natural: MinuteTimeline(self, natural) for natural in (False, True)}
        offset = datetime.combine(first, time(12), tzinfo=self.tz).strftime("%z")
        self._suffix = f":00{offset[:3]}" + (f":{offset[3:]}" if offset[3:] != "00" else "")
        self._hm = [f"{m // 60:02d}:{m % 60:02d}{self._suffix}" for m in range(DAY)]
        self._dates = [f"{first + timedelta(days=d):%Y-%m-%d} " for d in range(self.days)]

    def _check_offsets(self):
        offsets = {
            datetime.combine(self.first + timedelta(days=d), time(h), tzinfo=self.tz).utcoffset()
            for d in range(self.days)
            for h in (0, 12)
        }
        if len(offsets) != 1:
            raise ClockError("the load generator needs a time zone without daylight saving (Asia/Shanghai)")

    def _spans(self, day: date) -> list[tuple[int, int]]:
        spans = []
        for start, end in self.calendar.periods_on(day):
            if start.second or start.microsecond or end.second or end.microsecond:
                raise ClockError("working periods must start and end on whole minutes")
            spans.append((start.hour * 60 + start.minute, (end.hour * 60 + end.minute) or DAY))
        return spans

    def _tabulate(self):
        position, moment = self.position, self.moment
        worked = 0
        for d in range(self.days):
            base = d * DAY
            cursor = 0
            for start, end in self._spans(self.first + timedelta(days=d)):
                position[base + cursor : base + start + 1] = array("q", [worked]) * (start + 1 - cursor)
                position[base + start : base + end + 1] = array("q", range(worked, worked + end - start + 1))
                moment.extend(range(base + start + 1, base + end + 1))
                worked += end - start
                cursor = end
            position[base + cursor : base + DAY + 1] = array("q", [worked]) * (DAY + 1 - cursor)

    # Conversions

    def minute(self, moment: datetime) -> int:
        """The minute (floored) of an aware datetime."""
        local = moment.astimezone(self.tz).replace(tzinfo=None)
        delta = local - datetime.combine(self.first, time())
        value = delta.days * DAY + delta.seconds // 60
        if not 0 <= value < self.days * DAY:
            raise ClockError(f"{moment} lies outside the load window {self.first} + {self.days} days")
        return value

    def datetime(self, minute: int) -> datetime:
        return datetime.combine(self.first, time(), tzinfo=self.tz) + timedelta(minutes=minute)

    def date(self, minute: int) -> date:
        return self.first + timedelta(days=minute // DAY)

    def text(self, minute: int) -> str:
        """The instant as PostgreSQL timestamptz input ("2026-03-05 09:13:00+08")."""
        return self._dates[minute // DAY] + self._hm[minute % DAY]

    # Arithmetic (minute resolution, same answers as WorkCalendar for whole-minute instants)

    def add(self, start: int, minutes: int, natural: bool) -> int:
        """`start` plus `minutes` of working time (or natural time)."""
        if natural or not minutes:
            return start + minutes
        return self.moment[self.position[start] + minutes]

    def shift(self, start: int, minutes: int, natural: bool) -> int:
        """`start` moved by signed minutes of the clock, like WorkCalendar.shift."""
        return self.add(start, minutes, natural) if minutes >= 0 else self.sub(start, -minutes, natural)

    def signed(self, a: int, b: int, natural: bool) -> int:
        """Minutes of the clock from a to b, negative when b is before a, like WorkCalendar.working_time_between."""
        return b - a if natural else self.position[b] - self.position[a]

    def between(self, a: int, b: int, natural: bool) -> int:
        """Minutes of the clock from a to b, zero when b is not after a."""
        if b <= a:
            return 0
        return b - a if natural else self.position[b] - self.position[a]

    def sub(self, end: int, minutes: int, natural: bool) -> int:
        """The earliest minute from which `minutes` of the clock reach `end` (the inverse of add)."""
        if natural or not minutes:
            return end - minutes
        target = self.position[end] - minutes
        if target <= 0:
            raise ClockError("an instant before the load window was needed; the window is too short")
        return self.moment[target]

    def at_position(self, position: int) -> int:
        return self.moment[position]

    def working_day_minutes(self, minute: int) -> int:
        """One working day for a limit counted from `minute`: the length of the day counting begins on.

        Like WorkCalendar.working_day_length_at: the day of the next working minute (this one if working).
        """
        day = (self.moment[self.position[minute] + 1] - 1) // DAY
        value = self._day_minutes.get(day)
        if value is None:
            length = self.calendar.day_working_time(self.first + timedelta(days=day))
            value = self._day_minutes[day] = length // timedelta(minutes=1)
        return value
