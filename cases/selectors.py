"""Read use-cases of cases: filtered lists, the detail with its timeline, duplicate candidates."""

import math
from datetime import UTC, date, datetime, time, timedelta

from django.contrib.gis.geos import Polygon
from django.contrib.gis.measure import D
from django.core.exceptions import EmptyResultSet
from django.db.models import BooleanField, Count, FloatField, Func, Prefetch, Q, Value, When
from django.db.models import Case as CaseWhen
from django.db.models.expressions import RawSQL
from django.db.models.lookups import Range
from django.utils import timezone

from accounts.models import Role
from accounts.scope import subtree_q, user_scope

from .clock import light_q, overdue_q
from .models import Case, CaseEvent, CaseRequest, RequestState, SensingEvent, SensingOutcome
from .models.case import CASE_DAY_SQL, CASE_DAY_ZONE
from .models.status import FINAL_STATUSES, open_q

DUPLICATE_RADIUS_M = 50
DUPLICATE_WINDOW = timedelta(days=7)


# What a row of the API's list (cases.api.case_serializers.CaseListSerializer) reads, its light's columns included.
CASE_LIST_ROW_FIELDS = (
    "number", "kind", "status", "stage", "stage_deadline", "stage_warn_at", "stage_remaining", "overdue",
    "supervised", "command_level", "escalated", "source", "address", "point", "created_at",
    "category__kind", "category__code", "category__name", "region__code", "region__name",
    "lead_department__code", "lead_department__name",
)  # fmt: skip


def case_list_for_user(*, user, filters: dict, now=None):
    """Cases the user may see, narrowed by `CaseFilterSet.cleaned_filters()` (cases.filters)."""
    return case_list_filter(Case.objects.visible_to(user).for_list(), filters=filters, now=now)


def case_list_rows_for_user(*, user, filters: dict, now=None):
    """`case_list_for_user` with only the columns a row of the API's list shows: a page of 50 rows then builds a
    fraction of the objects (no description, no details of the category, region or department)."""
    return case_list_for_user(user=user, filters=filters, now=now).only(*CASE_LIST_ROW_FIELDS)


def case_list_filter(qs, *, filters: dict, now=None):
    """`qs` narrowed by the validated list filters of `cases.filters.CaseFilterSet` (the one place they become SQL)."""
    now = now or timezone.now()
    simple = {"status": "status__in", "kind": "kind", "source": "source"}
    for key, lookup in simple.items():
        if filters.get(key):
            qs = qs.filter(**{lookup: filters[key]})
    if filters.get("category"):
        qs = qs.filter(category__in=filters["category"])
    if filters.get("region"):
        qs = qs.filter(region_path__startswith=filters["region"].path)
    if filters.get("department"):
        qs = qs.for_departments([filters["department"]])
    if filters.get("overdue") is not None:
        overdue = overdue_q(now)
        qs = qs.filter(overdue) if filters["overdue"] else qs.exclude(overdue)
    if filters.get("light"):
        qs = qs.filter(light_q(filters["light"], now))
    if filters.get("created_after"):
        qs = qs.filter(reported_from_q(filters["created_after"]))
    if filters.get("created_before"):
        qs = qs.filter(reported_until_q(filters["created_before"]))
    if filters.get("bbox"):
        qs = in_box(qs, filters["bbox"])
    if filters.get("q"):
        text = filters["q"].strip()
        qs = qs.filter(Q(number__startswith=text.upper()) | Q(address__icontains=text) | Q(description__icontains=text))
    return qs


def in_box(qs, box):
    """`qs` narrowed to the cases whose point lies in the map box (minlon, minlat, maxlon, maxlat), its edges
    included: `ST_CoveredBy(point, box)`, written so the planner estimates it from the column's spatial statistics.

    Two tests: `&&`, which the GiST index answers and PostGIS estimates from the column's spatial statistics, in
    single precision (it also takes points about 1 m outside the box), then the exact comparison of the coordinates.
    `ST_CoveredBy` alone would be estimated as well, but PostGIS costs it as a heavy function, and the planner then
    builds a bitmap of every id below a page's cursor (half the table halfway down the list, 20-30 ms) to call it on
    fewer rows. The exact comparison is a CASE, so that the planner takes it as true for one row in two: as plain
    ranges it would multiply their default estimates with the box's (one row expected, where a 600 m box holds a
    thousand cases), and pick nested loops over whole tables."""
    minlon, minlat, maxlon, maxlat = box
    lon = Func("point", function="ST_X", output_field=FloatField())
    lat = Func("point", function="ST_Y", output_field=FloatField())
    exact = Range(lon, (minlon, maxlon)) & Range(lat, (minlat, maxlat))
    covered = CaseWhen(When(exact, then=Value(True)), default=Value(False), output_field=BooleanField())
    return qs.filter(point__bboverlaps=Polygon.from_bbox(box)).filter(covered)


# The report-date filters. A date is a local day (Asia/Shanghai); `created_at__date` compares each case's local date
# and no index answers it. They are written as ranges of instants (the index on created_at answers them) and, for
# `created_before`, as a bound on the id too: the list is ordered newest id first, and a page of cases reported
# before a date a year ago otherwise walks the primary key down past every newer case (700,000 at a million)
# before it finds its first row. (`created_after` needs none: its cases are the newest, where the walk starts. A
# lower bound on the id would only help a list's last page, and the planner, which cannot know the bound, takes
# it with the cursor for a narrow range and sorts whole statuses: 0.5 -> 16 ms for voided cases at a million.)
#
# The bound is exact for any data, cases whose report time is not in id order (imports, backdated reports)
# included: it is the largest id of the cases of the days up to the date, read from the index on (local day, id)
# one distinct day at a time, newest first (a loose index scan): one descent of the index per day, however many
# cases a day holds, inside the list's own query. A case out of id order only makes the bound looser (more rows
# walked), never wrong.
_LAST_DAY_SQL = (
    f"SELECT {CASE_DAY_SQL} AS day, id FROM cases_case WHERE {CASE_DAY_SQL} {{compare}} {{day}} "  # noqa: S608
    f"ORDER BY {CASE_DAY_SQL} DESC, id DESC LIMIT 1"
)
_LAST_ID_UNTIL = (
    "SELECT max(bound.id) FROM (WITH RECURSIVE days (day, id) AS "  # noqa: S608
    f"(({_LAST_DAY_SQL.format(compare='<=', day='%s')}) UNION ALL "
    f"SELECT step.day, step.id FROM days CROSS JOIN LATERAL ({_LAST_DAY_SQL.format(compare='<', day='days.day')}) "
    "AS step) SELECT id FROM days) AS bound"
)


def _start_of_day(day: date):
    """The instant the local day `day` begins (the report dates are days in the city's time zone)."""
    return timezone.make_aware(datetime.combine(day, time.min), CASE_DAY_ZONE)


def reported_from_q(day: date) -> Q:
    """Cases reported on the local day `day` or later: `created_at__date__gte=day`, exactly, as a range the index on
    created_at answers."""
    if day <= date.min:
        return Q()  # every case: no instant Python can hold comes before the first day
    return Q(created_at__gte=_start_of_day(day))


def reported_until_q(day: date) -> Q:
    """Cases reported on the local day `day` or earlier: `created_at__date__lte=day`, exactly, as a range the index
    on created_at answers, and the largest id such a case has, where the list's walk down the ids starts."""
    if day >= date.max:
        return Q()  # every case: no instant Python can hold comes after the last day
    return Q(created_at__lt=_start_of_day(day + timedelta(days=1)), id__lte=RawSQL(_LAST_ID_UNTIL, (day,)))  # noqa: S611


def case_detail_for_user(*, user, case_id):
    """One visible case with everything its page shows, in a fixed number of queries (None when out of scope)."""
    events = CaseEvent.objects.select_related("actor", "department").order_by("id")
    return (
        Case.objects.visible_to(user)
        .select_related(
            "category__parent",
            "filing_condition",
            "region",
            "lead_department",
            "assignee",
            "reporter",
            "duplicate_of",
            "created_by",
            "facility",
        )
        .prefetch_related(
            "assisting_departments",
            Prefetch("events", queryset=events),
            "photos",
            Prefetch("requests", queryset=CaseRequest.objects.select_related("requested_by", "decided_by")),
        )
        .filter(pk=case_id)
        .first()
    )


def case_detail_of_new_report(case):
    """The detail of a case `case_report` has just made, from what intake left on it: `case_detail_for_user`'s
    relations without reading back what was just written. A new case has its report event, the photos that came with
    it, no requests and no assisting departments; its category, grid, reporter and facility are the objects it was
    made from. tests/cases/test_intake_answer.py holds the answer equal to a fresh read of the detail."""
    for row in (case, case.report_event, *case.report_photos):
        _as_read(row)
    known = {"events": [case.report_event], "photos": case.report_photos, "requests": [], "assisting_departments": []}
    case._prefetched_objects_cache = {}
    for name, rows in known.items():
        queryset = getattr(case, name).all()
        # What prefetch_related_objects leaves: a queryset whose rows are already fetched.
        queryset._result_cache, queryset._prefetch_done = list(rows), True
        case._prefetched_objects_cache[name] = queryset
    return case


def _as_read(row):
    """Date-times in UTC, as PostgreSQL gives them back (the clock computes deadlines in local time): the answer's
    text is then the same as a read's."""
    for field in row._meta.concrete_fields:
        value = getattr(row, field.attname)
        if isinstance(value, datetime) and timezone.is_aware(value):
            setattr(row, field.attname, value.astimezone(UTC))


def degrees_covering(metres: float, *, lat: float) -> float:
    """Degrees of longitude (the wider of the two at any latitude) spanning at least `metres`, with 1 % to spare."""
    return metres / (111_320 * max(math.cos(math.radians(lat)), 0.01)) * 1.01


# What the duplicate candidates read: the columns a candidate shows, the open cases of the week near the point.
DUPLICATE_SQL = """
SELECT "cases_case"."id", "cases_case"."number", "cases_case"."address", "cases_case"."status",
       "cases_case"."duplicate_count", "cases_case"."created_at"
FROM "cases_case"
WHERE ({scope}) AND NOT ("cases_case"."status" IN ({final})) AND "cases_case"."category_id" = %s
  AND "cases_case"."created_at" >= %s AND "cases_case"."duplicate_of_id" IS NULL
  AND ST_DWithin("cases_case"."point", ST_GeomFromEWKB(%s), %s)
  AND ST_DistanceSphere("cases_case"."point", ST_GeomFromEWKB(%s)) <= %s{other}
ORDER BY "cases_case"."created_at" DESC
LIMIT 10
"""
_SCOPE_SQL_FROM = ' FROM "cases_case"'
_scope_conditions: dict = {}
_SCOPE_CONDITIONS_KEPT = 512


def _scope_condition(user):
    """`Case.objects.visible_to(user)`'s condition as (sql, params), compiled once per process for each scope (it is
    all the queryset reads: the user, their grids' roots, their departments); None when the user sees nothing."""
    scope = user_scope(user)
    key = (
        user.pk,
        user.is_authenticated,
        scope.everything,
        tuple(scope.grid_roots()),
        tuple(scope.department_ids(Role.HANDLER)),
    )
    found = _scope_conditions.get(key)
    if found is None:
        try:
            sql, params = Case.objects.visible_to(user).order_by().values_list("id").query.sql_with_params()
        except EmptyResultSet:
            found = (None, ())
        else:
            select, _from, condition = sql.partition(_SCOPE_SQL_FROM)
            if not _from or "%s" in select:  # pragma: no cover - not a condition on cases_case alone any more
                raise AssertionError(f"unexpected form of the scope's query: {sql[:200]}")
            if not condition:
                found = ("TRUE", ())
            elif condition.startswith(" WHERE "):
                found = (condition[len(" WHERE ") :], tuple(params))
            else:  # pragma: no cover - visible_to joined another table: no longer a condition on cases_case alone
                raise AssertionError(f"unexpected form of the scope's query: {sql[:200]}")
        if len(_scope_conditions) >= _SCOPE_CONDITIONS_KEPT:
            _scope_conditions.clear()
        _scope_conditions[key] = found
    return found


def case_duplicate_candidates(*, case=None, category=None, point=None, user, now=None):
    """Open cases of the same category within 50 m reported in the last 7 days (for intake and the operator).

    A box in degrees the GiST index on the point answers (ST_DWithin on geometry), then the exact metres on the
    sphere: the sphere distance alone cannot use an index and read every case of the week. Written as SQL with the
    scope's condition compiled once per scope: built by the ORM it was a quarter of a report's CPU.
    tests/cases/test_duplicate_candidates.py holds it equal to the queryset it replaces."""
    now = now or timezone.now()
    category = category or case.category
    point = point or case.point
    scope_sql, scope_params = _scope_condition(user)
    if scope_sql is None:
        return []
    final = sorted(FINAL_STATUSES)
    ewkb = memoryview(point.ewkb)
    params = [
        *scope_params,
        *final,
        category.pk,
        now - DUPLICATE_WINDOW,
        ewkb,
        degrees_covering(DUPLICATE_RADIUS_M, lat=point.y),
        ewkb,
        float(DUPLICATE_RADIUS_M),
    ]
    other = ""
    if case is not None:
        other = ' AND NOT ("cases_case"."id" = %s)'
        params.append(case.pk)
    sql = DUPLICATE_SQL.format(scope=scope_sql, final=", ".join(["%s"] * len(final)), other=other)
    return list(Case.objects.raw(sql, params))


def case_duplicate_candidates_queryset(*, case=None, category=None, point=None, user, now=None):
    """The same candidates as a queryset (the reference the SQL above is tested against)."""
    now = now or timezone.now()
    category = category or case.category
    point = point or case.point
    conditions = [
        open_q(),
        Q(category=category, created_at__gte=now - DUPLICATE_WINDOW, duplicate_of__isnull=True),
        Q(point__dwithin=(point, degrees_covering(DUPLICATE_RADIUS_M, lat=point.y))),
        Q(point__distance_lte=(point, D(m=DUPLICATE_RADIUS_M))),
    ]
    if case is not None:
        conditions.append(~Q(pk=case.pk))
    qs = (
        Case.objects.visible_to(user)
        .filter(*conditions)
        .only("id", "number", "status", "address", "created_at", "duplicate_count")
        .order_by("-created_at")
    )
    return list(qs[:10])


def mask_phone(phone):
    """13812345678 -> 138****5678: enough to recognise, not to call."""
    if len(phone) < 7:
        return "*" * len(phone)
    return f"{phone[:3]}{'*' * (len(phone) - 7)}{phone[-4:]}"


def case_contact_phone_for(*, user, case):
    """The reporter's phone as `user` may see it: whole for those who call back, masked for everyone else."""
    phone = case.contact_phone
    if phone and not may_see_contact(user=user, case=case):
        return mask_phone(phone)
    return phone


# Those who may call a reporter back: the centre's desk and the dispatchers who may need more detail.
CONTACT_ROLES = (Role.OPERATOR, Role.SHIFT_LEAD, Role.DISPATCHER)


def may_see_contact(*, user, case):
    """Phone numbers of the public are shown whole only to operators, shift leads, dispatchers (and the reporter)."""
    if case.reporter_id == user.pk:
        return True
    scope = user_scope(user)
    return any(scope.covers_path(case.region_path, role) for role in CONTACT_ROLES)


def case_address_search(*, user, query: str, limit: int = 8):
    """Known addresses (of earlier cases the user may see) containing `query`: [(address, point)], newest first."""
    query = (query or "").strip()
    if not query:
        return []
    rows = (
        Case.objects.visible_to(user)
        .filter(address__icontains=query)
        .order_by("address", "-id")
        .distinct("address")
        .values_list("address", "point", "id")
    )
    found = sorted(rows[: limit * 4], key=lambda row: -row[2])[:limit]
    return [(address, point) for address, point, _id in found]


def pending_requests(case):
    """The case's pending requests (from the prefetched requests when there are)."""
    return [r for r in case.requests.all() if r.state == RequestState.PENDING]


# ---- sensing intake: the 待核实 queue ----

SENSING_DESK = (Role.OPERATOR, Role.SHIFT_LEAD)


def sensing_may_review(user) -> bool:
    """Whether the user works the supervision centre's desk, where detections below threshold are confirmed."""
    scope = user_scope(user)
    return scope.everything or bool(scope.roles & set(SENSING_DESK))


def sensing_events_visible_to(user):
    """Sensing events of the grids where the user works the desk (operator or shift lead); nothing else."""
    scope = user_scope(user)
    if scope.everything:
        return SensingEvent.objects.all()
    paths = sorted({p for role in SENSING_DESK for p in scope.region_paths(role)})
    return SensingEvent.objects.filter(subtree_q(paths, "region_path"))


def sensing_waiting_list_for_user(*, user, limit: int = 100):
    """The 待核实 queue: detections below their threshold waiting for a person, oldest first, each with how many
    repeats of the same problem waited beside it (`repeat_count`). One query."""
    qs = (
        sensing_events_visible_to(user)
        .filter(outcome=SensingOutcome.PENDING)
        .select_related("source", "category")
        .annotate(repeat_count=Count("repeats"))
        .order_by("id")
    )
    return list(qs[:limit])


def sensing_waiting_count_for_user(*, user) -> int:
    return sensing_events_visible_to(user).filter(outcome=SensingOutcome.PENDING).count()
