"""The facility import's bulk path: an import that adds more rows than the table holds drops the table's secondary
indexes and foreign keys, writes, and rebuilds them — the same indexes and keys afterwards, the same data, and on a
failure nothing written and every index still there."""

import pytest
from django.db import connection

from cases.services import facilities
from cases.services.facilities import facilities_import
from grids.models import Facility
from tests.cases.test_facility_import import write_csv
from tests.fixtures.grid import QIAODONG_COMMUNITY

pytestmark = pytest.mark.django_db


@pytest.fixture
def here(huizhou_grid, huizhou_departments, catalogue):
    point = huizhou_grid.point_in(QIAODONG_COMMUNITY)
    return point.x, point.y


def table_schema():
    """grids_facility's index and constraint definitions (names included), sorted."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexdef FROM pg_indexes WHERE tablename = 'grids_facility' UNION ALL "
            "SELECT conname || ' ' || pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = 'grids_facility'::regclass ORDER BY 1"
        )
        return [definition for (definition,) in cursor.fetchall()]


def rows(lon, lat, prefix, count, owner="utility-water-supply"):
    return [(f"{prefix}-{i}", "0101", "井盖", owner, "", "", "", lon, lat, "") for i in range(count)]


def test_a_bulk_import_rebuilds_the_same_indexes_and_keys_and_writes_the_same_data(tmp_path, here, monkeypatch):
    lon, lat = here
    before = table_schema()
    assert any("facility_point_class_knn" in d for d in before) and any("FOREIGN KEY" in d for d in before)
    # A small import first (row-by-row path): its deferred key checks are still pending in this transaction.
    facilities_import(path=write_csv(tmp_path / "a.csv", rows(lon, lat, "A", 1)))
    monkeypatch.setattr(facilities, "BULK_MIN_ROWS", 3)
    statements = []
    with connection.execute_wrapper(lambda execute, sql, *args: statements.append(sql) or execute(sql, *args)):
        report = facilities_import(
            path=write_csv(tmp_path / "b.csv", [*rows(lon, lat, "B", 4), *rows(lon, lat, "A", 1)])
        )
    assert any(sql.startswith("DROP INDEX") for sql in statements), "the bulk path was not taken"
    assert (report.created, report.updated, report.bad) == (4, 1, 0)
    assert table_schema() == before
    cover = Facility.objects.select_related("owner", "region").get(code="B-3")
    assert cover.owner.code == "utility-water-supply" and cover.region.code.startswith(QIAODONG_COMMUNITY)
    assert Facility.objects.filter(code__in=["A-0", "B-0", "B-1", "B-2", "B-3"]).count() == 5
    # Built, valid and ready (the planner may use them once this transaction is over: the import updated a row).
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT bool_and(indisvalid AND indisready) FROM pg_index WHERE indrelid = 'grids_facility'::regclass"
        )
        assert cursor.fetchone()[0] is True


def test_a_bulk_import_that_fails_writes_nothing_and_keeps_every_index(tmp_path, here, monkeypatch):
    lon, lat = here
    before = table_schema()
    monkeypatch.setattr(facilities, "BULK_MIN_ROWS", 1)
    upsert = facilities._upsert

    def failing_upsert(cursor, source, classes):
        upsert(cursor, source, classes)
        raise RuntimeError("disk full")

    monkeypatch.setattr(facilities, "_upsert", failing_upsert)
    with pytest.raises(RuntimeError):
        facilities_import(path=write_csv(tmp_path / "c.csv", rows(lon, lat, "C", 3)))
    assert not Facility.objects.filter(code__startswith="C-").exists()
    assert table_schema() == before


def test_a_bulk_import_still_refuses_a_department_that_does_not_exist(tmp_path, here, monkeypatch):
    lon, lat = here
    monkeypatch.setattr(facilities, "BULK_MIN_ROWS", 1)
    report = facilities_import(
        path=write_csv(tmp_path / "d.csv", [*rows(lon, lat, "D", 2), *rows(lon, lat, "E", 1, "nobody")])
    )
    assert (report.created, report.bad) == (2, 1)
    assert [str(p) for p in report.problems] == ["Row 4, owner: no department with code “nobody”"]
