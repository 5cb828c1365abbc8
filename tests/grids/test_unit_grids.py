"""Unit grids (单元网格) cut from a community: an exact tiling, numbered north → south and west → east, versioned."""

import pytest
from django.contrib.gis.geos import MultiPolygon, Point, Polygon
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from grids.models import BoundaryVersion, Level, Region, UnitGridLayer
from grids.selectors import region_locate
from grids.services.unit_grids import METRIC_SRID, UnitGridError, unit_grids_generate
from tests.factories.grids import CommunityFactory, StreetFactory
from tests.fixtures.grid import QIAODONG, QIAODONG_COMMUNITY

pytestmark = pytest.mark.django_db

# Square metres of floating-point noise between a community and the cells cut from it (a cell is 10,000 m²).
TOLERANCE_M2 = 0.5


def metric_community(corners, **fields):
    """A community drawn in the metric grid's own coordinates (EPSG:4547 metres), stored in WGS84."""
    ring = Polygon([*corners, corners[0]], srid=METRIC_SRID)
    ring.transform(4326)
    return CommunityFactory(geom=MultiPolygon(ring, srid=4326), **fields)


def origin():
    """A metric grid corner (100 m multiple) in downtown Huizhou."""
    point = Point(114.40, 23.10, srid=4326)
    point.transform(METRIC_SRID)
    return round(point.x, -2), round(point.y, -2)


def cells_of(community):
    return list(Region.objects.current().filter(parent=community, level=Level.UNIT).order_by("code"))


def tiling_figures(community_id):
    """(community m², sum of cell m², m² of pairwise overlaps, m² of the community left uncovered).

    Measured flat in WGS84 degrees, where the cells are cut, then scaled to m² by the community's own ratio: a
    geodesic measure would count the lens between each long edge and its great circle, which no tiling can avoid.
    """
    with connection.cursor() as cursor:
        cursor.execute(
            """
            WITH cells AS (SELECT id, geom FROM grids_region WHERE parent_id = %(id)s AND level = 'unit'
                           AND (valid_to IS NULL OR valid_to >= %(today)s))
            SELECT (SELECT ST_Area(geom::geography) / ST_Area(geom) FROM grids_region WHERE id = %(id)s),
                   (SELECT ST_Area(geom) FROM grids_region WHERE id = %(id)s),
                   (SELECT sum(ST_Area(geom)) FROM cells),
                   (SELECT coalesce(sum(ST_Area(ST_Intersection(a.geom, b.geom))), 0)
                    FROM cells a JOIN cells b ON a.id < b.id AND a.geom && b.geom AND ST_Intersects(a.geom, b.geom)),
                   (SELECT ST_Area(ST_Difference(r.geom, (SELECT ST_Union(geom) FROM cells)))
                    FROM grids_region r WHERE r.id = %(id)s)
            """,
            {"id": community_id, "today": timezone.localdate()},
        )
        scale, *figures = cursor.fetchone()
    return [figure * scale for figure in figures]


def test_a_real_community_is_tiled_exactly_by_its_unit_grids(huizhou_grid):
    (result,) = unit_grids_generate(community_code=QIAODONG_COMMUNITY, size_m=100)
    community = huizhou_grid.region(QIAODONG_COMMUNITY)
    area, cells_area, overlaps, uncovered = tiling_figures(community.pk)
    assert result.layer.cells == len(cells_of(community)) > 300  # about 4.2 km² in 10,000 m² cells
    assert cells_area == pytest.approx(area, abs=TOLERANCE_M2)
    assert overlaps < TOLERANCE_M2
    assert uncovered < TOLERANCE_M2
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT min(ST_Area(geom::geography)), max(ST_Area(geom::geography)), bool_and(ST_IsValid(geom)) "
            "FROM grids_region WHERE parent_id = %s AND level = 'unit'",
            [community.pk],
        )
        smallest, largest, valid = cursor.fetchone()
    assert valid
    assert smallest >= 0.2 * 10_000 - 1  # slivers joined a neighbour
    assert largest < 2 * 10_000  # a square takes at most a few slivers beside it


def test_cells_are_numbered_north_to_south_then_west_to_east(huizhou_grid):
    x, y = origin()
    # An L: two rows of three squares, then a row of one square on the west; no slivers.
    community = metric_community(
        [(x, y), (x + 100, y), (x + 100, y + 100), (x + 300, y + 100), (x + 300, y + 300), (x, y + 300)]
    )
    (result,) = unit_grids_generate(community_code=community.code, size_m=100)
    cells = cells_of(community)
    assert [c.code for c in cells] == [f"{community.code}{n:03d}" for n in range(1, 8)]
    centres = []
    for cell in cells:
        centre = Region.objects.get(pk=cell.pk).geom.centroid
        centre.transform(METRIC_SRID)
        centres.append((round(centre.x - x), round(centre.y - y)))
    assert centres == [(50, 250), (150, 250), (250, 250), (50, 150), (150, 150), (250, 150), (50, 50)]
    assert all(c.depth == 4 and c.parent_id == community.pk and c.path.startswith(community.path) for c in cells)
    assert result.layer.version == 1 and result.layer.current and result.layer.cell_size_m == 100


def test_a_sliver_joins_its_neighbour_and_the_tiling_stays_exact(huizhou_grid):
    x, y = origin()
    community = metric_community([(x, y), (x + 210, y), (x + 210, y + 100), (x, y + 100)])
    unit_grids_generate(community_code=community.code, size_m=100)
    cells = cells_of(community)
    assert len(cells) == 2  # the 10 m strip went to the square beside it
    area, cells_area, overlaps, uncovered = tiling_figures(community.pk)
    assert cells_area == pytest.approx(area, abs=0.01) and overlaps < 0.01 and uncovered < 0.01


def test_too_small_a_size_is_refused_naming_the_size_that_fits(huizhou_grid):
    with pytest.raises(UnitGridError) as raised:
        unit_grids_generate(community_code=QIAODONG_COMMUNITY, size_m=40)
    message = str(raised.value)
    assert "more than the 999 a 3-digit sequence can number" in message
    fits = int(message.split("use a size of ")[1].split(" m")[0])
    assert 60 <= fits <= 80
    assert not Region.objects.filter(parent__code=QIAODONG_COMMUNITY, level=Level.UNIT).exists()
    (result,) = unit_grids_generate(community_code=QIAODONG_COMMUNITY, size_m=fits)
    assert result.layer.cells <= 999


def test_regenerating_versions_the_layer_retires_redraws_and_keeps_old_boundaries(huizhou_grid, cases):
    community = huizhou_grid.region(QIAODONG_COMMUNITY)
    (first,) = unit_grids_generate(community_code=QIAODONG_COMMUNITY, size_m=100)
    case = cases.report()
    located = case.region
    assert located.level == Level.UNIT and located.parent_id == community.pk
    (second,) = unit_grids_generate(community_code=QIAODONG_COMMUNITY, size_m=200)

    layers = list(UnitGridLayer.objects.filter(community=community).order_by("version"))
    assert [(layer.version, layer.current) for layer in layers] == [(1, False), (2, True)]
    assert second.layer.cells < first.layer.cells
    assert len(second.retired) == first.layer.cells - second.layer.cells
    assert len(second.redrawn) == second.layer.cells and not second.created
    assert BoundaryVersion.objects.filter(region__code__in=second.redrawn).count() == len(second.redrawn)
    assert "retired" in second.layer.report and second.layer.report.startswith(community.name)
    # The case keeps its grid; a new report at the same place lands in a current cell.
    case.refresh_from_db()
    assert case.region_id == located.pk
    now_there = region_locate(lon=cases.lon, lat=cases.lat)
    assert now_there.level == Level.UNIT and now_there.code in {c.code for c in cells_of(community)}
    area, cells_area, overlaps, uncovered = tiling_figures(community.pk)
    assert cells_area == pytest.approx(area, abs=TOLERANCE_M2) and uncovered < TOLERANCE_M2

    (third,) = unit_grids_generate(community_code=QIAODONG_COMMUNITY, size_m=100)
    assert third.layer.version == 3 and third.layer.cells == first.layer.cells
    assert sorted(third.restored) == sorted(second.retired)
    assert third.unchanged == 0 and not third.created


def test_the_same_size_again_changes_no_cell(huizhou_grid):
    x, y = origin()
    community = metric_community([(x, y), (x + 300, y), (x + 300, y + 200), (x, y + 200)])
    unit_grids_generate(community_code=community.code, size_m=100)
    (again,) = unit_grids_generate(community_code=community.code, size_m=100)
    assert (again.unchanged, again.redrawn, again.created, again.retired) == (6, [], [], [])
    assert again.layer.version == 2


def test_a_street_is_generated_in_one_transaction(huizhou_grid):
    street = StreetFactory(parent=huizhou_grid.region("441302"))
    x, y = origin()
    metric_community([(x, y), (x + 200, y), (x + 200, y + 100), (x, y + 100)], parent=street)
    metric_community([(x, y + 100), (x + 200, y + 100), (x + 200, y + 200), (x, y + 200)], parent=street)
    # Lying on top of the other two, this one is too large for 10 m cells: nothing of the street is written.
    metric_community([(x, y), (x + 400, y), (x + 400, y + 400), (x, y + 400)], parent=street)
    with pytest.raises(UnitGridError):
        unit_grids_generate(street_code=street.code, size_m=10)
    assert not Region.objects.filter(path__startswith=street.path, level=Level.UNIT).exists()
    assert not UnitGridLayer.objects.filter(community__parent=street).exists()


def test_the_command_prints_each_community_and_refuses_bad_arguments(huizhou_grid, capsys, settings):
    settings.UNIT_GRID_SIZE_M = 250
    x, y = origin()
    community = metric_community([(x, y), (x + 500, y), (x + 500, y + 500), (x, y + 500)])
    call_command("generate_unit_grids", "--community", community.code)
    out = capsys.readouterr().out
    assert f"({community.code}): layer version 1, 4 unit grids, cells of 250 m" in out
    with pytest.raises(CommandError, match="No current Street / town has the code 999999999"):
        call_command("generate_unit_grids", "--street", "999999999")
    with pytest.raises(CommandError, match="between 10 and 5000 metres"):
        call_command("generate_unit_grids", "--street", QIAODONG, "--size", "5")
