"""Write the daily roll-ups: every finished day once, and again when late events land in it."""

from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Max, Min
from django.db.models.functions import TruncDate
from django.utils import timezone

from cases.models import NOT_TIMER_EVENT, CaseEvent, EnforcementEvent

from ..models import DailyCategoryCounts, DailyPostCounts, DailyUnitCounts, RollupDay
from .sql import COLUMNS, _post_columns, day_categories_sql, day_counts_sql, post_day_sql

# New events are looked for among the last this many event ids, not only above the newest id a roll-up read: an
# event id is taken at insert, so a transaction that commits late can hold an id below one already read.
RESCAN_EVENTS = 50_000
NO_LIMIT = 2**63 - 1


def day_bounds(day: date):
    zone = timezone.get_current_timezone()
    start = datetime(day.year, day.month, day.day, tzinfo=zone)
    following = day + timedelta(days=1)
    return start, datetime(following.year, following.month, following.day, tzinfo=zone)


def day_params(day: date, *, upto, enforcement_upto, start=None, end=None, bound=None):
    """Parameters of the day statement over [start, end) of `day` (default: the whole day)."""
    day_start, day_end = day_bounds(day)
    start, end = start or day_start, min(end or day_end, day_end)
    return {
        "day_start": day_start,
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


def day_rows(day: date, *, upto, enforcement_upto, start=None, bound=None):
    """[(department_id, region_path, since, {count: value, overdue_ended})] of [start, bound) of one day, now."""
    params = day_params(day, upto=upto, enforcement_upto=enforcement_upto, start=start, end=bound, bound=bound)
    with transaction.atomic(), connection.cursor() as cursor:
        _execute(cursor, day_counts_sql(), params)
        return [
            (department_id if not by_region else None, region_path if by_region else "", since,
             dict(zip(COLUMNS, values, strict=True)))
            for by_region, department_id, region_path, since, *values in cursor.fetchall()
            if _kept(by_region, department_id, region_path)
        ]  # fmt: skip


def post_day_rows(day: date, *, upto, start=None, bound=None):
    """[(actor_id, actor_role, since, {count: value, overdue_*_ended})] of [start, bound) of one day, now."""
    params = day_params(day, upto=upto, enforcement_upto=NO_LIMIT, start=start, end=bound, bound=bound)
    names = _post_columns()
    with transaction.atomic(), connection.cursor() as cursor:
        _execute(cursor, post_day_sql(), params)
        return [(a, r, since, dict(zip(names, v, strict=True))) for a, r, since, *v in cursor.fetchall()]


def day_categories(day: date, *, region_path, start=None, bound=None):
    """{category id: cases filed} in [start, bound) of one day under a grid path, computed now."""
    params = day_params(day, upto=NO_LIMIT, enforcement_upto=NO_LIMIT, start=start, end=bound, bound=bound)
    with connection.cursor() as cursor:
        cursor.execute(day_categories_sql(), params)
        counts = {}
        for street_path, category_id, n in cursor.fetchall():
            if (street_path or "").startswith(region_path):
                counts[category_id] = counts.get(category_id, 0) + n
        return counts


def _event_counts(day: date, end=None, marks=None):
    """How many case and enforcement events of the day (before `end`) there are, or were up to the ids `marks`: a
    roll-up records the numbers it read, so an event that lands in its day later (a late one, or one whose
    transaction committed after the roll-up read) makes the numbers differ."""
    start, day_end = day_bounds(day)
    # The timer sweep's events count for no figure (and the index on `at` leaves them out).
    events = CaseEvent.objects.filter(NOT_TIMER_EVENT, at__gte=start, at__lt=end or day_end)
    chain = EnforcementEvent.objects.filter(at__gte=start, at__lt=end or day_end)
    if marks is not None:
        events, chain = events.filter(id__lte=marks[0]), chain.filter(id__lte=marks[1])
    return events.count(), chain.count()


def _lock():
    # One writer of the roll-ups at a time (the beat, the command, a freeze bringing its days up to date): a day's
    # rows are replaced as a whole. Held to the end of the transaction.
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext('assessment.rollups'))")


def _write_rows(day, params):
    columns = ", ".join(COLUMNS)
    with connection.cursor() as cursor:
        _execute(
            cursor,
            f"""INSERT INTO {DailyUnitCounts._meta.db_table} (day, since, department_id, region_path, {columns})
            SELECT %(day)s, since, CASE WHEN by_region THEN NULL ELSE department_id END,
                   CASE WHEN by_region THEN region_path ELSE '' END, {columns}
            FROM ({day_counts_sql()}) d
            WHERE CASE WHEN by_region THEN region_path IS NOT NULL ELSE department_id IS NOT NULL END""",  # noqa: S608
            {**params, "day": day},
        )
        posts = ", ".join(_post_columns())
        cursor.execute(
            f"""INSERT INTO {DailyPostCounts._meta.db_table} (day, actor_id, actor_role, since, {posts})
            SELECT %(day)s, d.* FROM ({post_day_sql()}) d""",  # noqa: S608
            {**params, "day": day},
        )
        cursor.execute(
            f"""INSERT INTO {DailyCategoryCounts._meta.db_table} (day, street_path, category_id, filed)
            SELECT %(day)s, street_path, category_id, n FROM ({day_categories_sql()}) d(street_path, category_id, n)
            WHERE street_path IS NOT NULL""",  # noqa: S608
            {**params, "day": day},
        )


def _marks():
    upto = CaseEvent.objects.aggregate(m=Max("id"))["m"] or 0
    return upto, EnforcementEvent.objects.aggregate(m=Max("id"))["m"] or 0


@transaction.atomic
def rollup_day(*, day: date, marks=None) -> RollupDay:
    """Write (or rewrite) one finished day's roll-up rows as of the newest events (or of the event ids `marks`, a
    freeze's bounds: (case event id, enforcement event id)); idempotent."""
    _lock()
    upto, enforcement_upto = marks if marks is not None else _marks()
    counted = _event_counts(day, marks=(upto, enforcement_upto))
    _clear(day)
    _write_rows(day, day_params(day, upto=upto, enforcement_upto=enforcement_upto))
    return _record(day, marks=(upto, enforcement_upto), counted=counted, through=None)


def _clear(day):
    for model in (DailyUnitCounts, DailyPostCounts, DailyCategoryCounts):
        model.objects.filter(day=day).delete()


def _record(day, *, marks, counted, through):
    """The day's RollupDay: the event ids it read up to, the numbers of events it saw, how far (None: all day)."""
    record, _created = RollupDay.objects.update_or_create(
        day=day,
        defaults={
            "last_event_id": marks[0],
            "last_enforcement_event_id": marks[1],
            "events": counted[0],
            "enforcement_events": counted[1],
            "computed_at": timezone.now(),
            "through": through,
        },
    )
    return record


@transaction.atomic
def rollup_today(*, now=None) -> RollupDay:
    """Write today's roll-up up to `now`: the part since the last one is added to it, so a live reading computes only
    the last few minutes. When the events before that part changed meanwhile (a late event, a transaction that
    committed late), the day so far is written again as a whole."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    _lock()
    upto, enforcement_upto = _marks()
    record = RollupDay.objects.filter(day=today).first()
    start = None
    partial = record is not None and record.through is not None and record.through <= now
    if partial and (record.events, record.enforcement_events) == _event_counts(today, record.through):
        start = record.through
    if start is None:
        _clear(today)
    _write_rows(today, day_params(today, upto=upto, enforcement_upto=enforcement_upto, start=start, end=now, bound=now))
    counted = _event_counts(today, now, marks=(upto, enforcement_upto))
    return _record(today, marks=(upto, enforcement_upto), counted=counted, through=now)


def _first_day():
    # A case's first event is never the timer sweep's (and the index on `at` leaves those out).
    first = CaseEvent.objects.filter(NOT_TIMER_EVENT).aggregate(m=Min("at"))["m"]
    return timezone.localdate(first) if first else None


def days_due(*, today: date) -> list[date]:
    """The finished days without a roll-up, and those whose events changed since theirs was written."""
    newest = RollupDay.objects.filter(through__isnull=True).aggregate(m=Max("day"))["m"]
    start = newest + timedelta(days=1) if newest else _first_day()
    due = []
    if start is not None:
        due = [start + timedelta(days=n) for n in range((today - start).days)]
    due += [d for d in _late_days(today=today) if d not in due]
    return sorted(due)


def _late_days(*, today: date) -> set[date]:
    """Rolled-up days that recent events (case or enforcement) landed in, when their number of events changed."""
    today_start, _end = day_bounds(today)
    marks = RollupDay.objects.filter(through__isnull=True).aggregate(
        e=Max("last_event_id"), x=Max("last_enforcement_event_id")
    )
    if marks["e"] is None:
        return set()
    recent = CaseEvent.objects.filter(id__gt=marks["e"] - RESCAN_EVENTS, at__lt=today_start)
    days = set(recent.annotate(day=TruncDate("at")).values_list("day", flat=True).distinct())
    chain = EnforcementEvent.objects.filter(id__gt=(marks["x"] or 0) - RESCAN_EVENTS, at__lt=today_start)
    days |= set(chain.annotate(day=TruncDate("at")).values_list("day", flat=True).distinct())
    stored = {r.day: r for r in RollupDay.objects.filter(day__in=days, through__isnull=True)}
    late = {d for d, r in stored.items() if (r.events, r.enforcement_events) != _event_counts(d)}
    # A late step of an enforcement chain can lift a 挂牌督办 listing: its row is on the listing's deadline day.
    chains = {x for x, at in chain.values_list("enforcement_id", "at") if timezone.localdate(at) in late}
    listings = EnforcementEvent.objects.filter(enforcement_id__in=chains, action="list")
    for data in listings.values_list("data", flat=True):
        deadline = (data or {}).get("deadline")
        day = timezone.localdate(datetime.fromisoformat(deadline)) if deadline else None
        if day is not None and day < today and RollupDay.objects.filter(day=day, through__isnull=True).exists():
            late.add(day)
    return late


def rollups_sweep(*, now=None) -> list[date]:
    """Roll up every finished day that has none, and redo those late events landed in (the beat task's work)."""
    now = now or timezone.now()
    done = []
    for day in days_due(today=timezone.localdate(now)):
        rollup_day(day=day)
        done.append(day)
    rollup_today(now=now)
    return done


def rollups_rebuild(*, first: date | None = None, last: date | None = None) -> list[date]:
    """Rewrite the roll-ups of every finished day in [first, last] (default: from the first event to yesterday), then
    write today so far."""
    yesterday = timezone.localdate() - timedelta(days=1)
    first = first or _first_day()
    last = min(last or yesterday, yesterday)
    if first is None:
        return []
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    for day in days:
        rollup_day(day=day)
    rollup_today()
    return days
