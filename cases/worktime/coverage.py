"""Which years have an official holiday schedule, and the loud warning when a deadline leaves them."""

import logging
from datetime import date, datetime, timedelta

from django.utils import timezone
from django.utils.translation import gettext as _

from .store import work_calendar
from .workcalendar import WorkCalendar

logger = logging.getLogger(__name__)

# The State Council publishes next year's schedule in November/December; look this far ahead.
LOOKAHEAD_DAYS = 30


def _calendar(calendar: WorkCalendar | None) -> WorkCalendar:
    return calendar if calendar is not None else work_calendar()


def missing_holiday_years(
    *, now: datetime | None = None, deadline: datetime | None = None, calendar: WorkCalendar | None = None
) -> list[int]:
    """Years without a loaded holiday schedule among the next 30 days and the years up to `deadline`."""
    calendar = _calendar(calendar)
    today = (now or timezone.now()).astimezone(calendar.tz).date()
    first, last = today.year, (today + timedelta(days=LOOKAHEAD_DAYS)).year
    if deadline is not None:
        year = deadline.astimezone(calendar.tz).year
        first, last = min(first, year), max(last, year)
    return [year for year in range(first, last + 1) if year not in calendar.known_years]


def calendar_coverage_warning(
    *, now: datetime | None = None, deadline: datetime | None = None, calendar: WorkCalendar | None = None
) -> str | None:
    """A message for admins and the command centre when holiday data is missing where it matters, else None."""
    missing = missing_holiday_years(now=now, deadline=deadline, calendar=calendar)
    if not missing:
        return None
    return _(
        "The %(years)s holiday schedule has not been entered; deadlines after %(last_known_day)s assume "
        "Monday–Friday working days. Enter it under Holiday schedule years or with manage.py load_holidays."
    ) % {"years": ", ".join(str(year) for year in missing), "last_known_day": date(missing[0] - 1, 12, 31).isoformat()}


# Who may enter the holiday schedule (the calendar's admin pages); they alone are shown the coverage banner.
CALENDAR_PERMISSIONS = ("cases.change_calendarday", "cases.change_calendaryear")


def maintains_calendar(user) -> bool:
    """Administrators (superusers, an administrator posting) and staff allowed to edit the calendar."""
    from accounts.scope import user_scope

    if not (user.is_authenticated and user.is_active):
        return False
    if user_scope(user).everything:
        return True
    return user.is_staff and any(user.has_perm(perm) for perm in CALENDAR_PERMISSIONS)


def calendar_coverage_warning_for(
    user, *, now: datetime | None = None, deadline: datetime | None = None, calendar: WorkCalendar | None = None
) -> str | None:
    """The coverage warning for a page's banner: only for those who can fix it (`maintains_calendar`); the others
    would read a warning they cannot act on, on every page."""
    if not maintains_calendar(user):
        return None
    return calendar_coverage_warning(now=now, deadline=deadline, calendar=calendar)


def holidays_known_until(*, today: date, calendar: WorkCalendar) -> date | None:
    """The last day of the unbroken run of loaded years that reaches today (None when there is none)."""
    year = today.year if today.year in calendar.known_years else today.year - 1
    if year not in calendar.known_years:
        return None
    while year + 1 in calendar.known_years:
        year += 1
    return date(year, 12, 31)


def calendar_health() -> dict:
    """The /healthz field: always ok (the service works), with the coverage and any warning."""
    try:
        calendar = _calendar(None)
        today = timezone.now().astimezone(calendar.tz).date()
        until = holidays_known_until(today=today, calendar=calendar)
        return {
            "ok": True,
            "holidays_known_until": until.isoformat() if until else None,
            "warning": calendar_coverage_warning(calendar=calendar),
        }
    except Exception:  # the database check already reports outages; this field must never fail
        logger.warning("health check: the working-time calendar could not be read", exc_info=True)
        return {"ok": True, "status": "not read", "holidays_known_until": None, "warning": None}
