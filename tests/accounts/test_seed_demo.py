"""`seed_demo`: refuses on a production-like setup, and builds the same grid, departments and people every run."""

import io

import pytest
from django.core.management import CommandError, call_command

from accounts import demo
from accounts.models import Posting, Role, User
from grids.models import Department, Level, Region

pytestmark = pytest.mark.django_db

DEMO_USERNAMES = {
    "admin",
    "gridworker",
    "operator",
    "shiftlead",
    "dispatcher",
    "district-dispatcher",
    "handler",
    "street-handler",
    "enforcer",
    "leader",
    "auditor",
}


def postings_by_username():
    return {
        p.user.username: (p.role, p.region.code if p.region else p.department.code)
        for p in Posting.objects.select_related("user", "region", "department")
    }


def test_seed_demo_refuses_with_debug_off(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="--force"):
        call_command("seed_demo", stdout=io.StringIO())


def test_demo_accounts_are_created_with_their_postings(huizhou_departments):
    demo.seed()
    assert set(User.objects.values_list("username", flat=True)) == DEMO_USERNAMES
    postings = postings_by_username()
    assert postings["gridworker"][0] == Role.GRID_WORKER
    assert postings["gridworker"][1].startswith("441302001")
    assert postings["district-dispatcher"] == (Role.DISPATCHER, "441302")
    assert postings["dispatcher"] == (Role.DISPATCHER, "4413")
    assert postings["handler"] == (Role.HANDLER, "city-urban-management")
    assert postings["street-handler"] == (Role.HANDLER, "street-441302001")
    assert postings["auditor"] == (Role.ASSESSOR, "4413")
    assert User.objects.get(username="admin").is_superuser
    assert all(u.full_name for u in User.objects.all())


def test_demo_seed_resets_passwords_and_postings(huizhou_departments):
    demo.seed()
    before = postings_by_username()
    dispatcher = User.objects.get(username="dispatcher")
    dispatcher.set_password("something-else-entirely")
    dispatcher.is_active = False
    dispatcher.save()
    Posting.objects.create(user=dispatcher, role=Role.LEADER, region=Region.objects.get(code="441303"))
    demo.seed()
    dispatcher.refresh_from_db()
    assert dispatcher.check_password(demo.DEMO_PASSWORD)
    assert dispatcher.is_active
    assert postings_by_username() == before
    assert User.objects.count() == len(DEMO_USERNAMES)


def test_demo_password_signs_in_despite_the_length_validator(client, huizhou_departments):
    demo.seed()
    response = client.post("/accounts/login/", {"username": "district-dispatcher", "password": "cityops-demo"})
    assert response.status_code == 302


def counts():
    return {
        "regions": {level: Region.objects.filter(level=level).count() for level in Level.values},
        "departments": Department.objects.count(),
        "users": User.objects.count(),
        "postings": Posting.objects.count(),
    }


@pytest.mark.slow
def test_seed_demo_twice_yields_the_same_counts(huizhou_grid):
    grids_services = pytest.importorskip("grids.services")
    if not hasattr(grids_services, "grid_load_huizhou"):
        pytest.skip("grids.services.grid_load_huizhou does not exist yet")
    # Without the workload (its own test: tests/cases/test_seed_demo_workload.py), whose colleagues add users.
    call_command("seed_demo", "--force", "--cases", "0", stdout=io.StringIO())
    first = counts()
    out = io.StringIO()
    call_command("seed_demo", "--force", "--cases", "0", stdout=out)
    assert counts() == first
    assert first["regions"][Level.CITY] == 1
    assert first["regions"][Level.DISTRICT] == 5
    assert first["regions"][Level.STREET] == 84
    assert first["regions"][Level.COMMUNITY] == 1364
    # The eleven demo accounts and the public-order grid worker who shares 东湖社区's unit grids (no password).
    assert first["users"] == 12
    assert first["regions"][Level.UNIT] > 5000  # 桥东街道's 13 communities in 100 m unit grids, cut once
    assert first["departments"] == 109 + 2  # and the two contractors that maintain some of 桥东's facilities
    assert "1 city, 5 districts, 84 streets, 1364 communities; 109 departments" in out.getvalue()
    assert "no workload asked" in out.getvalue()


def test_seed_demo_refuses_a_negative_number_of_cases():
    with pytest.raises(CommandError, match="negative"):
        call_command("seed_demo", "--force", "--cases", "-1", stdout=io.StringIO())
