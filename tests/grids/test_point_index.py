"""The in-memory point index answers as PostGIS does, costs no query, and follows every change of the regions."""

import datetime
import random

import pytest
from django.db import connection, transaction
from django.test import override_settings

from grids.models import Level, Region
from grids.point_index import region_index_current, region_index_invalidate, region_index_stamp
from grids.selectors import region_locate, region_locate_in_database
from grids.services import region_pieces_rebuild
from grids.services.unit_grids import unit_grids_generate

HUIZHOU_DOWNTOWN = (114.4158, 23.1115)
# Wider than the city: sea, the neighbouring cities and the margins of the index's cells.
AROUND_HUIZHOU = (113.7, 22.3, 115.6, 24.1)


@pytest.fixture
def unit_grid_community(huizhou_grid):
    """东湖社区 cut into 100 m unit grids (the deepest level, over the community's own pieces)."""
    unit_grids_generate(community_code=huizhou_grid.QIAODONG_COMMUNITY, size_m=100)
    return huizhou_grid.qiaodong_community


def _code(region):
    return None if region is None else region.code


def _assert_same_answers(points):
    differing = [
        (lon, lat, _code(region_locate(lon=lon, lat=lat)), _code(region_locate_in_database(lon=lon, lat=lat)))
        for lon, lat in points
    ]
    differing = [row for row in differing if row[2] != row[3]]
    assert differing == []


def test_random_points_in_and_around_the_city_get_the_answer_postgis_gives(huizhou_grid):
    rng = random.Random(2260)
    west, south, east, north = AROUND_HUIZHOU
    points = [(rng.uniform(west, east), rng.uniform(south, north)) for _ in range(1500)]
    _assert_same_answers(points)
    assert any(region_locate(lon=lon, lat=lat) is None for lon, lat in points)  # some lie outside the city


def test_unit_grids_and_their_holes_get_the_answer_postgis_gives(huizhou_grid, unit_grid_community):
    rng = random.Random(7)
    west, south, east, north = unit_grid_community.geom.extent
    points = [(rng.uniform(west, east), rng.uniform(south, north)) for _ in range(400)]
    _assert_same_answers(points)
    found = (region_locate(lon=lon, lat=lat) for lon, lat in points[:50])
    assert Level.UNIT in {region.level for region in found if region is not None}


def test_boundary_vertices_and_edge_midpoints_get_the_answer_postgis_gives(huizhou_grid, unit_grid_community):
    # Vertices of outlines shared by neighbours (communities, streets, districts, unit grids), the pieces' cut
    # lines, and points halfway along edges: where "covers" and the tie between neighbours decide.
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT ST_X(v.geom), ST_Y(v.geom)
            FROM (SELECT geom FROM grids_region WHERE level IN ('district', 'street', 'community', 'unit')
                  ORDER BY code LIMIT 250) r, ST_DumpPoints(r.geom) v
            WHERE v.path[3] %% %s = 0
            UNION ALL
            SELECT ST_X(v.geom), ST_Y(v.geom)
            FROM (SELECT geom FROM grids_regionpiece ORDER BY id LIMIT 300) p, ST_DumpPoints(p.geom) v
            UNION ALL
            SELECT ST_X(m), ST_Y(m)
            FROM (SELECT geom FROM grids_region WHERE level IN ('community', 'unit') ORDER BY code LIMIT 200) r,
                 ST_DumpSegments(r.geom) s, ST_LineInterpolatePoint(s.geom, 0.5) m
            """,
            [7],
        )
        points = cursor.fetchall()
    assert len(points) > 2000
    _assert_same_answers(points)


def test_a_lookup_costs_no_query_between_two_stamp_checks(huizhou_grid, django_assert_num_queries):
    with override_settings(GRIDS_LOCATE_RECHECK_SECONDS=3600):
        region_index_invalidate()
        region_locate(lon=114.4, lat=23.1)  # reads the stamp (and builds the index when it changed)
        with django_assert_num_queries(0):
            region = region_locate(lon=HUIZHOU_DOWNTOWN[0], lat=HUIZHOU_DOWNTOWN[1])
            assert region.parent.code == region.code[:9]
            assert region_locate(lon=115.2, lat=22.3) is None  # at sea
    assert region.get_deferred_fields() == {"geom"}


def test_every_write_to_the_regions_or_their_pieces_changes_the_stamp(huizhou_grid):
    stamps = [region_index_stamp()]
    Region.objects.filter(code=huizhou_grid.QIAODONG_COMMUNITY).update(name="桥东社区")
    stamps.append(region_index_stamp())
    region_pieces_rebuild(region_ids=[huizhou_grid.qiaodong.pk])
    stamps.append(region_index_stamp())
    assert len(set(stamps)) == 3


def test_a_rolled_back_write_leaves_no_stamp_a_later_write_could_repeat(huizhou_grid):
    before = region_index_stamp()
    with pytest.raises(RuntimeError), transaction.atomic():
        Region.objects.filter(code=huizhou_grid.QIAODONG_COMMUNITY).update(name="桥东")
        rolled_back = region_index_stamp()
        raise RuntimeError
    assert region_index_stamp() == before
    Region.objects.filter(code=huizhou_grid.QIAODONG_COMMUNITY).update(name="桥东二")
    assert region_index_stamp() not in (before, rolled_back)


def test_a_renamed_region_is_answered_by_its_new_name(huizhou_grid):
    code = region_locate(lon=HUIZHOU_DOWNTOWN[0], lat=HUIZHOU_DOWNTOWN[1]).code
    Region.objects.filter(code=code).update(name="新名社区")
    assert region_locate(lon=HUIZHOU_DOWNTOWN[0], lat=HUIZHOU_DOWNTOWN[1]).name == "新名社区"


def test_the_index_waits_for_the_next_check_but_the_process_that_rebuilt_pieces_does_not(huizhou_grid):
    located = region_locate(lon=HUIZHOU_DOWNTOWN[0], lat=HUIZHOU_DOWNTOWN[1])
    with override_settings(GRIDS_LOCATE_RECHECK_SECONDS=3600):
        region_index_invalidate()
        region_index_current()
        # Another process retires the community: this one keeps its index until its next check...
        Region.objects.filter(pk=located.pk).update(valid_to=datetime.date(2020, 1, 1))
        assert region_locate(lon=HUIZHOU_DOWNTOWN[0], lat=HUIZHOU_DOWNTOWN[1]).code == located.code
        # ...while rebuilding pieces here (as every import does) is seen at once.
        region_pieces_rebuild(region_ids=[located.pk])
        assert region_locate(lon=HUIZHOU_DOWNTOWN[0], lat=HUIZHOU_DOWNTOWN[1]).code == located.code[:9]


@pytest.mark.parametrize("value", [float("nan"), float("inf"), -float("inf"), 1e300])
def test_points_that_are_no_place_lie_in_no_region(huizhou_grid, value):
    assert region_locate(lon=value, lat=23.1) is None
    assert region_locate(lon=114.4, lat=value) is None


def test_a_piece_becomes_a_geometry_only_when_a_lookup_tests_it(huizhou_grid):
    # The index keeps the pieces as WKB (it lives in every web worker): building it prepares none, a lookup only
    # the pieces whose boxes hold its point, and a second lookup of the same point reuses them.
    region_index_invalidate()
    index = region_index_current()
    assert index.prepared == [None] * len(index.regions_of)
    lon, lat = HUIZHOU_DOWNTOWN
    assert _code(region_locate(lon=lon, lat=lat)) == _code(region_locate_in_database(lon=lon, lat=lat))
    prepared = [number for number, piece in enumerate(index.prepared) if piece is not None]
    assert 0 < len(prepared) < len(index.prepared)
    same = [index.prepared[number] for number in prepared]
    region_locate(lon=lon, lat=lat)
    assert [index.prepared[number] for number in prepared] == same
