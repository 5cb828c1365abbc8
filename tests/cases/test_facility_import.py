"""The facility import: CSV, GeoJSON and Shapefile; bad rows named in words, good rows imported; a second import
updates by code without duplicates; each facility located in the deepest grid."""

import json
import shutil
import subprocess

import pytest
from django.core.management import CommandError, call_command

from cases.services.facilities import FacilityFileError, facilities_import
from grids.models import Facility
from tests.fixtures.grid import QIAODONG_COMMUNITY

pytestmark = pytest.mark.django_db


@pytest.fixture
def here(huizhou_grid, huizhou_departments, catalogue):
    point = huizhou_grid.point_in(QIAODONG_COMMUNITY)
    return point.x, point.y


def write_csv(path, rows):
    header = "code,class_code,name,owner,maintainer,state,address,lon,lat,material\n"
    path.write_text(header + "".join(",".join(map(str, row)) + "\n" for row in rows), encoding="utf-8-sig")
    return path


def test_a_csv_imports_its_good_rows_and_names_each_bad_row_field_and_problem(tmp_path, here):
    lon, lat = here
    path = write_csv(
        tmp_path / "f.csv",
        [
            ("WS-1", "0101", "上水井盖", "utility-water-supply", "", "in_use", "东湖路1号", lon, lat, "铸铁"),
            ("WS-2", "C0118", "路灯", "city-municipal-gardens", "", "破损", "", lon, lat, ""),
            ("BAD-1", "0102", "x", "", "", "", "", lon, lat, ""),  # 0102 exists: good (no owner: 无主 allowed)
            ("BAD-2", "E0102", "x", "", "", "", "", lon, lat, ""),  # an event class
            ("BAD-3", "0101", "x", "no-such-dept", "", "", "", lon, lat, ""),
            ("BAD-4", "0101", "x", "", "", "broken", "", "abc", lat, ""),
            ("BAD-5", "0101", "x", "", "", "", "", 10, 10, ""),  # outside the city
            ("WS-1", "0101", "again", "", "", "", "", lon, lat, ""),  # the same code twice in one file
            ("", "0101", "x", "", "", "", "", lon, lat, ""),
            ("WS/3", "0101", "x", "", "", "", "", lon, lat, ""),
        ],
    )
    report = facilities_import(path=path)
    assert (report.read, report.created, report.updated, report.bad) == (10, 3, 0, 7)
    problems = [str(p) for p in report.problems]
    assert problems == [
        "Row 5, class_code: “E0102” is not a component (部件) class of the catalogue",
        "Row 6, owner: no department with code “no-such-dept”",
        "Row 7, lon: “abc” is not a longitude",
        "Row 7, state: “broken” is not a state (in_use, damaged, missing, removed)",
        "Row 8, point: 10, 10 lies outside every grid of the city",
        "Row 9, code: “WS-1” already appears in row 2; a code is imported once per file",
        "Row 10, code: missing",
        "Row 11, code: “WS/3” contains a slash or a space",
    ]
    cover = Facility.objects.select_related("owner", "region").get(code="WS-1")
    assert cover.owner.code == "utility-water-supply" and cover.class_code == "0101"
    assert cover.region.code.startswith(QIAODONG_COMMUNITY) and cover.region_path.endswith(f"{cover.region.code}/")
    assert cover.attributes == {"material": "铸铁"} and cover.address == "东湖路1号"
    assert Facility.objects.get(code="WS-2").state == "damaged"


def test_a_second_import_updates_by_code_without_duplicates(tmp_path, here):
    lon, lat = here
    first = write_csv(tmp_path / "a.csv", [("L-1", "0118", "路灯", "", "", "", "", lon, lat, "LED")])
    facilities_import(path=first)
    second = write_csv(
        tmp_path / "b.csv",
        [
            ("L-1", "0118", "路灯（更换）", "city-municipal-gardens", "", "missing", "", lon, lat, ""),
            ("L-2", "0118", "路灯", "", "", "", "", lon, lat, ""),
        ],
    )
    report = facilities_import(path=second)
    assert (report.created, report.updated, report.bad) == (1, 1, 0)
    assert Facility.objects.filter(code__in=["L-1", "L-2"]).count() == 2
    lamp = Facility.objects.get(code="L-1")
    assert (lamp.name, lamp.state, lamp.owner.code) == ("路灯（更换）", "missing", "city-municipal-gardens")
    assert lamp.attributes == {"material": "LED"}  # kept: the second file had nothing for it


def geojson(path, features):
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False))
    return path


def feature(lon, lat, **properties):
    return {"type": "Feature", "geometry": {"type": "Point", "coordinates": [lon, lat]}, "properties": properties}


def test_a_geojson_file_imports_with_bad_features_reported(tmp_path, here):
    lon, lat = here
    path = geojson(
        tmp_path / "f.geojson",
        [
            feature(lon, lat, code="G-1", class_code="0305", owner="huicheng-urban-management", capacity=240),
            feature(lon, lat, code="G-2", class_code="9999"),
            {"type": "Feature", "geometry": None, "properties": {"code": "G-3", "class_code": "0305"}},
        ],
    )
    report = facilities_import(path=path)
    assert (report.created, report.bad) == (1, 2)
    assert [str(p) for p in report.problems] == [
        "Row 2, class_code: “9999” is not a component (部件) class of the catalogue",
        "Row 3, lat: “” is not a latitude",
        "Row 3, lon: “” is not a longitude",
    ]
    assert Facility.objects.get(code="G-1").attributes == {"capacity": 240}


@pytest.mark.skipif(shutil.which("ogr2ogr") is None, reason="GDAL's ogr2ogr is not installed")
def test_a_shapefile_in_another_projection_imports_through_gdal(tmp_path, here):
    lon, lat = here
    source = geojson(
        tmp_path / "src.geojson",
        [feature(lon, lat, code="S-1", class_code="0102", owner="city-water"), feature(lon, lat, code="S-2")],
    )
    shapefile = tmp_path / "facilities.shp"
    # Web Mercator, as survey files often are: the import transforms to WGS84.
    subprocess.run(["ogr2ogr", "-t_srs", "EPSG:3857", str(shapefile), str(source)], check=True, capture_output=True)
    report = facilities_import(path=shapefile)
    assert (report.created, report.bad) == (1, 1)
    assert [str(p) for p in report.problems] == ["Row 2, class_code: missing"]
    imported = Facility.objects.get(code="S-1")
    assert imported.point.x == pytest.approx(lon, abs=1e-6) and imported.point.y == pytest.approx(lat, abs=1e-6)


def test_the_command_prints_counts_and_problems_and_refuses_a_file_without_coordinates(tmp_path, here, capsys):
    lon, lat = here
    rows = [("C-1", "0101", "", "", "", "", "", lon, lat, ""), ("C-2", "0101", "", "", "", "", "", lon, "", "")]
    path = write_csv(tmp_path / "f.csv", rows)
    call_command("import_facilities", str(path), "--progress", "1")
    out = capsys.readouterr().out
    assert "1 rows read …" in out and "2 row(s) read: 1 created, 0 updated, 1 bad" in out
    assert "Row 3, lat: “” is not a latitude" in out
    (tmp_path / "no.csv").write_text("code,class_code\nX,0101\n")
    with pytest.raises(CommandError, match="no column for: lon, lat"):
        call_command("import_facilities", str(tmp_path / "no.csv"))
    with pytest.raises(FacilityFileError):
        facilities_import(path=tmp_path / "missing.csv")
    short = write_csv(tmp_path / "short.csv", [("C-3", "0101")])
    with pytest.raises(CommandError, match="cannot be read as CSV.*line 2"):
        call_command("import_facilities", str(short))
    assert not Facility.objects.filter(code="C-3").exists()
