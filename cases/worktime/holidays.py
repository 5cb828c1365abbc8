"""Write use-cases of the calendar: official holiday schedules (chinese_calendar or a CSV file) and the seed."""

import csv
import io
from dataclasses import dataclass
from datetime import date

from django.db import transaction
from django.utils.translation import gettext as _

from .store import calendar_changed
from .workcalendar import DEFAULT_PERIODS

PACKAGE_SOURCE = "chinese_calendar"
_NAME_LENGTH = 40  # CalendarDay.name
_KINDS = {"holiday": "holiday", "休": "holiday", "workday": "workday", "班": "workday"}


@dataclass(frozen=True)
class HolidayRow:
    """One exception to the Monday–Friday rule; kind is a DayKind value."""

    date: date
    kind: str
    name: str = ""


class HolidayFileError(ValueError):
    """A holiday file with problems; `errors` lists every bad line."""

    def __init__(self, errors: list[str]):
        super().__init__("\n".join(errors))
        self.errors = errors


def package_years() -> list[int]:
    """The years whose schedule the installed chinese_calendar package knows."""
    import chinese_calendar

    return sorted({day.year for day in chinese_calendar.holidays} | {day.year for day in chinese_calendar.workdays})


def holiday_rows_from_package(*, year: int) -> list[HolidayRow]:
    """Holidays falling on weekdays and make-up working days (调休) on weekends, named in Chinese."""
    import chinese_calendar
    from chinese_calendar.constants import Holiday

    chinese = {holiday.value: holiday.chinese for holiday in Holiday}
    rows = [
        HolidayRow(date=day, kind="holiday", name=chinese.get(name, name)[:_NAME_LENGTH])
        for day, name in chinese_calendar.holidays.items()
        if day.year == year and day.weekday() < 5
    ]
    rows += [
        HolidayRow(date=day, kind="workday", name=(chinese.get(name, name)[: _NAME_LENGTH - 2] + "调休"))
        for day, name in chinese_calendar.workdays.items()
        if day.year == year and day.weekday() >= 5
    ]
    return sorted(rows, key=lambda row: row.date)


def holiday_rows_from_csv(*, text: str, year: int) -> list[HolidayRow]:
    """Parse `date,kind,name` lines (header and # comments allowed); raise HolidayFileError listing every problem."""
    errors: list[str] = []
    rows: list[HolidayRow] = []
    seen: dict[date, int] = {}
    for line, record in enumerate(csv.reader(io.StringIO(text)), start=1):
        fields = [value.strip() for value in record]
        if not any(fields) or fields[0].startswith("#") or (line == 1 and fields[0].lower() == "date"):
            continue
        problem, row = _parse_record(fields=fields, year=year)
        if row is not None and row.date in seen:
            problem = _("%(date)s is already on line %(line)s") % {"date": row.date, "line": seen[row.date]}
        if problem:
            errors.append(_("line %(line)s: %(problem)s") % {"line": line, "problem": problem})
            continue
        seen[row.date] = line
        rows.append(row)
    if not rows and not errors:
        errors.append(_("no days for %(year)s in the file") % {"year": year})
    if errors:
        raise HolidayFileError(errors)
    return rows


def _parse_record(*, fields: list[str], year: int) -> tuple[str | None, HolidayRow | None]:
    if len(fields) not in (2, 3):
        return _("expected date,kind,name but found %(count)s fields") % {"count": len(fields)}, None
    try:
        day = date.fromisoformat(fields[0].replace("/", "-"))
    except ValueError:
        return _("%(value)r is not a date (YYYY-MM-DD)") % {"value": fields[0]}, None
    if day.year != year:
        return _("%(date)s is not in %(year)s") % {"date": day, "year": year}, None
    kind = _KINDS.get(fields[1].lower())
    if kind is None:
        return _("unknown kind %(value)r (expected holiday or workday)") % {"value": fields[1]}, None
    name = fields[2] if len(fields) == 3 else ""
    if len(name) > _NAME_LENGTH:
        return _("the name is longer than %(max)s characters") % {"max": _NAME_LENGTH}, None
    return None, HolidayRow(date=day, kind=kind, name=name)


@transaction.atomic
def calendar_year_load(*, year: int, rows: list[HolidayRow], source: str) -> int:
    """Replace every CalendarDay of `year` with `rows` and mark the year loaded; all or nothing."""
    from cases.models import CalendarDay, CalendarYear

    if any(row.date.year != year for row in rows):
        raise ValueError(f"rows outside {year}")
    CalendarDay.objects.filter(date__year=year).delete()
    CalendarDay.objects.bulk_create(
        CalendarDay(date=row.date, kind=row.kind, name=row.name, source=source[:20]) for row in rows
    )
    CalendarYear.objects.update_or_create(year=year, defaults={"source": source[:40]})
    calendar_changed()
    return len(rows)


@transaction.atomic
def calendar_reload_from_package(*, years: list[int] | None = None) -> dict[int, int]:
    """Replace the given years (default: all the package knows) with chinese_calendar's schedule."""
    return {
        year: calendar_year_load(year=year, rows=holiday_rows_from_package(year=year), source=PACKAGE_SOURCE)
        for year in (years or package_years())
    }


def calendar_year_mark_loaded(*, year: int, source: str = "manual") -> None:
    """Declare `year`'s holiday schedule complete (after entering its days by hand)."""
    from cases.models import CalendarYear

    CalendarYear.objects.update_or_create(year=year, defaults={"source": source[:40]})


@transaction.atomic
def calendar_seed() -> str:
    """Idempotent: load chinese_calendar's years not loaded yet and the default working periods if none exist."""
    from cases.models import CalendarDay, CalendarYear, WorkingPeriod

    loaded = set(CalendarYear.objects.values_list("year", flat=True))
    years = [year for year in package_years() if year not in loaded]
    days = [
        CalendarDay(date=row.date, kind=row.kind, name=row.name, source=PACKAGE_SOURCE)
        for year in years
        for row in holiday_rows_from_package(year=year)
    ]
    # ignore_conflicts keeps days an administrator entered before the year was marked loaded.
    CalendarDay.objects.bulk_create(days, ignore_conflicts=True)
    CalendarYear.objects.bulk_create([CalendarYear(year=year, source=PACKAGE_SOURCE) for year in years])
    periods = []
    if not WorkingPeriod.objects.exists():
        periods = WorkingPeriod.objects.bulk_create(
            WorkingPeriod(valid_from=p.valid_from, valid_to=p.valid_to, start=p.start, end=p.end)
            for p in DEFAULT_PERIODS
        )
    if years or periods:
        calendar_changed()
    span = f"{years[0]}–{years[-1]}" if years else "none new"
    return f"holiday years {span} ({len(days)} days), {len(periods)} working periods added"
