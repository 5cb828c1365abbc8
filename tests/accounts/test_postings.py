"""posting_grant: a role is bound to a region subtree, or (for handlers) to a department."""

import datetime

import pytest
from django.core.exceptions import ValidationError

from accounts.models import Posting, Role
from accounts.scope import user_scope
from accounts.services import posting_grant
from grids.models import Region
from tests.factories.accounts import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def huicheng(huizhou_grid):
    return Region.objects.get(code="441302")


@pytest.fixture
def bureau(huizhou_departments):
    return huizhou_departments["city-urban-management"]


def test_dispatcher_is_granted_a_region(huicheng):
    user = UserFactory()
    posting = posting_grant(user=user, role=Role.DISPATCHER, region=huicheng)
    assert (posting.role, posting.region, posting.department) == (Role.DISPATCHER, huicheng, None)


def test_handler_is_granted_a_department(bureau):
    posting = posting_grant(user=UserFactory(), role=Role.HANDLER, department=bureau)
    assert posting.department == bureau


def test_handler_without_department_is_refused_with_a_field_message(huicheng):
    with pytest.raises(ValidationError) as exc:
        posting_grant(user=UserFactory(), role=Role.HANDLER, region=huicheng)
    assert set(exc.value.message_dict) == {"department", "region"}


@pytest.mark.parametrize("role", [r for r in Role.values if r != Role.HANDLER])
def test_region_roles_without_region_are_refused(bureau, role):
    with pytest.raises(ValidationError) as exc:
        posting_grant(user=UserFactory(), role=role, department=bureau)
    assert set(exc.value.message_dict) == {"region", "department"}


def test_an_unknown_role_is_refused(huicheng):
    with pytest.raises(ValidationError) as exc:
        posting_grant(user=UserFactory(), role="mayor", region=huicheng)
    assert "role" in exc.value.message_dict


def test_granting_twice_keeps_one_posting(huicheng):
    user = UserFactory()
    first = posting_grant(user=user, role=Role.DISPATCHER, region=huicheng)
    assert posting_grant(user=user, role=Role.DISPATCHER, region=huicheng) == first
    assert user.postings.count() == 1


def test_granting_again_revives_a_lapsed_posting(huicheng):
    user = UserFactory()
    posting = posting_grant(user=user, role=Role.DISPATCHER, region=huicheng)
    Posting.objects.filter(pk=posting.pk).update(valid_to=datetime.date(2020, 12, 31))
    posting_grant(user=user, role=Role.DISPATCHER, region=huicheng)
    assert Posting.objects.current().filter(pk=posting.pk).exists()


def test_a_grant_is_seen_at_once_by_the_cached_scope(huicheng):
    user = UserFactory()
    assert not user_scope(user).region_paths()
    posting_grant(user=user, role=Role.OPERATOR, region=huicheng)
    assert user_scope(user).region_paths() == [huicheng.path]
