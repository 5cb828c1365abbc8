"""The working-time calendar: working days and periods, deadlines, stage clocks and holiday coverage.

Importing this package registers the calendar's /healthz field and the cache invalidation signals.
"""

from huizhou_cityops.health import EXTRA_CHECKS

from .clock import (
    NATURAL,
    NATURAL_HOUR,
    WARN_FRACTION,
    WORKING,
    WORKING_DAY,
    WORKING_HOUR,
    Light,
    StageClock,
    StageStatus,
    add_time,
    deadline_for,
    elapsed,
    extend,
    limit_duration,
)
from .coverage import calendar_coverage_warning, calendar_health, holidays_known_until, missing_holiday_years
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

__all__ = [
    "DEFAULT_PERIODS",
    "NATURAL",
    "NATURAL_HOUR",
    "WARN_FRACTION",
    "WORKING",
    "WORKING_DAY",
    "WORKING_HOUR",
    "CalendarError",
    "HolidayFileError",
    "HolidayRow",
    "Light",
    "Period",
    "StageClock",
    "StageStatus",
    "WorkCalendar",
    "add_time",
    "calendar_changed",
    "calendar_coverage_warning",
    "calendar_forget",
    "calendar_health",
    "calendar_load",
    "calendar_reload_from_package",
    "calendar_seed",
    "calendar_year_load",
    "calendar_year_mark_loaded",
    "deadline_for",
    "elapsed",
    "extend",
    "holiday_rows_from_csv",
    "holiday_rows_from_package",
    "holidays_known_until",
    "limit_duration",
    "missing_holiday_years",
    "package_years",
    "work_calendar",
]
