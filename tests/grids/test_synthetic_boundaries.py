"""Synthetic streets and communities: deterministic, even, and exactly tiling their parents."""

import pytest
from django.contrib.gis.geos import MultiPolygon, Polygon
from django.core.management import CommandError, call_command
from django.db import connection

from grids.models import Level, Region
from grids.services import GridImportError, boundaries_generate, region_boundary_replace

# Relative to the parent's area: what GEOS clipping may leave as slivers.
TILING_TOLERANCE = 1e-9


def tiling_errors(level: str) -> list[tuple]:
    """Per parent: |sum of children's areas − parent area| and area(parent △ union of children), relative."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT p.code, abs(sum(ST_Area(c.geom)) - ST_Area(p.geom)) / ST_Area(p.geom),
                   ST_Area(ST_SymDifference(p.geom, ST_Union(c.geom))) / ST_Area(p.geom)
            FROM grids_region c JOIN grids_region p ON p.id = c.parent_id
            WHERE c.level = %s GROUP BY p.id, p.code, p.geom
            """,
            [level],
        )
        return cursor.fetchall()


@pytest.mark.parametrize("level", [Level.DISTRICT, Level.STREET, Level.COMMUNITY])
def test_each_level_tiles_its_parent_without_gaps_or_overlaps(huizhou_grid, level):
    rows = tiling_errors(level)
    assert rows
    bad = [row for row in rows if row[1] > TILING_TOLERANCE or row[2] > TILING_TOLERANCE]
    assert bad == []


def test_siblings_do_not_overlap(huizhou_grid):
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT a.code, b.code FROM grids_region a
            JOIN grids_region b ON b.parent_id = a.parent_id AND a.code < b.code AND a.geom && b.geom
            WHERE a.level = 'community' AND ST_Area(ST_Intersection(a.geom, b.geom)) > 1e-12
            """
        )
        assert cursor.fetchall() == []


def test_cells_have_similar_sizes(huizhou_grid):
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT max(ST_Area(geom)) / avg(ST_Area(geom)), min(ST_Area(geom)) / avg(ST_Area(geom))
            FROM grids_region WHERE level IN ('street', 'community') GROUP BY parent_id HAVING count(*) > 1
            """
        )
        for largest, smallest in cursor.fetchall():
            assert largest < 2.5
            assert smallest > 0.3


def test_generation_is_deterministic(huizhou_grid):
    before = _geometries(Level.STREET)
    Region.objects.filter(level__in=[Level.STREET, Level.COMMUNITY]).update(geom=None, geom_source="")
    streets = boundaries_generate(level=Level.STREET)
    communities = boundaries_generate(level=Level.COMMUNITY)
    assert (streets["regions"], communities["regions"]) == (84, 1364)
    assert _geometries(Level.STREET) == before
    assert streets["failed"] == communities["failed"] == []


def test_an_unchanged_grid_is_not_regenerated(huizhou_grid, django_assert_max_num_queries):
    with django_assert_max_num_queries(20):
        result = boundaries_generate(level=Level.COMMUNITY)
    assert result["regenerated_parents"] == 0 and result["unchanged_parents"] == 84 and result["regions"] == 0


def test_synthetic_children_tile_what_real_siblings_leave(huizhou_grid):
    street = huizhou_grid.qiaodong
    first, *others = Region.objects.filter(parent=street).order_by("code")
    centre = street.geom.point_on_surface
    square = MultiPolygon(
        Polygon.from_bbox((centre.x - 0.002, centre.y - 0.002, centre.x + 0.002, centre.y + 0.002)), srid=4326
    ).intersection(street.geom)
    region_boundary_replace(region=first, geom=square, source="survey")
    result = boundaries_generate(level=Level.COMMUNITY)
    assert result["regenerated_parents"] == 1 and result["regions"] == len(others)

    first.refresh_from_db()
    assert first.synthetic is False and first.geom_source == "survey"
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT sum(ST_Area(geom)) FILTER (WHERE synthetic), sum(ST_Area(ST_Intersection(geom, %s::geometry)))
                   FILTER (WHERE synthetic)
            FROM grids_region WHERE parent_id = %s
            """,
            [first.geom.ewkt, street.pk],
        )
        synthetic_area, overlap_with_real = cursor.fetchone()
    assert synthetic_area == pytest.approx(street.geom.area - first.geom.area, rel=1e-9)
    assert overlap_with_real == pytest.approx(0, abs=1e-12)
    assert [row for row in tiling_errors(Level.COMMUNITY) if row[0] == street.code][0][1] < TILING_TOLERANCE


def test_children_of_a_parent_without_boundary_wait(huizhou_grid):
    Region.objects.filter(code="441302001").update(geom=None)
    result = boundaries_generate(level=Level.COMMUNITY)
    waiting = Region.objects.filter(parent__code="441302001").count()
    assert len(result["waiting"]) == waiting and result["waiting"][0].startswith("441302001")


def test_the_command_generates_every_level_and_refuses_the_city(huizhou_grid, capsys):
    call_command("generate_grid")
    out = capsys.readouterr().out
    assert "Synthetic street boundaries" in out and "Synthetic community boundaries" in out
    with pytest.raises(GridImportError):
        boundaries_generate(level=Level.CITY)
    with pytest.raises(CommandError):
        call_command("generate_grid", "--level", "city")


def _geometries(level):
    return dict(Region.objects.filter(level=level).values_list("code", "geom_source"))


def test_qiaodong_is_grown_around_its_real_office_and_stays_synthetic(huizhou_grid):
    from django.contrib.gis.geos import Point

    from grids.services.synthetic import anchors_read

    office = Point(*anchors_read()["441302001"], srid=4326)
    qiaodong = Region.objects.get(code="441302001")
    assert qiaodong.geom.contains(office)
    assert qiaodong.synthetic and qiaodong.geom_source.startswith("synthetic #")
    # About 23.085 N, 114.42 E: on the 东平半岛, not 25 km away.
    assert office.distance(Point(114.42, 23.085, srid=4326)) < 0.01


def test_every_listed_office_lies_in_its_own_synthetic_cell(huizhou_grid):
    from django.contrib.gis.geos import Point

    from grids.services.synthetic import anchors_read

    anchors = anchors_read()
    assert len(anchors) >= 2
    regions = {r.code: r for r in Region.objects.filter(code__in=anchors)}
    assert set(regions) == set(anchors)
    for code, (lon, lat) in anchors.items():
        assert regions[code].geom.contains(Point(lon, lat, srid=4326)), code


def test_without_anchors_the_cells_are_drawn_as_before_and_with_them_again(huizhou_grid):
    from django.contrib.gis.geos import Point

    office = Point(114.42, 23.085, srid=4326)
    result = boundaries_generate(level=Level.STREET, anchors={})
    # Only 惠城区 has listed offices: its streets are drawn again, the other districts' are kept.
    assert result["regenerated_parents"] == 1 and result["unchanged_parents"] == 4
    assert not Region.objects.get(code="441302001").geom.contains(office)
    boundaries_generate(level=Level.STREET)
    assert Region.objects.get(code="441302001").geom.contains(office)


def test_an_office_row_without_a_source_is_refused(tmp_path):
    from grids.services.synthetic import anchors_read

    path = tmp_path / "offices.csv"
    path.write_text("code,name,lon,lat,source\n441302001,桥东街道办事处,114.42,23.085,\n", encoding="utf-8")
    with pytest.raises(GridImportError, match="source"):
        anchors_read(path)
    path.write_text("code,name,lon,lat,source\n441302001,桥东街道办事处,east,23.085,somewhere\n", encoding="utf-8")
    with pytest.raises(GridImportError, match="numbers"):
        anchors_read(path)
    assert anchors_read(tmp_path / "missing.csv") == {}
