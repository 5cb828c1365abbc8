"""The process-wide WorkCalendar: loaded once from the database, reloaded after a calendar row changes."""

import logging
import threading
import time
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.models.signals import post_delete, post_migrate, post_save

from cases.models import CalendarDay, CalendarYear, DayKind, WorkingPeriod

from .workcalendar import Period, WorkCalendar

# Other processes notice a committed change through a version in the shared cache; each process looks at
# most this often, so a deadline costs no round trip at all in between.
CHECK_SECONDS = 2.0
# When the shared cache does not answer, reload from the database this often instead.
FALLBACK_SECONDS = 60.0

logger = logging.getLogger(__name__)
_UNKNOWN = object()
_lock = threading.Lock()
_local = threading.local()


@dataclass
class _Entry:
    version: object
    loaded_at: float
    checked_at: float
    calendar: WorkCalendar


_entries: dict[str, _Entry] = {}


class _Bump:
    """An on_commit callback announcing a committed calendar change; while pending it marks uncommitted ones."""

    def __init__(self, using: str):
        self.using = using

    def __call__(self) -> None:
        _bump(using=self.using)


def _version_key(using: str) -> str:
    # Per database: engineers and test runs share one Redis but not one database.
    return f"worktime:calendar-version:{connections[using].settings_dict['NAME']}"


def _read_version(using: str) -> object:
    try:
        return cache.get(_version_key(using))
    except Exception:  # a cache outage must not stop deadlines; see FALLBACK_SECONDS
        return _UNKNOWN


def _bump(*, using: str) -> None:
    with _lock:
        _entries.pop(using, None)
    try:
        cache.set(_version_key(using), uuid.uuid4().hex, timeout=None)
    except Exception:  # other processes catch up after FALLBACK_SECONDS
        logger.warning("calendar change not announced: the cache does not answer", exc_info=True)


def _pending_changes(using: str) -> tuple:
    connection = connections[using]
    if not connection.in_atomic_block:
        return ()
    # run_on_commit holds (savepoint ids, func, robust); Django drops entries of rolled-back savepoints, so a
    # pending _Bump means exactly "this transaction has uncommitted calendar changes".
    return tuple(func for _sids, func, _robust in connection.run_on_commit if isinstance(func, _Bump))


def calendar_load(*, using: str = DEFAULT_DB_ALIAS) -> WorkCalendar:
    """A new calendar from the database's overrides, working periods and covered years (three queries, no cache)."""
    days = CalendarDay.objects.using(using).values_list("date", "kind")
    periods = WorkingPeriod.objects.using(using).values_list("start", "end", "valid_from", "valid_to")
    return WorkCalendar(
        overrides={day: kind == DayKind.WORKDAY for day, kind in days},
        periods=[Period(start=s, end=e, valid_from=f, valid_to=t) for s, e, f, t in periods],
        known_years=CalendarYear.objects.using(using).values_list("year", flat=True),
        tz=settings.TIME_ZONE,
    )


def calendar_changed(*, using: str = DEFAULT_DB_ALIAS) -> None:
    """Announce a calendar change (after commit); call after bulk writes, which send no model signals."""
    transaction.on_commit(_Bump(using), using=using)


def calendar_forget() -> None:
    """Drop this process's cached calendars (tests; after a flush)."""
    with _lock:
        _entries.clear()
    _local.__dict__.clear()


def work_calendar(*, using: str = DEFAULT_DB_ALIAS) -> WorkCalendar:
    """The current calendar: cached per process, reloaded when a change is committed anywhere.

    Inside a transaction that changed calendar rows, a private calendar that sees those uncommitted rows is
    returned instead, and is never shared (the transaction may still roll back).
    """
    pending = _pending_changes(using)
    if pending:
        cached = getattr(_local, "dirty", None)
        if cached is not None and cached[0] == (using, pending):
            return cached[1]
        calendar = calendar_load(using=using)
        _local.dirty = ((using, pending), calendar)
        return calendar
    now = time.monotonic()
    entry = _entries.get(using)
    if entry is not None and now - entry.checked_at < CHECK_SECONDS:
        return entry.calendar
    version = _read_version(using)
    if entry is not None and (
        (version is not _UNKNOWN and version == entry.version)
        or (version is _UNKNOWN and now - entry.loaded_at < FALLBACK_SECONDS)
    ):
        entry.checked_at = now
        return entry.calendar
    # The version is read before loading, so a change committed during the load triggers one more reload.
    calendar = calendar_load(using=using)
    with _lock:
        _entries[using] = _Entry(version=version, loaded_at=now, checked_at=now, calendar=calendar)
    return calendar


def _on_row_change(sender, using=DEFAULT_DB_ALIAS, **kwargs):
    calendar_changed(using=using)


def _on_migrate(sender, using=DEFAULT_DB_ALIAS, **kwargs):
    # `flush` (and transactional tests' teardown) empties tables without model signals, then sends post_migrate.
    calendar_forget()


for _model in ("cases.CalendarDay", "cases.CalendarYear", "cases.WorkingPeriod"):
    post_save.connect(_on_row_change, sender=_model, dispatch_uid=f"worktime-save-{_model}")
    post_delete.connect(_on_row_change, sender=_model, dispatch_uid=f"worktime-delete-{_model}")
post_migrate.connect(_on_migrate, dispatch_uid="worktime-migrate")
