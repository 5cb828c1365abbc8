"""Importing a city's own unit grids: every code and cell checked, the report in words, nothing written when wrong."""

import json

import pytest
from django.contrib.gis.geos import Polygon
from django.core.management import CommandError, call_command

from grids.models import Level, Region, UnitGridLayer
from grids.selectors import region_locate
from grids.services import GridImportError
from grids.services.unit_grid_import import unit_grids_import
from grids.services.unit_grids import METRIC_SRID
from tests.grids.test_unit_grids import metric_community, origin, tiling_figures

pytestmark = pytest.mark.django_db


def square(x, y, size=100):
    ring = Polygon.from_bbox((x, y, x + size, y + size))
    ring.srid = METRIC_SRID
    ring.transform(4326)
    return ring


@pytest.fixture
def block(huizhou_grid):
    """A 300 × 200 m community on the metric grid and its six 100 m squares, north-west first."""
    x, y = origin()
    community = metric_community([(x, y), (x + 300, y), (x + 300, y + 200), (x, y + 200)])
    squares = [square(x + dx, y + dy) for dy in (100, 0) for dx in (0, 100, 200)]
    return community, squares


def write(tmp_path, cells, name="cells.geojson"):
    """A GeoJSON file of (code, polygon) pairs."""
    features = [
        {"type": "Feature", "properties": {"code": code}, "geometry": json.loads(polygon.geojson)}
        for code, polygon in cells
    ]
    path = tmp_path / name
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}), encoding="utf-8")
    return path


def codes(community, count):
    return [f"{community.code}{n:03d}" for n in range(1, count + 1)]


def refused(path, **options):
    with pytest.raises(GridImportError) as raised:
        unit_grids_import(path=path, **options)
    return str(raised.value)


def test_a_valid_file_becomes_the_communitys_unit_grids_and_layer(block, tmp_path):
    community, squares = block
    path = write(tmp_path, zip(codes(community, 6), squares, strict=True))
    (result,) = unit_grids_import(path=path)
    cells = Region.objects.filter(parent=community, level=Level.UNIT).order_by("code")
    assert [c.code for c in cells] == codes(community, 6)
    layer = UnitGridLayer.objects.get(community=community, current=True)
    assert (layer.version, layer.source, layer.file_name, layer.cells) == (1, "imported", "cells.geojson", 6)
    assert "6 unit grids, imported from cells.geojson — 6 new" in layer.report
    # The community's straight 300 m edges and the cells' corners brought from the metric grid part by a few dm².
    area, cells_area, overlaps, uncovered = tiling_figures(community.pk)
    assert cells_area == pytest.approx(area, abs=0.5) and overlaps < 0.01 and uncovered < 0.5
    inside = squares[4].point_on_surface
    assert region_locate(lon=inside.x, lat=inside.y).code == f"{community.code}005"


def test_bad_codes_are_named_and_nothing_is_written(block, tmp_path):
    community, squares = block
    good = codes(community, 6)
    cells = [("12345", squares[0]), ("999999999999001", squares[1]), (good[2], squares[2]), (good[2], squares[3]),
             (good[4], squares[4]), (good[5], squares[5])]  # fmt: skip
    message = refused(write(tmp_path, cells))
    assert "was not imported: 3 problem(s). Nothing was written." in message
    assert "Feature #1 (code 12345): a unit grid code has 15 digits (community code + 3-digit number)." in message
    assert "Feature #2 (code 999999999999001): no current community has the code 999999999999." in message
    assert f"Feature #4 (code {good[2]}): the code is already used by feature #3." in message
    assert not Region.objects.filter(parent=community).exists()
    assert not UnitGridLayer.objects.filter(community=community).exists()


def test_a_cell_of_another_community_is_refused_when_one_is_asked(block, tmp_path, huizhou_grid):
    community, squares = block
    other = huizhou_grid.QIAODONG_COMMUNITY
    path = write(tmp_path, [(f"{other}001", squares[0])])
    message = refused(path, community_code=community.code)
    assert f"the cell belongs to community {other}, not to {community.code}." in message
    assert f"The file holds no cell of community {community.code}." in message


def test_overlapping_cells_are_named_with_the_overlap_in_square_metres(block, tmp_path):
    community, squares = block
    x, y = origin()
    cells = list(zip(codes(community, 6), squares, strict=True))
    cells[1] = (cells[1][0], square(x + 100, y + 50, size=100).union(squares[1]))  # 100 × 50 m into cell 5
    message = refused(write(tmp_path, cells))
    first, second = codes(community, 6)[1], codes(community, 6)[4]
    assert f"Cells {first} and {second} overlap by 5,000 m²." in message


def test_a_missing_cell_is_a_gap_reported_in_square_metres(block, tmp_path):
    community, squares = block
    cells = list(zip(codes(community, 6), squares, strict=True))
    del cells[4]
    message = refused(write(tmp_path, cells))
    assert f"10,000 m² of community {community.name} ({community.code}) is covered by no cell" in message
    assert not Region.objects.filter(parent=community).exists()
    # Gaps may be allowed: the uncovered part stays the community's, and the layer's report says so.
    (result,) = unit_grids_import(path=write(tmp_path, cells, "gaps.geojson"), allow_gaps=True)
    assert result.layer.cells == 5
    assert "is covered by no cell" in result.layer.report
    hole = squares[4].point_on_surface
    assert region_locate(lon=hole.x, lat=hole.y).level == Level.COMMUNITY  # (the test block lies over a real one)
    assert not Region.objects.filter(parent=community, geom__covers=hole).exists()


def test_a_cell_outside_its_community_is_named_with_the_area_outside(block, tmp_path):
    community, squares = block
    x, y = origin()
    cells = list(zip(codes(community, 6), squares, strict=True))
    cells[2] = (cells[2][0], square(x + 200, y + 100).union(square(x + 300, y + 100)))  # 10,000 m² east of it
    message = refused(write(tmp_path, cells))
    assert f"Cell {cells[2][0]} lies 10,000 m² outside its community {community.name}." in message


def test_an_invalid_polygon_is_refused_not_repaired(block, tmp_path):
    community, squares = block
    x0, y0, x1, y1 = squares[0].extent
    bowtie = Polygon(((x0, y0), (x1, y1), (x1, y0), (x0, y1), (x0, y0)), srid=4326)
    cells = [(codes(community, 6)[0], bowtie), *list(zip(codes(community, 6), squares, strict=True))[1:]]
    message = refused(write(tmp_path, cells))
    assert f"Feature #1 (code {codes(community, 6)[0]}): invalid geometry (Self-intersection" in message


def test_the_command_prints_the_report_and_refuses_in_words(block, tmp_path, capsys):
    community, squares = block
    call_command("import_unit_grids", str(write(tmp_path, zip(codes(community, 6), squares, strict=True))))
    assert "1 communities, 6 unit grids imported." in capsys.readouterr().out
    cells = list(zip(codes(community, 6), squares, strict=True))[:5]
    with pytest.raises(CommandError, match="is covered by no cell"):
        call_command("import_unit_grids", str(write(tmp_path, cells, "five.geojson")), "--community", community.code)
    assert UnitGridLayer.objects.get(community=community, current=True).version == 1
