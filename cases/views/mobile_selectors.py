"""Reads for the mobile pages of grid workers: their tasks, their reports, their grids and the category list."""

import json

from django.db.models import Prefetch

from accounts.models import Role
from accounts.scope import user_scope
from accounts.surfaces import MOBILE
from cases.models import Case, CasePhoto, Category, PhotoKind, Status
from grids.models import Region

TASK_STATUSES = (Status.VERIFYING, Status.CHECKING)
REPORTS_PAGE_SIZE = 30
# Simplify outlines to about 1/2000 of their extent: a community stays a few hundred bytes, a district a few KB.
OUTLINE_DETAIL = 2000


def is_grid_worker(user) -> bool:
    """Whether the user opens the mobile pages: a current grid-worker posting (accounts.surfaces declares it)."""
    return MOBILE.opens_for(user)


def case_list_for_my_tasks(*, user):
    """Open 核实/核查 tasks assigned to this grid worker, most urgent first, with their photos (2 queries)."""
    photos = CasePhoto.objects.filter(kind__in=(PhotoKind.BEFORE, PhotoKind.AFTER)).order_by("id")
    return (
        Case.objects.visible_to(user)
        .filter(assignee=user, status__in=TASK_STATUSES)
        .select_related("category__parent", "region")
        .defer("region__geom")
        .prefetch_related(Prefetch("photos", queryset=photos, to_attr="task_photos"))
        .order_by("stage_deadline", "id")
    )


def case_count_for_my_tasks(*, user) -> int:
    return Case.objects.visible_to(user).filter(assignee=user, status__in=TASK_STATUSES).count()


def case_list_for_my_reports(*, user, before_id: int | None = None, limit: int = REPORTS_PAGE_SIZE):
    """This grid worker's own reports, newest first, one keyset page (limit + 1 rows tell whether more exist)."""
    qs = Case.objects.visible_to(user).filter(reporter=user).for_list().select_related("category__parent")
    if before_id is not None:
        qs = qs.filter(pk__lt=before_id)
    return list(qs.order_by("-id")[: limit + 1])


def region_list_for_grid_worker(*, user):
    """The regions the user patrols as a grid worker, with simplified outlines for the map."""
    paths = user_scope(user).region_paths(Role.GRID_WORKER)
    return list(Region.objects.filter(path__in=paths).current().select_related("parent").order_by("path"))


def region_outline_geojson(region) -> dict | None:
    """The region's boundary as a small GeoJSON geometry (simplified for a phone screen), or None."""
    if region.geom is None:
        return None
    xmin, ymin, xmax, ymax = region.geom.extent
    tolerance = max(xmax - xmin, ymax - ymin) / OUTLINE_DETAIL
    return json.loads(region.geom.simplify(tolerance, preserve_topology=True).json)


def category_list_for_picker():
    """Every active minor class, compact, for searching without a connection (one query)."""
    rows = (
        Category.objects.filter(parent__isnull=False, active=True)
        .order_by("kind", "code")
        .values_list("kind", "code", "name", "initials", "parent__name")
    )
    return [{"code": f"{k}{c}", "kind": k, "name": n, "initials": i, "major": m} for k, c, n, i, m in rows]
