"""Assessment periods: day, week, month, quarter, year or custom, as half-open local-time intervals [start, end).

Every period is measured in the platform's time zone (Asia/Shanghai): a month starts at local midnight of its
first day. `previous` is the period before (环比) and `year_before` the same period one year earlier (同比).
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

KINDS = {
    "day": _("Day"),
    "week": _("Week"),
    "month": _("Month"),
    "quarter": _("Quarter"),
    "year": _("Year"),
    "custom": _("Custom"),
}
# The days a period may start or end on. Outside them the arithmetic of `previous`, `year_before` and the trend
# charts would leave the calendar (date.min is 0001-01-01) or the database's range, so such keys read as bad keys.
FIRST_DAY = date(2000, 1, 1)
LAST_DAY = date(2099, 12, 31)


def _aware(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


@dataclass(frozen=True)
class Span:
    """A period: its kind and its first and last-plus-one local day."""

    kind: str
    first: date
    after: date  # exclusive

    @property
    def start(self) -> datetime:
        return _aware(self.first)

    @property
    def end(self) -> datetime:
        return _aware(self.after)

    @property
    def last(self) -> date:
        return self.after - timedelta(days=1)

    @property
    def key(self) -> str:
        """A compact text for URLs: "month:2026-10-01" or "custom:2026-10-01:2026-10-15" (last day inclusive)."""
        if self.kind == "custom":
            return f"custom:{self.first.isoformat()}:{self.last.isoformat()}"
        return f"{self.kind}:{self.first.isoformat()}"

    @property
    def label(self) -> str:
        if self.kind == "day":
            return self.first.isoformat()
        if self.kind == "month":
            return f"{self.first:%Y-%m}"
        if self.kind == "quarter":
            return f"{self.first.year}Q{(self.first.month - 1) // 3 + 1}"
        if self.kind == "year":
            return str(self.first.year)
        if self.kind == "week":
            iso = self.first.isocalendar()
            return f"{iso.year}-W{iso.week:02d}"
        return f"{self.first.isoformat()}–{self.last.isoformat()}"

    def previous(self) -> "Span":
        """The period just before (环比): the same length ending where this one starts."""
        if self.kind in ("day", "week", "month", "quarter", "year"):
            return span_containing(self.kind, self.first - timedelta(days=1))
        length = self.after - self.first
        return Span("custom", self.first - length, self.first)

    def year_before(self) -> "Span":
        """The same period one year earlier (同比)."""
        if self.kind == "week":
            return span_containing("week", self.first - timedelta(weeks=52))
        if self.kind in ("month", "quarter", "year"):
            return Span(self.kind, _add_months(self.first, -12), _add_months(self.after, -12))
        return Span(self.kind, _shift_year(self.first), _shift_year(self.after))

    def next(self) -> "Span":
        if self.kind == "custom":
            return Span("custom", self.after, self.after + (self.after - self.first))
        return span_containing(self.kind, self.after)

    def is_over(self, now=None) -> bool:
        return (now or timezone.now()) >= self.end


def _shift_year(day: date) -> date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


def span_containing(kind: str, day: date) -> Span:
    """The period of `kind` that contains the local day `day`."""
    if kind == "day":
        return Span(kind, day, day + timedelta(days=1))
    if kind == "week":
        monday = day - timedelta(days=day.weekday())
        return Span(kind, monday, monday + timedelta(days=7))
    if kind == "month":
        first = day.replace(day=1)
        return Span(kind, first, _add_months(first, 1))
    if kind == "quarter":
        first = date(day.year, (day.month - 1) // 3 * 3 + 1, 1)
        return Span(kind, first, _add_months(first, 3))
    if kind == "year":
        return Span(kind, date(day.year, 1, 1), date(day.year + 1, 1, 1))
    raise ValueError(f"unknown period kind {kind!r}")


def span_custom(first: date, last: date) -> Span:
    """A custom period from `first` to `last`, both days included."""
    if last < first:
        raise ValueError("a period cannot end before it starts")
    return Span("custom", first, last + timedelta(days=1))


def _day(text: str) -> date:
    """An ISO day from a period key; ValueError when it is not one or lies outside FIRST_DAY..LAST_DAY."""
    day = date.fromisoformat(text)
    if not FIRST_DAY <= day <= LAST_DAY:
        raise ValueError(f"{day} lies outside the periods the platform counts ({FIRST_DAY} to {LAST_DAY})")
    return day


def span_parse(key: str | None, *, default_kind: str = "month", today: date | None = None) -> Span:
    """The period of a key made by `Span.key`; a missing or bad key gives the current period of `default_kind`."""
    today = today or timezone.localdate()
    if key:
        parts = key.split(":")
        try:
            if parts[0] == "custom" and len(parts) == 3:
                return span_custom(_day(parts[1]), _day(parts[2]))
            if parts[0] in KINDS and len(parts) == 2:
                return span_containing(parts[0], _day(parts[1]))
            if parts[0] in KINDS and len(parts) == 1:
                return span_containing(parts[0], today)
        except ValueError:
            pass
    return span_containing(default_kind, today)


def spans_back(span: Span, count: int) -> list[Span]:
    """`count` consecutive periods ending with `span`, oldest first (for trend charts)."""
    spans = [span]
    for _i in range(count - 1):
        spans.append(spans[-1].previous())
    return spans[::-1]
