"""A period's counts (departments, grids, posts) from the daily roll-ups: its days' rows plus what they lack.

A row counts for the period [first, last] when its day is in the period and its `since` (if any) is too; the
handling stages that ended after the period with their deadline in it (rows of later days, `overdue_ended`) and the
stages still running with their deadline in it make 超期未处置 (the same for the posts' verify and check tasks). What
the roll-ups do not hold is computed by the same statement: today since its last written part, the rest of a day
written in part, a finished day the beat has not written yet (up to MAX_DAYS_NOW of them). Beyond that, or for an
"as of" reading, the caller counts the events directly.
"""

from datetime import date, timedelta

from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.db.models import Max, Min, Sum
from django.utils import timezone

from cases.models import NOT_TIMER_EVENT, CaseEvent

from ..indicators.counts import UNIT_COUNTS
from ..livecache import _cache_get, _cache_set, _live_cache_seconds
from ..models import DailyCategoryCounts, DailyPostCounts, DailyUnitCounts, RollupDay
from .services import NO_LIMIT, day_bounds, day_categories, day_rows, post_day_rows
from .sql import RUNNING_OVERDUE_SQL, RUNNING_TASKS_SQL

MAX_DAYS_NOW = 3
NAMES = [c.name for c in UNIT_COUNTS]
SUMMED = {c.name for c in UNIT_COUNTS if c.summed}


def rollup_version():
    """What the cached live figures depend on besides today: when a roll-up was last written (one query)."""
    stamp = RollupDay.objects.aggregate(m=Max("computed_at"))["m"]
    return stamp.strftime("%Y%m%d%H%M%S%f") if stamp else "none"


def _to_compute(first: date, now):
    """[(day, start or None, bound or None)]: the parts of the days from `first` to today that the roll-ups do not
    hold and a reading computes now (a whole day the beat has not written yet, the rest of a day written in part,
    today since its last part); None when there are no roll-ups, when events came before the first one, or when more
    than MAX_DAYS_NOW whole days are missing."""
    today = timezone.localdate(now)
    lowest = RollupDay.objects.aggregate(lo=Min("day"))["lo"]
    if lowest is None:
        return None
    if first < lowest and CaseEvent.objects.filter(NOT_TIMER_EVENT, at__lt=day_bounds(lowest)[0]).exists():
        return None  # the roll-ups start after the first events (a partial rebuild): they cannot answer
    start = max(first, lowest)
    written = dict(RollupDay.objects.filter(day__gte=start, day__lte=today).values_list("day", "through"))
    parts, whole = [], 0
    for n in range((today - start).days + 1):
        day = start + timedelta(days=n)
        bound = now if day == today else None
        if day not in written:
            whole += day != today
            parts.append((day, None, bound))
        elif written[day] is not None:
            parts.append((day, written[day], bound))
    return None if whole > MAX_DAYS_NOW else parts


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
    sums = ", ".join(f"sum({n})" for n in NAMES)
    zeros = ", ".join("0" for _n in NAMES)
    table = DailyUnitCounts._meta.db_table
    # Two parts, each on its own index: the period's days (by day), and the handling stages with their deadline in
    # the period that ended on a later day (the partial index on since, overdue rows only).
    sql = f"""
    SELECT department_id, region_path, {sums}, sum(overdue_after) FROM (
        SELECT department_id, region_path, {", ".join(NAMES)}, 0 AS overdue_after
        FROM {table}
        WHERE day BETWEEN %(first)s AND %(last)s AND (since IS NULL OR since >= %(first)s)
        UNION ALL
        SELECT department_id, region_path, {zeros}, overdue_ended
        FROM {table}
        WHERE overdue_ended > 0 AND since BETWEEN %(first)s AND %(last)s AND day > %(last)s
    ) rows
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


def _day_rows(day, start, bound):
    """Rows of [start, bound) of a day, computed now. Today's are shared through the cache for the live results' time
    bucket, so the periods of one page (this month, the last one, a year ago) compute them once."""
    seconds = _live_cache_seconds()
    if not seconds or bound is None:
        return day_rows(day, upto=NO_LIMIT, enforcement_upto=NO_LIMIT, start=start, bound=bound)
    since = start.timestamp() if start else ""
    key = f"assessment:today:{day.isoformat()}:{since}:{int(bound.timestamp()) // seconds}"
    rows = _cache_get(key)
    if rows is None:
        rows = day_rows(day, upto=NO_LIMIT, enforcement_upto=NO_LIMIT, start=start, bound=bound)
        _cache_set(key, rows, seconds)
    return rows


def _computed(span, day, totals, *, start=None, bound=None):
    """Add the rows of [start, bound) of one day, computed now."""
    for department_id, region_path, since, values in _day_rows(day, start, bound):
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


def _one_state(read):
    """read() over one state of the roll-ups. Its statements each see the newest commits, so a roll-up the beat
    writes meanwhile could make the stored rows and the parts computed live overlap (today's part counted twice, a
    day both stored and computed): a write in between (the newest `computed_at` moved) makes it read again. None
    (the caller counts the events directly) when roll-ups were written during every attempt."""
    for _attempt in range(ONE_STATE_ATTEMPTS):
        version = rollup_version()
        result = read()
        if rollup_version() == version:
            return result
    return None


# How often a reading is tried again when roll-ups are written while it reads.
ONE_STATE_ATTEMPTS = 3


def unit_counts(*, span, now):
    """({department_id: counts}, {leaf region_path: counts}) as indicators.sql.unit_counts gives them, from the
    roll-ups; None when they cannot answer (no roll-ups, too many days missing, a period after today)."""
    if span.first > timezone.localdate(now):
        return None
    return _one_state(lambda: _unit_counts(span, now))


def _unit_counts(span, now):
    parts = _to_compute(span.first, now)
    if parts is None:
        return None
    totals = {}
    _stored(span, totals)
    for day, start, bound in parts:
        _computed(span, day, totals, start=start, bound=bound)
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
    """{category_id: filed} of the period under a city, district or street path, from the roll-ups plus what they do
    not hold yet; None when they cannot answer (a deeper path, too many days missing, a period after today)."""
    if region_path.count("/") > 4 or span.first > timezone.localdate(now):
        return None
    return _one_state(lambda: _top_categories(span, region_path, now))


def _top_categories(span, region_path, now):
    parts = _to_compute(span.first, now)
    if parts is None:
        return None
    counts = {}
    stored = DailyCategoryCounts.objects.filter(
        day__gte=span.first, day__lte=span.last, street_path__startswith=region_path
    )
    for category_id, filed in stored.values_list("category_id").annotate(n=Sum("filed")).order_by():
        counts[category_id] = counts.get(category_id, 0) + filed
    for day, start, bound in parts:
        if span.first <= day <= span.last:
            for category_id, n in day_categories(day, region_path=region_path, start=start, bound=bound).items():
                counts[category_id] = counts.get(category_id, 0) + n
    return counts


def _post_names():
    from ..indicators.counts import POST_COUNTS

    return [c.name for c in POST_COUNTS]


def _post_stored(span, totals):
    names = _post_names()
    sums = ", ".join(f"sum({n})" for n in names)
    zeros = ", ".join("0" for _n in names)
    table = DailyPostCounts._meta.db_table
    sql = f"""
    SELECT actor_id, actor_role, {sums}, sum(verify_after), sum(check_after) FROM (
        SELECT actor_id, actor_role, {", ".join(names)}, 0 AS verify_after, 0 AS check_after
        FROM {table}
        WHERE day BETWEEN %(first)s AND %(last)s AND (since IS NULL OR since >= %(first)s)
        UNION ALL
        SELECT actor_id, actor_role, {zeros}, overdue_verify_ended, overdue_check_ended
        FROM {table}
        WHERE (overdue_verify_ended > 0 OR overdue_check_ended > 0) AND since BETWEEN %(first)s AND %(last)s
          AND day > %(last)s
    ) rows
    GROUP BY actor_id, actor_role
    """  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, {"first": span.first, "last": span.last})
        for actor_id, role, *values in cursor.fetchall():
            row = totals.setdefault((actor_id, role), dict.fromkeys(names, 0))
            for name, value in zip(names, values, strict=False):
                row[name] += value or 0
            row["overdue_verify"] += values[-2] or 0
            row["overdue_check"] += values[-1] or 0


def _post_computed(span, day, totals, *, start=None, bound=None):
    names = _post_names()
    for actor_id, role, since, values in post_day_rows(day, upto=NO_LIMIT, start=start, bound=bound):
        if span.first <= day <= span.last:
            if since is None or since >= span.first:
                row = totals.setdefault((actor_id, role), dict.fromkeys(names, 0))
                for name in names:
                    row[name] += values[name]
        elif day > span.last and since is not None and span.first <= since <= span.last:
            overdue = values["overdue_verify_ended"] + values["overdue_check_ended"]
            if overdue:
                row = totals.setdefault((actor_id, role), dict.fromkeys(names, 0))
                row["overdue_verify"] += values["overdue_verify_ended"]
                row["overdue_check"] += values["overdue_check_ended"]


def _post_live(span, now, totals):
    """Verify/check tasks running with their deadline in the period, and the missed reports (漏报: the patrol tracks
    may arrive late, and the rule reads them with the period's own bounds)."""
    from ..indicators.missed import missed_params, missed_sql

    names = _post_names()
    bound = min(span.end, now)
    params = {"start": span.start, "end": span.end, "bound": bound, **missed_params(None)}
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL jit = off")
        if bound > span.start:
            cursor.execute(RUNNING_TASKS_SQL, params)
            for assignee_id, stage, n in cursor.fetchall():
                totals.setdefault((assignee_id, "grid_worker"), dict.fromkeys(names, 0))[f"overdue_{stage}"] += n
        cursor.execute(f"SELECT m.worker_id, count(*) FROM ({missed_sql(None, None)}) m GROUP BY 1", params)  # noqa: S608
        for worker_id, n in cursor.fetchall():
            totals.setdefault((worker_id, "grid_worker"), dict.fromkeys(names, 0))["missed"] += n


def post_counts(*, span, now):
    """{(user_id, role): (username, full name, counts)} as indicators.sql.post_counts(with_names=True) gives them,
    from the roll-ups; None when they cannot answer."""
    if span.first > timezone.localdate(now):
        return None
    return _one_state(lambda: _post_counts(span, now))


def _post_counts(span, now):
    parts = _to_compute(span.first, now)
    if parts is None:
        return None
    totals = {}
    _post_stored(span, totals)
    for day, start, bound in parts:
        _post_computed(span, day, totals, start=start, bound=bound)
    _post_live(span, now, totals)
    return posts_named(totals)


def posts_named(totals: dict) -> dict:
    """{(user id, role): counts} as {(user id, role): (username, full name, counts)}, for the people who exist."""
    users = get_user_model().objects.filter(pk__in={k[0] for k in totals}).values_list("id", "username", "full_name")
    people = {pk: (username, full_name) for pk, username, full_name in users}
    return {
        key: (*people[key[0]], {n: int(v) for n, v in counts.items()})
        for key, counts in totals.items()
        if key[0] in people
    }
