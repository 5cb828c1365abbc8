"""The working-time calendar: working days and periods, working-time arithmetic and holiday coverage.

Stage clocks (budgets, deadlines, the light) are `cases.clock`, which counts on this calendar.

Importing this package registers the calendar's /healthz field and the cache invalidation signals.
"""

from huizhou_cityops.health import CACHED_CHECKS, EXTRA_CHECKS

from .coverage import (
    calendar_coverage_warning,
    calendar_coverage_warning_for,
    calendar_health,
    holidays_known_until,
    maintains_calendar,
    missing_holiday_years,
)
from .holidays import (
    HolidayFileError,
    HolidayRow,
    calendar_reload_from_package,
    calendar_seed,
    calendar_year_load,
    calendar_year_mark_loaded,
    holiday_rows_from_csv,
    holiday_rows_from_package,
    package_years,
)
from .store import calendar_changed, calendar_forget, calendar_load, work_calendar
from .workcalendar import DEFAULT_PERIODS, CalendarError, Period, WorkCalendar

EXTRA_CHECKS["calendar"] = calendar_health
CACHED_CHECKS.add("calendar")

__all__ = [
    "DEFAULT_PERIODS",
    "CalendarError",
    "HolidayFileError",
    "HolidayRow",
    "Period",
    "WorkCalendar",
    "calendar_changed",
    "calendar_coverage_warning",
    "calendar_coverage_warning_for",
    "calendar_forget",
    "calendar_health",
    "calendar_load",
    "calendar_reload_from_package",
    "calendar_seed",
    "calendar_year_load",
    "calendar_year_mark_loaded",
    "holiday_rows_from_csv",
    "holiday_rows_from_package",
    "holidays_known_until",
    "maintains_calendar",
    "missing_holiday_years",
    "package_years",
    "work_calendar",
]
