"""A period's unit counts from the daily roll-ups: the sum of its finished days' rows plus today computed now.

A row counts for the period [first, last] when its day is in the period and its `since` (if any) is too; the
handling stages that ended after the period with their deadline in it (rows of later days, `overdue_ended`) and the
stages still running with their deadline in it make 超期未处置. Today's rows come from the same statement over the
events of today so far; a finished day without a roll-up yet (the beat has not run) is computed the same way, up to
MAX_DAYS_NOW of them; beyond that, or for an "as of" reading, the caller counts the events directly.
"""

from datetime import date, timedelta

from django.db import connection, transaction
from django.db.models import Count, Max, Min, Sum
from django.utils import timezone

from cases.models import CaseEvent

from ..indicators.counts import UNIT_COUNTS
from ..models import DailyCategoryCounts, DailyUnitCounts, RollupDay
from .services import day_bounds, day_rows
from .sql import RUNNING_OVERDUE_SQL

MAX_DAYS_NOW = 3
NAMES = [c.name for c in UNIT_COUNTS]
SUMMED = {c.name for c in UNIT_COUNTS if c.summed}
NO_LIMIT = 2**63 - 1


def rollup_version():
    """What the cached live figures depend on besides today: when a roll-up was last written (one query)."""
    stamp = RollupDay.objects.aggregate(m=Max("computed_at"))["m"]
    return stamp.strftime("%Y%m%d%H%M%S%f") if stamp else "none"


def _days_missing(first: date, yesterday: date):
    """Finished days from `first` to yesterday without a roll-up (days before the first one hold no events)."""
    if first > yesterday:
        return []
    bounds = RollupDay.objects.aggregate(lo=Min("day"), hi=Max("day"))
    if bounds["lo"] is None:
        return None
    have = set(
        RollupDay.objects.filter(day__gte=max(first, bounds["lo"]), day__lte=yesterday).values_list("day", flat=True)
    )
    start = max(first, bounds["lo"])
    return [
        start + timedelta(days=n) for n in range((yesterday - start).days + 1) if start + timedelta(days=n) not in have
    ]


def _zero():
    return {n: (0.0 if n in SUMMED else 0) for n in NAMES}


def _add(totals, key, values, *, overdue_only):
    row = totals.setdefault(key, _zero())
    if overdue_only:
        row["overdue_open"] += values["overdue_ended"]
        return
    for name in NAMES:
        row[name] += values[name]


def _stored(span, totals):
    """Add the stored rows of the period (and the later days' ended overdue stages) to totals."""
    sums = ", ".join(f"sum({n}) FILTER (WHERE day <= %(last)s)" for n in NAMES)
    table = DailyUnitCounts._meta.db_table
    sql = f"""
    SELECT department_id, region_path, {sums}, sum(overdue_ended) FILTER (WHERE day > %(last)s)
    FROM {table}
    WHERE (day BETWEEN %(first)s AND %(last)s AND (since IS NULL OR since >= %(first)s))
       OR (day > %(last)s AND since BETWEEN %(first)s AND %(last)s AND overdue_ended > 0)
    GROUP BY department_id, region_path
    """  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, {"first": span.first, "last": span.last})
        for department_id, region_path, *values in cursor.fetchall():
            key = ("d", department_id) if department_id is not None else ("r", region_path)
            row = totals.setdefault(key, _zero())
            for name, value in zip(NAMES, values, strict=False):
                row[name] += value or 0
            row["overdue_open"] += values[-1] or 0


def _computed(span, day, totals, *, bound=None):
    """Add one day's rows computed now (today so far, or a finished day the beat has not written yet)."""
    for department_id, region_path, since, values in day_rows(
        day, upto=NO_LIMIT, enforcement_upto=NO_LIMIT, bound=bound
    ):
        key = ("d", department_id) if department_id is not None else ("r", region_path)
        if span.first <= day <= span.last:
            if since is None or since >= span.first:
                _add(totals, key, values, overdue_only=False)
        elif day > span.last and since is not None and span.first <= since <= span.last and values["overdue_ended"]:
            _add(totals, key, values, overdue_only=True)


def _running_overdue(span, now, totals):
    bound = min(span.end, now)
    if bound <= span.start:
        return
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(RUNNING_OVERDUE_SQL, {"start": span.start, "bound": bound})
        for by_region, department_id, region_path, n in cursor.fetchall():
            if by_region and region_path is not None:
                totals.setdefault(("r", region_path), _zero())["overdue_open"] += n
            elif not by_region and department_id is not None:
                totals.setdefault(("d", department_id), _zero())["overdue_open"] += n


def unit_counts(*, span, now):
    """({department_id: counts}, {leaf region_path: counts}) as indicators.sql.unit_counts gives them, from the
    roll-ups; None when they cannot answer (no roll-ups, too many days missing, a period after today)."""
    today = timezone.localdate(now)
    if span.first > today:
        return None
    yesterday = today - timedelta(days=1)
    missing = _days_missing(span.first, yesterday)
    if missing is None or len(missing) > MAX_DAYS_NOW:
        return None
    totals = {}
    _stored(span, totals)
    for day in missing:
        _computed(span, day, totals)
    _computed(span, today, totals, bound=now)
    _running_overdue(span, now, totals)
    departments, leaves = {}, {}
    for (kind, key), counts in totals.items():
        counts = {n: (float(v) if n in SUMMED else int(v)) for n, v in counts.items()}
        if kind == "d":
            departments[key] = counts
        else:
            leaves[key] = counts
    return departments, leaves


def top_categories(*, span, region_path, now):
    """[(category_id, filed)] of the period under a city, district or street path, from the roll-ups plus today;
    None when they cannot answer (a deeper path, days missing)."""
    if region_path.count("/") > 4:
        return None
    today = timezone.localdate(now)
    missing = _days_missing(span.first, today - timedelta(days=1))
    if missing or missing is None or span.first > today:
        return None
    counts = {}
    stored = DailyCategoryCounts.objects.filter(
        day__gte=span.first, day__lte=span.last, street_path__startswith=region_path
    )
    for category_id, filed in stored.values_list("category_id").annotate(n=Sum("filed")).order_by():
        counts[category_id] = counts.get(category_id, 0) + filed
    if span.first <= today <= span.last:
        start, _end = day_bounds(today)
        live = CaseEvent.objects.filter(
            action="register", at__gte=start, at__lt=now, region_path__startswith=region_path
        )
        for category_id, n in live.values_list("case__category_id").annotate(n=Count("id")).order_by():
            counts[category_id] = counts.get(category_id, 0) + n
    return counts
