"""A freeze's counts from the daily roll-ups, exact as of its bounds.

A freeze (or a recomputation with every event known now) reads "every event up to the newest ids": the case event
id `upto`, the enforcement event id `enforcement_upto` and the track point id `track_upto`, read once the roll-ups'
lock is held (services.period_compute_now). Its figures are the sum of the period's day rows, when each day's
roll-up holds exactly that day's events up to those ids, plus what day rows of the period do not hold, read from
the events with the direct statement's own fragments (indicators/sql.py), a few index pages each:

- the stages overdue and not ended by the period end (超期未处置, verify and check tasks overdue): ended by a later
  event or by one after the bounds, or still running (and started before the bounds) — the deadline indexes;
- the 挂牌督办 listings due in the period: an enforcement step of a day before the period can lift them;
- the missed reports (漏报): they read the patrol tracks.

Every other day row comes from the events of its own day, so a day's roll-up holds exactly its events up to the
bounds when it read up to ids no later than the bounds and saw as many events of its day as there are now: events
are never changed or deleted, so the same number is the same events. A day whose roll-up is missing (the beat has not
written it) or saw another number (a late event landed in it, a transaction committed after it read, a correction
such as a void approved with an earlier time) is rolled up again within the freeze, as of the freeze's bounds: the
beat's code, under its lock, so the two never write a day at once. A day without events holds nothing for a freeze.
More than MAX_DAYS_REROLLED such days, or a period the beat has not reached (roll-ups never written): the freeze
counts the events directly, and writes no roll-up the beat would not write.
"""

from datetime import date, timedelta

from django.db import connection, transaction
from django.db.models import Count, Max
from django.db.models.functions import TruncDate
from django.utils import timezone

from cases.models import NOT_TIMER_EVENT, CaseEvent, EnforcementEvent

from ..indicators.counts import POST_COUNTS, UNIT_COUNTS
from ..indicators.sql import _aggregates, _params, listings_sql, overdue_handling_sql, post_overdue_and_missed_sql
from ..models import DailyPostCounts, DailyUnitCounts, RollupDay
from .read import posts_named
from .services import _lock, day_bounds, rollup_day

MAX_DAYS_REROLLED = 3
NAMES = [c.name for c in UNIT_COUNTS]
SUMMED = {c.name for c in UNIT_COUNTS if c.summed}
POST_NAMES = [c.name for c in POST_COUNTS]
# The counts a freeze reads from the events rather than from the period's day rows (see the module docstring).
UNIT_OUTSIDE = ("overdue_open", "listings_due", "listings_lifted")
POST_OUTSIDE = ("overdue_verify", "overdue_check", "missed")
# The `ev` columns of the direct statement, typed by a first row-less SELECT (the fragments' NULLs are untyped).
UNIT_EV = """SELECT NULL::bigint AS case_id, NULL::text AS action, NULL::text AS to_status, NULL::text AS stage,
    NULL::boolean AS stage_met, NULL::bigint AS department_id, NULL::text AS region_path, NULL::boolean AS closed_after,
    NULL::float AS handling_seconds, NULL::text AS satisfaction, NULL::text AS outcome WHERE false"""
POST_EV = """SELECT NULL::bigint AS case_id, NULL::text AS action, NULL::text AS to_status, NULL::text AS stage,
    NULL::boolean AS stage_met, NULL::timestamptz AS stage_deadline, NULL::timestamptz AS at, NULL::bigint AS actor_id,
    NULL::text AS actor_role, NULL::boolean AS effective, NULL::boolean AS self_closed, NULL::boolean AS voided_later,
    NULL::boolean AS returned_later WHERE false"""


def lock_and_bounds():
    """Take the roll-ups' lock (to the end of the transaction) and read the newest ids: (upto, enforcement_upto,
    track_upto). Read after the lock, every roll-up written so far read up to ids no later than these."""
    _lock()
    return newest_ids()


def newest_ids():
    """The newest ids (case event, enforcement event, track point), every event up to which a freeze reads."""
    from grids.models import TrackPoint

    with connection.cursor() as cursor:
        cursor.execute(
            f"""SELECT (SELECT max(id) FROM {CaseEvent._meta.db_table}),
                       (SELECT max(id) FROM {EnforcementEvent._meta.db_table}),
                       (SELECT max(id) FROM {TrackPoint._meta.db_table})"""  # noqa: S608
        )
        return tuple(v or 0 for v in cursor.fetchone())


def _counts_by_day(queryset, first, last):
    rows = (
        queryset.filter(at__gte=day_bounds(first)[0], at__lt=day_bounds(last)[1])
        .annotate(day=TruncDate("at"))
        .order_by()
        .values("day")
        .annotate(n=Count("*"))
        .values_list("day", "n")
    )
    return dict(rows)


def stale_days(span, *, upto, enforcement_upto) -> list[date] | None:
    """The period's days whose roll-up does not hold exactly their events up to the bounds, with the days between
    the beat's newest one and them (four queries); None for a period that has not ended before today, or that the
    beat's roll-ups have not reached."""
    if span.last >= timezone.localdate():
        return None
    records = {
        r.day: r
        for r in RollupDay.objects.filter(day__gte=span.first, day__lte=span.last, through__isnull=True).only(
            "day", "last_event_id", "last_enforcement_event_id", "events", "enforcement_events"
        )
    }
    events = _counts_by_day(CaseEvent.objects.filter(NOT_TIMER_EVENT), span.first, span.last)
    chain = _counts_by_day(EnforcementEvent.objects.all(), span.first, span.last)
    stale = []
    for n in range((span.last - span.first).days + 1):
        day = span.first + timedelta(days=n)
        now = (events.get(day, 0), chain.get(day, 0))
        record = records.get(day)
        if record is None:
            if now != (0, 0):
                stale.append(day)
        elif (
            record.last_event_id > upto
            or record.last_enforcement_event_id > enforcement_upto
            or (record.events, record.enforcement_events) != now
        ):
            stale.append(day)
    newest = RollupDay.objects.filter(through__isnull=True).aggregate(m=Max("day"))["m"]
    beyond = [day for day in stale if newest is None or day > newest]
    if beyond:
        # The beat writes the days after its newest one, in order: a freeze writing a later day alone would leave a
        # hole behind it that the beat never fills. It writes the days in between too, or none when the beat has not
        # reached the period (or never ran).
        if newest is None or newest < span.first - timedelta(days=1):
            return None
        gap = {newest + timedelta(days=n) for n in range(1, (max(beyond) - newest).days + 1)}
        stale = sorted(set(stale) | gap)
    return stale


def rollups_can_answer(span, *, upto, enforcement_upto) -> bool:
    """Whether the period's roll-ups, with at most MAX_DAYS_REROLLED days rolled up again, answer for these bounds.
    Asked before the lock is taken: a freeze that will count the events directly does not hold up the beat."""
    stale = stale_days(span, upto=upto, enforcement_upto=enforcement_upto)
    return stale is not None and len(stale) <= MAX_DAYS_REROLLED


@transaction.atomic
def bring_up_to_date(span, *, upto, enforcement_upto) -> list[date] | None:
    """Roll up again, as of the bounds, the period's days whose roll-up does not hold their events up to them;
    the days rolled up, or None when the roll-ups cannot answer (too many days, a period not over). The caller holds
    the roll-ups' lock (lock_and_bounds) in its transaction, so the days stay as written until it ends."""
    stale = stale_days(span, upto=upto, enforcement_upto=enforcement_upto)
    if stale is None or len(stale) > MAX_DAYS_REROLLED:
        return None
    for day in stale:
        rollup_day(day=day, marks=(upto, enforcement_upto))
    return stale


def _run(sql, params):
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL jit = off")
        cursor.execute(sql, params)
        return cursor.fetchall()


def _summed(table, keys, names, span):
    sums = ", ".join("0" if n in UNIT_OUTSIDE + POST_OUTSIDE else f"sum({n})" for n in names)
    return f"""
    SELECT {keys}, {sums} FROM {table}
    WHERE day BETWEEN %(first)s AND %(last)s AND (since IS NULL OR since >= %(first)s)
    GROUP BY {keys}
    """  # noqa: S608


def unit_counts(*, span, bound, upto, enforcement_upto):
    """({department_id: counts}, {leaf region_path: counts}) as indicators.sql.unit_counts gives them with these
    bounds, from the period's roll-ups (brought up to date by bring_up_to_date) and the counts read outside them."""
    totals = {}
    table = DailyUnitCounts._meta.db_table
    days = {"first": span.first, "last": span.last}
    for department_id, region_path, *values in _run(_summed(table, "department_id, region_path", NAMES, span), days):
        key = ("d", department_id) if department_id is not None else ("r", region_path)
        row = totals.setdefault(key, dict.fromkeys(NAMES, 0))
        for name, value in zip(NAMES, values, strict=True):
            row[name] += value or 0
    outside = [c for c in UNIT_COUNTS if c.name in UNIT_OUTSIDE]
    sql = f"""
    SELECT GROUPING(department_id) = 1, department_id, region_path, {_aggregates(outside)}
    FROM ({UNIT_EV} UNION ALL {overdue_handling_sql(upto)} UNION ALL {listings_sql(enforcement_upto)}) ev
    GROUP BY GROUPING SETS ((department_id), (region_path))
    """  # noqa: S608
    params = _params(span.start, span.end, bound, upto, None, enforcement_upto)
    for by_region, department_id, region_path, *values in _run(sql, params):
        if (region_path if by_region else department_id) is None:
            continue
        key = ("r", region_path) if by_region else ("d", department_id)
        row = totals.setdefault(key, dict.fromkeys(NAMES, 0))
        for count, value in zip(outside, values, strict=True):
            row[count.name] += value
    departments, leaves = {}, {}
    for (kind, key), counts in totals.items():
        counts = {n: (float(v) if n in SUMMED else int(v)) for n, v in counts.items()}
        (departments if kind == "d" else leaves)[key] = counts
    return departments, leaves


def post_counts(*, span, bound, upto, track_upto):
    """{(user_id, role): (username, full name, counts)} as indicators.sql.post_counts(with_names=True) gives them with
    these bounds, from the period's roll-ups (brought up to date) and the counts read outside them."""
    totals = {}
    table = DailyPostCounts._meta.db_table
    days = {"first": span.first, "last": span.last}
    for actor_id, role, *values in _run(_summed(table, "actor_id, actor_role", POST_NAMES, span), days):
        row = totals.setdefault((actor_id, role), dict.fromkeys(POST_NAMES, 0))
        for name, value in zip(POST_NAMES, values, strict=True):
            row[name] += value or 0
    from ..indicators.sql import POST_ROLES, _in

    outside = [c for c in POST_COUNTS if c.name in POST_OUTSIDE]
    sql = f"""
    SELECT actor_id, actor_role, {_aggregates(outside)}
    FROM ({POST_EV} UNION ALL {post_overdue_and_missed_sql(upto, track_upto)}) ev
    WHERE actor_id IS NOT NULL AND actor_role IN {_in(POST_ROLES)}
    GROUP BY actor_id, actor_role
    """  # noqa: S608
    for actor_id, role, *values in _run(sql, _params(span.start, span.end, bound, upto, track_upto)):
        row = totals.setdefault((actor_id, role), dict.fromkeys(POST_NAMES, 0))
        for count, value in zip(outside, values, strict=True):
            row[count.name] += value
    return posts_named(totals)
