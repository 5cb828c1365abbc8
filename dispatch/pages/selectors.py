"""Reads for the command centre and the department workspace pages: queues and their counts, map layers, panels.

Every read starts from `Case.objects.visible_to(user)` (through `cases.selectors`), so what lies outside the
user's scope is absent. Counts are one aggregate query; lists are keyset-paginated on (stage deadline, id):
most urgent first, cases whose clock stands still (or never ran) last.
"""

import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from django.contrib.auth import get_user_model
from django.contrib.gis.db.models import GeometryField
from django.contrib.gis.db.models.functions import AsGeoJSON, GeoFunc, PointOnSurface
from django.contrib.gis.geos import Polygon
from django.db.models import Avg, Count, Exists, FloatField, Func, OuterRef, Q, Value
from django.utils.translation import pgettext_lazy

from accounts.models import Posting, Role
from accounts.scope import ancestor_paths, user_scope
from accounts.surfaces import COMMAND, DEPARTMENT
from cases.catalogue.selectors import filing_conditions_with_limits
from cases.clock import LIGHT_FIELDS, light_at, light_q
from cases.models import FINAL_STATUSES, Case, Light
from cases.selectors import case_list_for_user
from cases.workflow.params import serving_departments
from dispatch.queue_counts import queue_counts_for_user
from dispatch.queues import (  # noqa: F401 (QUEUES, QUEUE_KEYS, Queue: the pages' names for them)
    COMMAND_LIST_ORDER,
    DEPARTMENT_LIST_ORDER,
    DEPARTMENT_STATUSES,
    QUEUE_KEYS,
    QUEUES,
    Queue,
    command_list_queryset,
    department_list_queryset,
    queue_q,
)
from grids.duty_selectors import patrol_nearest_on_duty
from grids.models import Department, Level, Region

PAGE_SIZE = 25
MAX_PAGE_ROWS = 200
# Up to this many cases in the visible box the map shows each one; beyond, it shows them counted per cell.
MAP_MARKERS = 800
# Cells across the box when counting: about 40 px each on a command-centre screen.
MAP_CELLS_ACROSS = 24


def has_command_role(user) -> bool:
    """Whether the user opens the command centre (accounts.surfaces declares the roles)."""
    return COMMAND.opens_for(user)


def has_handler_role(user) -> bool:
    """Whether the user opens the department workspace (accounts.surfaces declares the roles)."""
    return DEPARTMENT.opens_for(user)


# ---- queues (declared in dispatch.queues, so the exports select exactly what the lists show) ----


def command_queue_counts(*, user, now) -> dict:
    """{queue key: number of cases} for every tab, from the counters kept as cases change (one small query; see
    dispatch.queue_counts). `queue_q` remains the tabs' definition: the counters are tested against it."""
    return queue_counts_for_user(user=user, now=now)


@dataclass
class CasePage:
    rows: list
    next_cursor: str | None
    queue: str


def queue_cursor(case) -> str:
    """The keyset cursor after `case` in the queue order: "<deadline in µs since the epoch>.<id>", or "-.<id>"."""
    deadline = case.stage_deadline
    if deadline is None:
        return f"-.{case.pk}"
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    return f"{(deadline - epoch) // timedelta(microseconds=1)}.{case.pk}"


CURSOR_RE = re.compile(r"(-|-?[0-9]{1,19})\.([0-9]{1,18})", re.ASCII)


def parse_queue_cursor(text: str):
    """(deadline or None, id) of a cursor made by `queue_cursor`; None when it is not one (ASCII digits only, an id
    within bigint, a deadline within the calendar)."""
    match = CURSOR_RE.fullmatch(text or "")
    if match is None:
        return None
    head, pk = match.group(1), int(match.group(2))
    if head == "-":
        return None, pk
    try:
        deadline = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=int(head))
    except OverflowError:
        return None
    return deadline, pk


def _after_cursor_q(cursor) -> Q:
    deadline, pk = cursor
    if deadline is None:
        return Q(stage_deadline__isnull=True, pk__lt=pk)
    return Q(stage_deadline__gt=deadline) | Q(stage_deadline=deadline, pk__lt=pk) | Q(stage_deadline__isnull=True)


def command_case_page(*, user, queue: str, filters: dict, level: str = "", cursor=None, now, size=PAGE_SIZE):
    """One page of a queue, most urgent first, after the keyset `cursor` ((deadline, id)): what its rows show."""
    from dispatch.selectors import as_case_rows

    qs = command_list_queryset(user=user, queue=queue, filters=filters, level=level, now=now)
    if cursor:
        qs = qs.filter(_after_cursor_q(cursor))
    rows = list(as_case_rows(qs).order_by(*COMMAND_LIST_ORDER)[: size + 1])
    next_cursor = queue_cursor(rows[size - 1]) if len(rows) > size else None
    return CasePage(rows=rows[:size], next_cursor=next_cursor, queue=queue)


# ---- the map ----


def _map_queryset(*, user, queue: str, filters: dict, bbox, now):
    """The queue's cases in the map's box. The box is `ST_CoveredBy` here, not the lists' `in_box`
    (cases.selectors): the map reads a queue's open cases without a cursor, and the function's heavy cost is what
    sends the planner to the open cases' spatial index (a street-zoom box at a million cases: 7.8 ms, where the
    lists' form walked every open case by id, 14.0 ms)."""
    rest = {key: value for key, value in filters.items() if key != "bbox"}
    qs = case_list_for_user(user=user, filters=rest, now=now).filter(point__coveredby=Polygon.from_bbox(bbox))
    return qs.filter(queue_q(queue, now))


def map_cases_for_user(*, user, queue: str, filters: dict, bbox, now, limit=MAP_MARKERS):
    """Markers of a queue inside the box: id, number, light inputs and the point, at most `limit` rows."""
    qs = _map_queryset(user=user, queue=queue, filters=filters, bbox=bbox, now=now)
    fields = ("pk", "number", "status", "address", "point", "category__name", *LIGHT_FIELDS)
    return list(qs.order_by(*COMMAND_LIST_ORDER).values(*fields)[:limit])


def map_cells_for_user(*, user, queue: str, filters: dict, bbox, now, across: int = MAP_CELLS_ACROSS) -> list[dict]:
    """Every case of a queue inside the box, counted per square cell (the box's width / `across` wide).

    One aggregate query: per cell the number of cases, how many are red, yellow and green (`light_q`, the SQL side
    of the light), and the mean of their points, where the map draws the count. Nothing is left out, whatever
    the zoom: at city scale the map shows where all the work is, not the newest few thousand cases.
    """
    west, south, east, north = bbox
    size = max((east - west) / across, (north - south) / across, 1e-6)
    x = Func("point", function="ST_X", output_field=FloatField())
    y = Func("point", function="ST_Y", output_field=FloatField())
    qs = (
        _map_queryset(user=user, queue=queue, filters=filters, bbox=bbox, now=now)
        .annotate(
            cx=Func(x / Value(size), function="FLOOR", output_field=FloatField()),
            cy=Func(y / Value(size), function="FLOOR", output_field=FloatField()),
        )
        .values("cx", "cy")
        .annotate(
            n=Count("pk"),
            red=Count("pk", filter=light_q(Light.RED, now)),
            yellow=Count("pk", filter=light_q(Light.YELLOW, now)),
            green=Count("pk", filter=light_q(Light.GREEN, now)),
            lon=Avg(x),
            lat=Avg(y),
        )
        .order_by()
    )
    return [
        {
            "count": row["n"],
            "red": row["red"],
            "yellow": row["yellow"],
            "green": row["green"],
            "lon": round(row["lon"], 5),
            "lat": round(row["lat"], 5),
        }
        for row in qs
    ]


class SimplifyPreserveTopology(GeoFunc):
    function = "ST_SimplifyPreserveTopology"
    geom_param_pos = (0,)
    output_field = GeometryField(srid=4326)


def grid_boundaries_geojson(*, user, bbox, level: str, tolerance: float) -> str:
    """A GeoJSON FeatureCollection of the user's regions of `level` touching the box, simplified (no big payloads).

    Each feature's `label` is a point inside its polygon (ST_PointOnSurface), where the map writes its name: the
    centre of the bounding box or the centroid lies outside a crescent-shaped or scattered district.
    """
    box = Polygon.from_bbox(bbox)
    box.srid = 4326
    qs = (
        Region.objects.visible_to(user)
        .current()
        .filter(level=level, geom__isnull=False, geom__bboverlaps=box)
        .annotate(
            shape=AsGeoJSON(SimplifyPreserveTopology("geom", Value(tolerance, output_field=FloatField())), precision=5),
            label=PointOnSurface("geom"),
        )
        .values_list("code", "name", "synthetic", "label", "shape")
        .order_by("code")
    )
    # The geometry is already GeoJSON text from PostGIS: splice it in rather than parse and re-serialise it.
    features = []
    for code, name, synthetic, label, shape in qs:
        if not shape:
            continue
        props = {"code": code, "name": name, "synthetic": synthetic, "label": [round(label.x, 5), round(label.y, 5)]}
        features.append(f'{{"type":"Feature","properties":{json.dumps(props, ensure_ascii=False)},"geometry":{shape}}}')
    return '{"type":"FeatureCollection","features":[' + ",".join(features) + "]}"


# ---- the department workspace ----


@dataclass
class DepartmentBoard:
    departments: list
    groups: dict = field(default_factory=dict)  # light (or "stopped") -> cases
    counts: dict = field(default_factory=dict)
    truncated: bool = False


def department_board_for_user(*, user, now, limit=300) -> DepartmentBoard:
    """The open cases the user's departments lead, grouped by light (most urgent first), in two queries."""
    from dispatch.selectors import with_routing

    department_ids = user_scope(user).department_ids(Role.HANDLER)
    departments = list(Department.objects.filter(pk__in=department_ids).order_by("name"))
    qs = department_list_queryset(user=user).order_by(*DEPARTMENT_LIST_ORDER)
    rows = list(with_routing(qs)[: limit + 1])
    board = DepartmentBoard(departments=departments, truncated=len(rows) > limit)
    board.groups = {Light.RED: [], Light.YELLOW: [], Light.GREEN: [], "stopped": []}
    for case in rows[:limit]:
        board.groups[light_at(case, now) or "stopped"].append(case)
    board.groups["assist"] = _assisting_cases(user, department_ids, limit)
    board.groups["whistle"] = _summoned_cases(user, department_ids, limit)
    board.counts = {key: len(cases) for key, cases in board.groups.items()}
    return board


def _assisting_cases(user, department_ids, limit):
    """Open cases on which one of the departments still owes its assisting part (协办), most urgent first."""
    from cases.models import AssistPart

    owed = AssistPart.objects.open().filter(case=OuterRef("pk"), department__in=department_ids)
    qs = Case.objects.visible_to(user).open().filter(Exists(owed)).for_list().order_by("stage_deadline", "id")
    return list(qs[:limit])


def _summoned_cases(user, department_ids, limit):
    """Cases a whistle summoned one of the departments to that it has not reported to yet, earliest deadline first."""
    from django.db.models import Subquery

    from cases.models import REPORTABLE_STATES, Summons

    waiting = Summons.objects.filter(case=OuterRef("pk"), department__in=department_ids, state__in=REPORTABLE_STATES)
    first = waiting.order_by("deadline").values("deadline")[:1]
    qs = (
        Case.objects.visible_to(user)
        .filter(Exists(waiting))
        .for_list()
        .annotate(report_by=Subquery(first))
        .order_by("report_by", "id")
    )
    return list(qs[:limit])


# ---- what the action forms offer ----


def grid_workers_for_case(case):
    """Active grid workers posted over the case's grid or above it (who may verify or check on site): those on
    patrol nearest the case's point first, each with `on_duty_m` (metres from their last fix, None when not on
    patrol) and `on_duty_seen` (that fix's time), then the others by username. Two queries."""
    paths = ancestor_paths(case.region_path)
    postings = Posting.objects.current().filter(role=Role.GRID_WORKER, region__path__in=paths).values("user_id")
    workers = list(get_user_model().objects.filter(is_active=True, pk__in=postings).order_by("username"))
    nearest = patrol_nearest_on_duty(point=case.point, user_ids=[w.pk for w in workers]) if case.point else []
    rank = {user_id: (index, metres, seen) for index, (user_id, metres, seen) in enumerate(nearest)}
    for worker in workers:
        _index, worker.on_duty_m, worker.on_duty_seen = rank.get(worker.pk, (None, None, None))
    return sorted(workers, key=lambda w: (rank[w.pk][0], "") if w.pk in rank else (len(rank), w.username))


def departments_for_filter(*, user):
    """Active departments the user may see, by level and name: the list filter's choices, (code, name)."""
    return list(
        Department.objects.visible_to(user).filter(active=True).order_by("level", "name").values_list("code", "name")
    )


@dataclass
class DepartmentGroup:
    key: str  # proposed | local | city
    label: str
    departments: list


DEPARTMENT_GROUPS = {
    "proposed": pgettext_lazy("departments", "Proposed by the responsibility list"),
    "local": pgettext_lazy("departments", "Street office and district bureaus of the case"),
    "city": pgettext_lazy("departments", "City departments"),
}


def departments_for_dispatch(*, user, case, routing=None) -> list[DepartmentGroup]:
    """The departments the dispatch action accepts for this case (cases.workflow.params), eligible first: the
    responsibility list's proposal (`routing`), then those based in the case's own street and district (nearest
    first), then the city's; empty groups left out. One query (plus the proposal the caller already has)."""
    serving = list(
        serving_departments(user, case)
        .select_related("home_region")
        .defer("home_region__geom")
        .order_by("level", "name")
    )
    by_id = {d.pk: d for d in serving}
    proposed_ids = []
    if routing is not None:
        for department in [routing.lead, *routing.assisting]:
            if department is not None and department.pk in by_id and department.pk not in proposed_ids:
                proposed_ids.append(department.pk)
    rest = [d for d in serving if d.pk not in proposed_ids]
    local = sorted(
        (d for d in rest if d.home_region.level != Level.CITY), key=lambda d: (-len(d.home_region.path), d.name)
    )
    groups = {
        "proposed": [by_id[pk] for pk in proposed_ids],
        "local": local,
        "city": [d for d in rest if d.home_region.level == Level.CITY],
    }
    return [DepartmentGroup(key, DEPARTMENT_GROUPS[key], ds) for key, ds in groups.items() if ds]


def canned_phrases_for_actions(actions) -> dict:
    """{action name: [texts]} of the active canned phrases (常用语) of `actions`, in their order (one query)."""
    from dispatch.models import CannedPhrase

    phrases = {}
    rows = CannedPhrase.objects.filter(action__in=list(actions), active=True).order_by("action", "position", "id")
    for action, text in rows.values_list("action", "text"):
        phrases.setdefault(action, []).append(text)
    return phrases


def filing_conditions_for_case(case):
    """The class's active filing conditions, each with its handling limits (`limits`) in the case's area class."""
    return filing_conditions_with_limits(category_id=case.category_id, area_class=case.region.area_class)


def regions_for_filter(*, user):
    """The city, districts and streets the user covers, for the region filter: (code, name, level) by path."""
    return list(
        Region.objects.visible_to(user)
        .current()
        .filter(level__in=[Level.CITY, Level.DISTRICT, Level.STREET])
        .order_by("path")
        .values_list("code", "name", "level")
    )


def supervision_orders_for_case(case):
    """The case's supervision orders (督办), newest first."""
    from dispatch.models import SupervisionOrder

    return list(SupervisionOrder.objects.filter(case=case).select_related("issued_by", "replied_by").order_by("-id"))


# ---- 协办 and 吹哨报到 in the case panel ----


def assist_parts_for_case(case):
    """The assisting departments' parts of the current dispatch (withdrawn ones left out), in dispatch order."""
    from cases.models import AssistPart, PartState

    parts = AssistPart.objects.filter(case=case).exclude(state=PartState.WITHDRAWN)
    return list(parts.select_related("department", "answered_by").order_by("id"))


def whistle_context_for_case(*, user, case, may_blow):
    """The case's whistles with their summonses (each marked `mine` when the user may report to it), and when the
    user may blow the whistle, the office they blow it for and the departments they may summon (searchable)."""
    from cases.models import REPORTABLE_STATES
    from dispatch.selectors import whistles_for_case
    from dispatch.services.whistles import summonable_departments, whistle_offices

    whistles = whistles_for_case(case)
    mine = set(user_scope(user).department_ids(Role.HANDLER))
    for whistle in whistles:
        for summons in whistle.summonses.all():
            summons.mine = summons.department_id in mine and summons.state in REPORTABLE_STATES
    office, departments = None, []
    if may_blow and case.status not in FINAL_STATUSES:
        offices = whistle_offices(user=user, case=case)
        if offices:
            office = offices[0]
            departments = list(summonable_departments(case=case, office=office).order_by("level", "name"))
    return {"whistles": whistles, "office": office, "departments": departments}
