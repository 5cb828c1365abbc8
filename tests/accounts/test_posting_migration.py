"""accounts.0003: duplicated postings are merged into their oldest row, then the database refuses new ones."""

import datetime

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor

from accounts.models import Posting, Role

pytestmark = pytest.mark.django_db

BEFORE = ("accounts", "0002_posting_department_iff_handler")
AFTER = ("accounts", "0003_posting_unique_nulls_not_distinct")


def _migrate(target):
    executor = MigrationExecutor(connection)
    executor.migrate([target])
    return executor.loader.project_state([target]).apps


@pytest.fixture
def at_0002(huizhou_departments):
    """The schema as it was before postings were unique in fact; everything rolls back with the test."""
    with connection.cursor() as cursor:
        # Check foreign keys row by row: PostgreSQL refuses ALTER TABLE while deferred checks are pending.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    return _migrate(BEFORE)


def test_duplicates_are_merged_into_the_oldest_row_widened_to_cover_the_group(at_0002, capsys):
    apps = at_0002
    user_model, posting = apps.get_model("accounts", "User"), apps.get_model("accounts", "Posting")
    region = apps.get_model("grids", "Region").objects.get(code="441302")
    city = apps.get_model("grids", "Region").objects.get(code="4413")
    department = apps.get_model("grids", "Department").objects.get(code="city-urban-management")
    chen, wang = user_model.objects.create(username="chen"), user_model.objects.create(username="wang")

    def post(user, role, valid_from=None, valid_to=None, **place):
        return posting.objects.create(user=user, role=role, valid_from=valid_from, valid_to=valid_to, **place)

    oldest = post(chen, Role.DISPATCHER, datetime.date(2024, 3, 1), datetime.date(2024, 6, 30), region=region)
    post(chen, Role.DISPATCHER, datetime.date(2024, 1, 1), datetime.date(2024, 12, 31), region=region)
    post(chen, Role.DISPATCHER, datetime.date(2025, 1, 1), None, region=region)
    handler = post(chen, Role.HANDLER, datetime.date(2024, 1, 1), datetime.date(2024, 1, 31), department=department)
    post(chen, Role.HANDLER, None, datetime.date(2023, 12, 31), department=department)
    other_role = post(chen, Role.OPERATOR, region=region)
    wang_first = post(wang, Role.OPERATOR, region=city)
    post(wang, Role.OPERATOR, region=city)
    wang_elsewhere = post(wang, Role.OPERATOR, region=region)

    _migrate(AFTER)

    rows = {p.pk: (p.valid_from, p.valid_to) for p in Posting.objects.filter(user__username__in=["chen", "wang"])}
    assert rows == {
        oldest.pk: (datetime.date(2024, 1, 1), None),
        handler.pk: (None, datetime.date(2024, 1, 31)),
        other_role.pk: (None, None),
        wang_first.pk: (None, None),
        wang_elsewhere.pk: (None, None),
    }
    out = capsys.readouterr().out
    assert f"merged 3 duplicate posting(s) of user chen (id {chen.pk})" in out
    assert f"merged 1 duplicate posting(s) of user wang (id {wang.pk})" in out
    assert "4 duplicate posting(s) merged for 2 user(s)" in out


def test_after_the_migration_the_database_refuses_a_duplicate_of_either_kind(at_0002, huizhou_departments):
    apps = at_0002
    user_model, posting = apps.get_model("accounts", "User"), apps.get_model("accounts", "Posting")
    region = apps.get_model("grids", "Region").objects.get(code="441302")
    department = apps.get_model("grids", "Department").objects.get(code="city-urban-management")
    user = user_model.objects.create(username="zhao")
    posting.objects.create(user=user, role=Role.DISPATCHER, region=region)
    posting.objects.create(user=user, role=Role.HANDLER, department=department)
    # Before: NULLs are distinct, so the same posting goes in twice.
    posting.objects.create(user=user, role=Role.DISPATCHER, region=region)
    posting.objects.filter(user=user).order_by("-pk").first().delete()

    _migrate(AFTER)

    assert Posting.objects.filter(user_id=user.pk).count() == 2
    with pytest.raises(IntegrityError, match="posting_unique"), transaction.atomic():
        Posting.objects.create(user_id=user.pk, role=Role.DISPATCHER, region_id=region.pk)
    with pytest.raises(IntegrityError, match="posting_unique"), transaction.atomic():
        Posting.objects.create(user_id=user.pk, role=Role.HANDLER, department_id=department.pk)
