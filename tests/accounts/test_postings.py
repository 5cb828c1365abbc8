"""posting_grant: a role is bound to a region subtree, or (for handlers) to a department."""

import datetime
import threading
import time

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction

from accounts.models import Posting, Role
from accounts.scope import user_scope
from accounts.services import posting_check, posting_grant
from grids.models import Region
from huizhou_cityops.errors import api_exception_handler
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


def test_a_posting_the_user_already_holds_over_a_region_is_refused_on_the_region(huicheng):
    user = UserFactory(full_name="陈静")
    posting_grant(user=user, role=Role.DISPATCHER, region=huicheng)
    with pytest.raises(ValidationError) as exc:
        posting_check(user=user, role=Role.DISPATCHER, region=huicheng)
    assert exc.value.message_dict == {
        "region": ["陈静 is already posted as Dispatcher to 惠城区 (441302): change that posting's dates instead."]
    }


def test_a_posting_the_user_already_holds_in_a_department_is_refused_on_the_department(bureau):
    user = UserFactory()
    posting_grant(user=user, role=Role.HANDLER, department=bureau)
    with pytest.raises(ValidationError) as exc:
        posting_check(user=user, role=Role.HANDLER, department=bureau)
    assert set(exc.value.message_dict) == {"department"}


def test_the_same_role_elsewhere_or_for_someone_else_is_no_duplicate(huicheng):
    user = UserFactory()
    posting = posting_grant(user=user, role=Role.DISPATCHER, region=huicheng)
    posting_check(user=user, role=Role.DISPATCHER, region=huicheng, posting_id=posting.pk)
    posting_check(user=user, role=Role.OPERATOR, region=huicheng)
    posting_check(user=user, role=Role.DISPATCHER, region=huicheng.parent)
    posting_check(user=UserFactory(), role=Role.DISPATCHER, region=huicheng)


def test_a_duplicate_posting_is_a_400_with_field_errors_in_the_api(huicheng):
    user = UserFactory()
    posting_grant(user=user, role=Role.DISPATCHER, region=huicheng)
    with pytest.raises(ValidationError) as exc:
        posting_check(user=user, role=Role.DISPATCHER, region=huicheng)
    response = api_exception_handler(exc.value, {})
    assert response.status_code == 400
    assert list(response.data) == ["region"]


@pytest.mark.django_db(transaction=True)
def test_a_grant_racing_the_same_grant_returns_the_posting_that_won(huizhou_grid):
    user, region = UserFactory(), huizhou_grid.huicheng
    first_inserted, results = threading.Event(), {}

    def first():
        try:
            with transaction.atomic():
                results["first"] = posting_grant(user=user, role=Role.DISPATCHER, region=region).pk
                first_inserted.set()
                # Hold the row uncommitted, so the second grant finds nothing and its insert waits on this one.
                time.sleep(0.5)
        finally:
            connection.close()

    def second():
        try:
            first_inserted.wait(timeout=10)
            results["second"] = posting_grant(user=user, role=Role.DISPATCHER, region=region).pk
        finally:
            connection.close()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results["first"] == results["second"]
    assert Posting.objects.filter(user=user).count() == 1
