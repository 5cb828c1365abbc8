"""Reads for the command centre and the department workspace pages: queues and their counts, map layers, panels.

Every read starts from `Case.objects.visible_to(user)` (through `cases.selectors`), so what lies outside the
user's scope is absent. Counts are one aggregate query; lists are keyset-paginated on the id.
"""

import json
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.contrib.gis.db.models import GeometryField
from django.contrib.gis.db.models.functions import AsGeoJSON, GeoFunc
from django.contrib.gis.geos import Polygon
from django.db.models import Count, FloatField, Value

from accounts.models import Posting, Role
from accounts.scope import ancestor_paths, user_scope
from accounts.surfaces import COMMAND, DEPARTMENT
from cases.clock import LIGHT_FIELDS, light_at
from cases.models import Case, FilingCondition, Light
from cases.selectors import case_list_for_user
from cases.workflow.params import serving_departments
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
from grids.models import Department, Level, Region

PAGE_SIZE = 25
MAP_LIMIT = 2000


def has_command_role(user) -> bool:
    """Whether the user opens the command centre (accounts.surfaces declares the roles)."""
    return COMMAND.opens_for(user)


def has_handler_role(user) -> bool:
    """Whether the user opens the department workspace (accounts.surfaces declares the roles)."""
    return DEPARTMENT.opens_for(user)


# ---- queues (declared in dispatch.queues, so the exports select exactly what the lists show) ----


def command_queue_counts(*, user, now) -> dict:
    """{queue key: number of cases} for every tab, in one aggregate query over the user's scope."""
    aggregates = {q.key: Count("pk", filter=queue_q(q.key, now)) for q in QUEUES}
    return Case.objects.visible_to(user).aggregate(**aggregates)


@dataclass
class CasePage:
    rows: list
    next_cursor: int | None
    queue: str


def command_case_page(*, user, queue: str, filters: dict, level: str = "", before=None, now, size=PAGE_SIZE):
    """One page of a queue, newest first, after the keyset cursor `before` (an id), with routing for the rows."""
    from dispatch.selectors import with_routing

    qs = command_list_queryset(user=user, queue=queue, filters=filters, level=level, now=now)
    if before:
        qs = qs.filter(pk__lt=before)
    rows = list(with_routing(qs).order_by(*COMMAND_LIST_ORDER)[: size + 1])
    cursor = rows[size - 1].pk if len(rows) > size else None
    return CasePage(rows=rows[:size], next_cursor=cursor, queue=queue)


# ---- the map ----


def map_cases_for_user(*, user, queue: str, filters: dict, bbox, now, limit=MAP_LIMIT):
    """Markers of a queue inside the box: id, number, light inputs and the point, at most `limit` rows."""
    filters = {**filters, "bbox": bbox}
    qs = case_list_for_user(user=user, filters=filters, now=now).filter(queue_q(queue, now))
    fields = ("pk", "number", "status", "address", "point", "category__name", *LIGHT_FIELDS)
    return list(qs.order_by("-id").values(*fields)[:limit])


class SimplifyPreserveTopology(GeoFunc):
    function = "ST_SimplifyPreserveTopology"
    geom_param_pos = (0,)
    output_field = GeometryField(srid=4326)


def grid_boundaries_geojson(*, user, bbox, level: str, tolerance: float) -> str:
    """A GeoJSON FeatureCollection of the user's regions of `level` touching the box, simplified (no big payloads)."""
    box = Polygon.from_bbox(bbox)
    box.srid = 4326
    qs = (
        Region.objects.visible_to(user)
        .current()
        .filter(level=level, geom__isnull=False, geom__bboverlaps=box)
        .annotate(
            shape=AsGeoJSON(SimplifyPreserveTopology("geom", Value(tolerance, output_field=FloatField())), precision=5)
        )
        .values_list("code", "name", "synthetic", "shape")
        .order_by("code")
    )
    # The geometry is already GeoJSON text from PostGIS: splice it in rather than parse and re-serialise it.
    features = [
        f'{{"type":"Feature","properties":{json.dumps(props, ensure_ascii=False)},"geometry":{shape}}}'
        for props, shape in (({"code": c, "name": n, "synthetic": s}, shape) for c, n, s, shape in qs)
        if shape
    ]
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
    board.counts = {key: len(cases) for key, cases in board.groups.items()}
    return board


# ---- what the action forms offer ----


def grid_workers_for_case(case):
    """Active grid workers posted over the case's grid or above it (who may verify or check on site)."""
    paths = ancestor_paths(case.region_path)
    postings = Posting.objects.current().filter(role=Role.GRID_WORKER, region__path__in=paths).values("user_id")
    return list(get_user_model().objects.filter(is_active=True, pk__in=postings).order_by("username"))


def departments_for_filter(*, user):
    """Active departments the user may see, by level and name: the list filter's choices."""
    return list(Department.objects.visible_to(user).filter(active=True).order_by("level", "name"))


def departments_for_dispatch(*, user, case):
    """The departments the dispatch action accepts for this case (cases.workflow.params), by level and name."""
    return list(serving_departments(user, case).order_by("level", "name"))


def filing_conditions_for_case(case):
    return list(FilingCondition.objects.filter(category_id=case.category_id, active=True).order_by("pk"))


def regions_for_filter(*, user):
    """Districts and streets the user covers, for the region filter (no geometry)."""
    return list(
        Region.objects.visible_to(user)
        .current()
        .filter(level__in=[Level.CITY, Level.DISTRICT, Level.STREET])
        .defer("geom")
        .order_by("path")
    )


def supervision_orders_for_case(case):
    """The case's supervision orders (督办), newest first."""
    from dispatch.models import SupervisionOrder

    return list(SupervisionOrder.objects.filter(case=case).select_related("issued_by", "replied_by").order_by("-id"))
