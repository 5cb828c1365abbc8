"""Assessment fixtures: live results are not cached between tests (each test's data differs); small worlds rank."""

import pytest
from django.utils import timezone

from accounts.models import Role
from cases.models import Category
from grids.models import Department, Region
from tests.factories.accounts import user_posted

from .histories import World


@pytest.fixture(autouse=True)
def _no_live_cache(settings):
    settings.ASSESSMENT_LIVE_CACHE_SECONDS = 0


@pytest.fixture(autouse=True)
def _rank_small_worlds(settings):
    """The test worlds hold a few dozen cases: rank every unit with a score (the ranking tests set their own)."""
    settings.ASSESSMENT_MIN_CASES = 1


@pytest.fixture
def world(huizhou_grid, huizhou_departments):
    """Three communities (two districts), three departments, two people per post, a window from 1 January 2026."""
    communities = [huizhou_grid.qiaodong_community, huizhou_grid.huiyang_community]
    communities.append(Region.objects.defer("geom").filter(parent__code=huizhou_grid.QIAODONG).order_by("-code")[0])
    city = huizhou_grid.city
    people = {
        role: [user_posted(username=f"h-{role}-{i}", role=role, region=city) for i in range(2)]
        for role in (Role.GRID_WORKER, Role.OPERATOR, Role.SHIFT_LEAD, Role.DISPATCHER)
    }
    codes = ["city-urban-management", "street-441302001"]
    departments = list(Department.objects.filter(code__in=codes).order_by("code"))
    departments.append(Department.objects.exclude(code__in=codes).order_by("code").first())
    people[Role.HANDLER] = [user_posted(username="h-handler", role=Role.HANDLER, department=departments[0])]
    return World(
        regions=communities,
        departments=departments,
        people=people,
        category=Category.objects.filter(parent__isnull=False).order_by("kind", "code").first(),
        start=timezone.make_aware(timezone.datetime(2026, 1, 1)),
        creator=people[Role.OPERATOR][0],
    )
