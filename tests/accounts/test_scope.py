"""Who sees which regions and departments: `visible_to(user)` on the real Huizhou grid."""

import datetime

import pytest
from django.contrib.auth.models import AnonymousUser

from accounts.models import Posting, Role
from grids.models import Department, Region
from tests.factories.accounts import UserFactory, user_posted

pytestmark = pytest.mark.django_db


def visible_codes(user):
    return set(Region.objects.visible_to(user).values_list("code", flat=True))


def subtree_codes(code):
    root = Region.objects.get(code=code)
    return set(Region.objects.filter(path__startswith=root.path).values_list("code", flat=True))


def test_anonymous_sees_no_region_and_no_department(huizhou_departments):
    assert not Region.objects.visible_to(AnonymousUser()).exists()
    assert not Department.objects.visible_to(AnonymousUser()).exists()


def test_user_without_posting_sees_nothing(huizhou_departments):
    user = UserFactory()
    assert not Region.objects.visible_to(user).exists()
    assert not Department.objects.visible_to(user).exists()


def test_district_dispatcher_sees_exactly_the_district_subtree(district_dispatcher):
    assert visible_codes(district_dispatcher) == subtree_codes("441302")
    assert "441302001001" in visible_codes(district_dispatcher)


def test_district_dispatcher_does_not_see_another_district_or_the_city(district_dispatcher):
    visible = Region.objects.visible_to(district_dispatcher)
    assert not visible.filter(code__in=["4413", "441303", "441303001"]).exists()


def test_city_dispatcher_sees_every_region(dispatcher):
    assert Region.objects.visible_to(dispatcher).count() == Region.objects.count()


def test_street_handler_sees_the_street_subtree(street_handler):
    assert visible_codes(street_handler) == subtree_codes("441302001")


def test_city_bureau_handler_sees_the_whole_city(handler):
    assert Region.objects.visible_to(handler).count() == Region.objects.count()


def test_grid_worker_sees_only_the_community(grid_worker):
    assert visible_codes(grid_worker) == {"441302001001"}


@pytest.mark.parametrize("make_admin", ["superuser", "administrator"])
def test_superuser_and_administrator_see_everything(huizhou_departments, make_admin):
    if make_admin == "superuser":
        user = UserFactory(is_superuser=True)
    else:
        user = user_posted(username="admin-posted", role=Role.ADMINISTRATOR, region=Region.objects.get(code="441324"))
    assert Region.objects.visible_to(user).count() == Region.objects.count()
    assert Department.objects.visible_to(user).count() == Department.objects.count()


def test_lapsed_posting_gives_no_scope(huizhou_grid):
    user = user_posted(username="retired", role=Role.DISPATCHER, region=Region.objects.get(code="441302"))
    Posting.objects.filter(user=user).update(valid_to=datetime.date(2020, 1, 1))
    assert not Region.objects.visible_to(user).exists()


def test_inactive_user_sees_nothing(district_dispatcher):
    district_dispatcher.is_active = False
    assert not Region.objects.visible_to(district_dispatcher).exists()


def test_district_dispatcher_sees_its_departments_and_the_city_bureaus(district_dispatcher, huizhou_departments):
    codes = set(Department.objects.visible_to(district_dispatcher).values_list("code", flat=True))
    assert {"city-urban-management", "utility-power", "huicheng-urban-management", "street-441302001"} <= codes
    assert not codes & {"huiyang-urban-management", "street-441303001", "boluo-urban-management"}


def test_street_handler_sees_its_office_and_the_departments_above_it(street_handler, huizhou_departments):
    codes = set(Department.objects.visible_to(street_handler).values_list("code", flat=True))
    assert {"street-441302001", "huicheng-urban-management", "city-urban-management"} <= codes
    assert not codes & {"street-441302002", "huiyang-urban-management"}


def test_city_bureau_handler_sees_its_own_department(handler, huizhou_departments):
    assert Department.objects.visible_to(handler).filter(code="city-urban-management").exists()


def test_two_postings_add_up(huizhou_grid):
    user = user_posted(username="two-hats", role=Role.DISPATCHER, region=Region.objects.get(code="441303"))
    user_posted(username="two-hats", role=Role.LEADER, region=Region.objects.get(code="441322"))
    user = type(user).objects.get(pk=user.pk)
    assert visible_codes(user) == subtree_codes("441303") | subtree_codes("441322")


def test_an_api_token_reads_its_user_and_their_current_scope_in_one_query(huizhou_departments):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from accounts.models import User
    from accounts.scope import user_scope
    from accounts.security.tokens import ExpiringTokenAuthentication, token_issue
    from tests.factories.accounts import PostingFactory

    today = datetime.date.today()
    huicheng = Region.objects.get(code="441302")
    user = user_posted(username="handler-and-dispatcher", role=Role.DISPATCHER, region=huicheng)
    PostingFactory(user=user, role=Role.HANDLER, department=Department.objects.get(code="street-441302001"))
    lapsed, future = Region.objects.get(code="441303"), Region.objects.get(code="441324")
    PostingFactory(user=user, role=Role.OPERATOR, region=lapsed, valid_to=today - datetime.timedelta(days=1))
    PostingFactory(user=user, role=Role.OPERATOR, region=future, valid_from=today + datetime.timedelta(days=1))
    key = token_issue(user=user).key
    with CaptureQueriesContext(connection) as queries:
        found, token = ExpiringTokenAuthentication().authenticate_credentials(key)
        scope = user_scope(found)
    assert len(queries) == 1
    assert (found.pk, found.username, found.is_active) == (user.pk, user.username, True)
    assert (token.key, token.user_id) == (key, user.pk)
    assert token.created == user.auth_token.created
    # The same scope as the postings' own query gives a fresh user object: the lapsed and future postings left out.
    assert scope == user_scope(User.objects.get(pk=user.pk))
    assert set(scope.region_paths()) == {
        huicheng.path,
        Department.objects.get(code="street-441302001").home_region.path,
    }
    assert scope.department_ids(Role.HANDLER) == [Department.objects.get(code="street-441302001").pk]
