"""Importing real boundaries: repairs reported, features matched by code, history kept, parents and pieces follow."""

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from grids.models import BoundaryVersion, Level, Region
from grids.selectors import region_locate
from grids.services import GridImportError, boundaries_import
from grids.services.boundaries import DERIVED_SOURCE
from grids.services.huizhou import DISTRICTS_FILE

REPAIRED_DISTRICTS = {"441302", "441303", "441322", "441323"}
LONGMEN = "441324"
# A square well inside 龙门县 (its county seat is near 114.26 E, 23.73 N).
LONGMEN_SQUARE = [[114.2, 23.7], [114.3, 23.7], [114.3, 23.8], [114.2, 23.8], [114.2, 23.7]]


def geojson(tmp_path: Path, features: list[dict], name="boundaries.geojson") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}), encoding="utf-8")
    return path


def feature(code, rings, name="", **properties) -> dict:
    return {
        "type": "Feature",
        "properties": {"code": code, "name": name, **properties},
        "geometry": {"type": "Polygon", "coordinates": rings},
    }


def test_the_report_names_the_four_district_outlines_that_needed_repair(huizhou_grid):
    report = boundaries_import(path=DISTRICTS_FILE, level=Level.DISTRICT)
    assert {r.code for r in report.repairs} == REPAIRED_DISTRICTS
    assert all("Self-intersection" in r.reason for r in report.repairs)
    assert {r.name for r in report.repairs} == {"惠城区", "惠阳区", "博罗县", "惠东县"}
    assert report.unmatched == []
    assert report.changed == []  # the session already holds these outlines
    assert len(report.unchanged) == 5


def test_repaired_outlines_are_valid_multipolygons_of_the_same_area(huizhou_grid):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT code, ST_IsValid(geom), GeometryType(geom) FROM grids_region WHERE level = 'district' ORDER BY code"
        )
        rows = cursor.fetchall()
    assert rows == [(code, True, "MULTIPOLYGON") for code in ("441302", "441303", "441322", "441323", "441324")]
    area = huizhou_grid.region("441323").geom.area
    assert area == pytest.approx(0.32014, rel=1e-4)


def test_the_command_prints_each_repair(huizhou_grid, capsys):
    call_command("import_boundaries", str(DISTRICTS_FILE), "--level", "district")
    out = capsys.readouterr().out
    for code in REPAIRED_DISTRICTS:
        assert f"Repaired {code}" in out
    assert "Repaired 441324" not in out


def test_a_self_intersecting_bow_tie_keeps_only_polygons(huizhou_grid, tmp_path):
    bow_tie = [[[114.2, 23.7], [114.3, 23.8], [114.3, 23.7], [114.2, 23.8], [114.2, 23.7]]]
    report = boundaries_import(path=geojson(tmp_path, [feature(LONGMEN, bow_tie)]), level=Level.DISTRICT)
    assert [r.code for r in report.repairs] == [LONGMEN]
    geom = Region.objects.get(code=LONGMEN).geom
    assert geom.geom_type == "MultiPolygon" and geom.valid and len(geom) == 2


def test_unmatched_features_are_reported_and_skipped(huizhou_grid, tmp_path):
    path = geojson(
        tmp_path,
        [
            feature(LONGMEN, [LONGMEN_SQUARE]),
            feature("449999", [LONGMEN_SQUARE], name="不存在区"),
            feature("441302001", [LONGMEN_SQUARE], name="桥东街道"),
            feature(None, [LONGMEN_SQUARE]),
        ],
    )
    report = boundaries_import(path=path, level=Level.DISTRICT)
    reasons = {u.feature: u.reason for u in report.unmatched}
    assert reasons == {
        2: "no region has this code",
        3: "the region is a street, not a district",
        4: "no code",
    }
    assert report.changed == [LONGMEN]


def test_a_replaced_boundary_is_archived_with_its_validity(huizhou_grid, tmp_path):
    old = huizhou_grid.region(LONGMEN).geom
    report = boundaries_import(path=geojson(tmp_path, [feature(LONGMEN, [LONGMEN_SQUARE])]), level=Level.DISTRICT)
    assert report.changed == [LONGMEN]
    region = Region.objects.get(code=LONGMEN)
    assert region.geom.area == pytest.approx(0.01)
    assert region.synthetic is False and region.geom_source == "boundaries.geojson"
    version = BoundaryVersion.objects.get(region=region)
    assert version.geom.equals_exact(old, tolerance=0)
    assert version.source == "huizhou-districts.geojson" and version.synthetic is False
    assert version.valid_to is not None

    boundaries_import(path=DISTRICTS_FILE, level=Level.DISTRICT)
    newer = BoundaryVersion.objects.filter(region=region).order_by("valid_to").last()
    assert newer.valid_from == version.valid_to  # the square was valid from the first replacement on


def test_the_city_is_derived_again_and_pieces_follow(huizhou_grid, tmp_path):
    boundaries_import(path=geojson(tmp_path, [feature(LONGMEN, [LONGMEN_SQUARE])]), level=Level.DISTRICT)
    city = Region.objects.get(code="4413")
    assert city.geom_source == DERIVED_SOURCE
    districts = Region.objects.filter(level=Level.DISTRICT)
    assert city.geom.area == pytest.approx(sum(d.geom.area for d in districts))
    # Northern 龙门县, outside the new square: only the (old, synthetic) streets and communities still cover it.
    assert region_locate(lon=114.25, lat=23.75).code.startswith(LONGMEN)
    located = region_locate(lon=114.05, lat=23.95)
    assert located is None or located.level in (Level.STREET, Level.COMMUNITY)


def test_regenerate_redraws_the_synthetic_levels_inside_the_new_outline(huizhou_grid, tmp_path):
    path = geojson(tmp_path, [feature(LONGMEN, [LONGMEN_SQUARE])])
    call_command("import_boundaries", str(path), "--level", "district", "--regenerate")
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT count(*), sum(ST_Area(geom)) FROM grids_region
            WHERE level = 'street' AND path LIKE '/4413/441324/%%'
            """
        )
        count, area = cursor.fetchone()
    assert count == 12
    assert area == pytest.approx(0.01)


@pytest.mark.skipif(shutil.which("ogr2ogr") is None, reason="needs GDAL's ogr2ogr to write a Shapefile")
def test_a_projected_shapefile_is_read_and_reprojected(huizhou_grid, tmp_path):
    source = geojson(tmp_path, [feature(LONGMEN, [LONGMEN_SQUARE], adcode=441324)], name="square.geojson")
    shapefile = tmp_path / "square.shp"
    subprocess.run(
        ["ogr2ogr", "-f", "ESRI Shapefile", "-s_srs", "EPSG:4326", "-t_srs", "EPSG:3857", str(shapefile), str(source)],
        check=True,
        capture_output=True,
    )
    report = boundaries_import(path=shapefile, level=Level.DISTRICT, code_field="adcode")
    assert report.changed == [LONGMEN]
    extent = Region.objects.get(code=LONGMEN).geom.extent
    assert extent == pytest.approx((114.2, 23.7, 114.3, 23.8), abs=1e-6)


def test_bad_input_gives_clear_errors(huizhou_grid, tmp_path):
    with pytest.raises(GridImportError, match="GDAL cannot read"):
        boundaries_import(path=tmp_path / "nothing.geojson", level=Level.DISTRICT)
    with pytest.raises(GridImportError, match="no field “adcode”"):
        boundaries_import(path=DISTRICTS_FILE, level=Level.DISTRICT, code_field="adcode")
    with pytest.raises(GridImportError, match="Unknown level"):
        boundaries_import(path=DISTRICTS_FILE, level="province")
    with pytest.raises(GridImportError, match="No feature"):
        boundaries_import(path=DISTRICTS_FILE, level=Level.STREET)
    with pytest.raises(CommandError, match="No feature"):
        call_command("import_boundaries", str(DISTRICTS_FILE), "--level", "street")
