"""Write the daily roll-ups: every finished day once, and again when late events land in it."""

from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Max, Min
from django.utils import timezone

from cases.models import CaseEvent, EnforcementEvent

from ..models import DailyCategoryCounts, DailyUnitCounts, RollupDay
from .sql import COLUMNS, day_categories_sql, day_counts_sql

# New events are looked for among the last this many event ids, not only above the newest id a roll-up read: an
# event id is taken at insert, so a transaction that commits late can hold an id below one already read.
RESCAN_EVENTS = 50_000


def day_bounds(day: date):
    zone = timezone.get_current_timezone()
    start = datetime(day.year, day.month, day.day, tzinfo=zone)
    following = day + timedelta(days=1)
    return start, datetime(following.year, following.month, following.day, tzinfo=zone)


def day_params(day: date, *, upto, enforcement_upto, bound=None):
    start, end = day_bounds(day)
    return {
        "start": start,
        "end": end,
        "bound": min(bound, end) if bound is not None else end,
        "upto": upto,
        "enforcement_upto": enforcement_upto,
        "tz": settings.TIME_ZONE,
    }


def _execute(cursor, sql, params):
    # As for the assessment's own statements (indicators/sql.py): no JIT, the windows' sorts in memory.
    cursor.execute("SET LOCAL jit = off")
    cursor.execute("SET LOCAL work_mem = '64MB'")
    cursor.execute(sql, params)


def _kept(by_region, department_id, region_path):
    """Department rows without a department and grid rows without a grid are dropped, as in the direct count."""
    return region_path is not None if by_region else department_id is not None


def day_rows(day: date, *, upto, enforcement_upto, bound=None):
    """[(department_id, region_path, since, {count: value, overdue_ended})] of one day, computed now."""
    with transaction.atomic(), connection.cursor() as cursor:
        _execute(cursor, day_counts_sql(), day_params(day, upto=upto, enforcement_upto=enforcement_upto, bound=bound))
        return [
            (department_id if not by_region else None, region_path if by_region else "", since,
             dict(zip(COLUMNS, values, strict=True)))
            for by_region, department_id, region_path, since, *values in cursor.fetchall()
            if _kept(by_region, department_id, region_path)
        ]  # fmt: skip


def _event_counts(day: date):
    start, end = day_bounds(day)
    events = CaseEvent.objects.filter(at__gte=start, at__lt=end).count()
    return events, EnforcementEvent.objects.filter(at__gte=start, at__lt=end).count()


@transaction.atomic
def rollup_day(*, day: date) -> RollupDay:
    """Write (or rewrite) one finished day's roll-up rows as of the newest events; idempotent."""
    upto = CaseEvent.objects.aggregate(m=Max("id"))["m"] or 0
    enforcement_upto = EnforcementEvent.objects.aggregate(m=Max("id"))["m"] or 0
    events, enforcement_events = _event_counts(day)
    params = day_params(day, upto=upto, enforcement_upto=enforcement_upto)
    params["day"] = day
    columns = ", ".join(COLUMNS)
    DailyUnitCounts.objects.filter(day=day).delete()
    DailyCategoryCounts.objects.filter(day=day).delete()
    with connection.cursor() as cursor:
        _execute(
            cursor,
            f"""INSERT INTO {DailyUnitCounts._meta.db_table} (day, since, department_id, region_path, {columns})
            SELECT %(day)s, since, CASE WHEN by_region THEN NULL ELSE department_id END,
                   CASE WHEN by_region THEN region_path ELSE '' END, {columns}
            FROM ({day_counts_sql()}) d
            WHERE CASE WHEN by_region THEN region_path IS NOT NULL ELSE department_id IS NOT NULL END""",  # noqa: S608
            params,
        )
        cursor.execute(
            f"""INSERT INTO {DailyCategoryCounts._meta.db_table} (day, street_path, category_id, filed)
            SELECT %(day)s, street_path, category_id, n FROM ({day_categories_sql()}) d(street_path, category_id, n)
            WHERE street_path IS NOT NULL""",  # noqa: S608
            params,
        )
    record, _created = RollupDay.objects.update_or_create(
        day=day,
        defaults={
            "last_event_id": upto,
            "last_enforcement_event_id": enforcement_upto,
            "events": events,
            "enforcement_events": enforcement_events,
            "computed_at": timezone.now(),
        },
    )
    return record


def _first_day():
    first = CaseEvent.objects.aggregate(m=Min("at"))["m"]
    return timezone.localdate(first) if first else None


def days_due(*, today: date) -> list[date]:
    """The finished days without a roll-up, and those whose events changed since theirs was written."""
    newest = RollupDay.objects.aggregate(m=Max("day"))["m"]
    start = newest + timedelta(days=1) if newest else _first_day()
    due = []
    if start is not None:
        due = [start + timedelta(days=n) for n in range((today - start).days)]
    due += [d for d in _late_days(today=today) if d not in due]
    return sorted(due)


def _late_days(*, today: date) -> set[date]:
    """Rolled-up days that recent events (case or enforcement) landed in, when their number of events changed."""
    today_start, _end = day_bounds(today)
    marks = RollupDay.objects.aggregate(e=Max("last_event_id"), x=Max("last_enforcement_event_id"))
    if marks["e"] is None:
        return set()
    recent = CaseEvent.objects.filter(id__gt=marks["e"] - RESCAN_EVENTS, at__lt=today_start)
    days = {timezone.localdate(at) for at in recent.values_list("at", flat=True).distinct()}
    chain = EnforcementEvent.objects.filter(id__gt=(marks["x"] or 0) - RESCAN_EVENTS, at__lt=today_start)
    days |= {timezone.localdate(at) for at in chain.values_list("at", flat=True)}
    stored = {r.day: r for r in RollupDay.objects.filter(day__in=days)}
    late = {d for d, r in stored.items() if (r.events, r.enforcement_events) != _event_counts(d)}
    # A late step of an enforcement chain can lift a 挂牌督办 listing: its row is on the listing's deadline day.
    chains = {x for x, at in chain.values_list("enforcement_id", "at") if timezone.localdate(at) in late}
    listings = EnforcementEvent.objects.filter(enforcement_id__in=chains, action="list")
    for data in listings.values_list("data", flat=True):
        deadline = (data or {}).get("deadline")
        day = timezone.localdate(datetime.fromisoformat(deadline)) if deadline else None
        if (
            day is not None
            and day < today
            and day in set(RollupDay.objects.filter(day=day).values_list("day", flat=True))
        ):
            late.add(day)
    return late


def rollups_sweep(*, now=None) -> list[date]:
    """Roll up every finished day that has none, and redo those late events landed in (the beat task's work)."""
    today = timezone.localdate(now or timezone.now())
    done = []
    for day in days_due(today=today):
        rollup_day(day=day)
        done.append(day)
    return done


def rollups_rebuild(*, first: date | None = None, last: date | None = None) -> list[date]:
    """Rewrite the roll-ups of every finished day in [first, last] (default: from the first event to yesterday)."""
    yesterday = timezone.localdate() - timedelta(days=1)
    first = first or _first_day()
    last = min(last or yesterday, yesterday)
    if first is None:
        return []
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    for day in days:
        rollup_day(day=day)
    return days
