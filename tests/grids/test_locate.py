"""Point lookup: the deepest current region covering the point, on pre-subdivided pieces; and its API."""

import datetime

import pytest
from django.db import connection
from django.urls import reverse
from rest_framework.test import APIClient

from grids.models import Level, Region, RegionPiece
from grids.selectors import region_locate
from grids.services import region_pieces_rebuild
from grids.services.pieces import MAX_VERTICES

HUIZHOU_DOWNTOWN = (114.4158, 23.1115)
AT_SEA = (115.2, 22.3)


def test_a_downtown_point_lies_in_a_huicheng_community(huizhou_grid):
    region = region_locate(lon=HUIZHOU_DOWNTOWN[0], lat=HUIZHOU_DOWNTOWN[1])
    assert region.level == Level.COMMUNITY
    assert region.code.startswith("441302")
    assert region.parent.code == region.code[:9]  # the parent comes with it
    assert region.ancestor_codes() == ["4413", "441302", region.code[:9], region.code]


def test_a_point_at_sea_lies_in_no_region(huizhou_grid):
    assert region_locate(lon=AT_SEA[0], lat=AT_SEA[1]) is None


def test_a_located_region_costs_one_query_and_no_geometry(huizhou_grid, django_assert_num_queries):
    region_locate(lon=114.4, lat=23.1)  # prepares the statement once per connection
    with django_assert_num_queries(1):
        region = region_locate(lon=HUIZHOU_DOWNTOWN[0], lat=HUIZHOU_DOWNTOWN[1])
        assert region.parent.name
    assert "geom" in region.get_deferred_fields()


def test_a_point_inside_each_sample_community_finds_it(huizhou_grid):
    for community in Region.objects.filter(level=Level.COMMUNITY).order_by("code")[::97]:
        point = community.geom.point_on_surface
        assert region_locate(lon=point.x, lat=point.y).code == community.code


def test_a_point_on_a_boundary_shared_by_two_communities_matches_one_of_them(huizhou_grid):
    with connection.cursor() as cursor:
        # A vertex of 东湖社区's outline that is also a vertex of a neighbour: exactly on both boundaries.
        cursor.execute(
            """
            SELECT ST_X(v.geom), ST_Y(v.geom), b.code
            FROM grids_region a, ST_DumpPoints(a.geom) v, grids_region b
            WHERE a.code = %s AND b.level = 'community' AND b.id <> a.id
              AND ST_Intersects(ST_Boundary(b.geom), v.geom) AND ST_Intersects(ST_Boundary(a.geom), v.geom)
            ORDER BY b.code, v.path LIMIT 1
            """,
            [huizhou_grid.QIAODONG_COMMUNITY],
        )
        lon, lat, neighbour = cursor.fetchone()
    covering = set(
        RegionPiece.objects.filter(geom__covers=f"SRID=4326;POINT({lon!r} {lat!r})", depth=3).values_list(
            "region__code", flat=True
        )
    )
    assert {huizhou_grid.QIAODONG_COMMUNITY, neighbour} <= covering
    assert region_locate(lon=lon, lat=lat).code == min(covering)


def test_regions_no_longer_valid_are_not_found(huizhou_grid):
    region = region_locate(lon=HUIZHOU_DOWNTOWN[0], lat=HUIZHOU_DOWNTOWN[1])
    Region.objects.filter(pk=region.pk).update(valid_to=datetime.date(2020, 1, 1))
    assert region_locate(lon=HUIZHOU_DOWNTOWN[0], lat=HUIZHOU_DOWNTOWN[1]).code == region.code[:9]


def test_pieces_are_small_and_cover_each_region_exactly(huizhou_grid):
    with connection.cursor() as cursor:
        cursor.execute("SELECT max(ST_NPoints(geom)), bool_and(ST_IsValid(geom)) FROM grids_regionpiece")
        most, valid = cursor.fetchone()
        cursor.execute(
            """
            SELECT r.code FROM grids_region r JOIN grids_regionpiece p ON p.region_id = r.id
            GROUP BY r.id HAVING abs(sum(ST_Area(p.geom)) - ST_Area(r.geom)) > 1e-12 OR min(p.depth) <> r.depth
            """
        )
        mismatched = cursor.fetchall()
    assert most <= MAX_VERTICES + 1 and valid  # a closed ring repeats its first point
    assert mismatched == []
    assert RegionPiece.objects.values("region").distinct().count() == Region.objects.count()


def test_the_pieces_have_a_spatial_index(db):
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE tablename = 'grids_regionpiece'")
        assert any("USING gist (geom)" in row[0] for row in cursor.fetchall())


def test_rebuilding_pieces_of_some_regions_leaves_the_others(huizhou_grid):
    total = RegionPiece.objects.count()
    street = huizhou_grid.qiaodong
    assert region_pieces_rebuild(region_ids=[street.pk]) == street.pieces.count()
    assert RegionPiece.objects.count() == total
    assert region_pieces_rebuild(region_ids=[]) == 0


# The API ---------------------------------------------------------------------------------------------------


@pytest.fixture
def admin_api(django_user_model):
    client = APIClient()
    client.force_login(django_user_model.objects.create_superuser("grid-admin", "grid-admin@example.com", "x" * 12))
    return client


def locate_url(**params):
    return reverse("api-region-locate") + "?" + "&".join(f"{k}={v}" for k, v in params.items())


def test_the_api_answers_with_the_region_and_its_ancestors(huizhou_grid, admin_api):
    response = admin_api.get(locate_url(lon=HUIZHOU_DOWNTOWN[0], lat=HUIZHOU_DOWNTOWN[1]))
    assert response.status_code == 200
    body = response.json()
    assert body["level"] == "community" and body["code"].startswith("441302")
    assert [a["code"] for a in body["ancestors"]] == ["4413", "441302", body["code"][:9]]
    assert body["synthetic"] is True


def test_the_api_answers_404_with_a_message_at_sea(huizhou_grid, admin_api):
    response = admin_api.get(locate_url(lon=AT_SEA[0], lat=AT_SEA[1]))
    assert response.status_code == 404
    assert response.json()["detail"]


@pytest.mark.parametrize(
    ("params", "fields"),
    [
        ({"lon": "abc", "lat": "23.1"}, {"lon"}),
        ({"lon": "114.4"}, {"lat"}),
        ({}, {"lon", "lat"}),
        ({"lon": 500, "lat": 23}, {"lon"}),
    ],
)
def test_the_api_answers_400_with_field_errors(huizhou_grid, admin_api, params, fields):
    response = admin_api.get(locate_url(**params))
    assert response.status_code == 400
    assert set(response.json()) == fields


def test_the_api_hides_regions_outside_the_callers_scope(huizhou_grid, outsider, api_client_for):
    response = api_client_for(outsider).get(locate_url(lon=HUIZHOU_DOWNTOWN[0], lat=HUIZHOU_DOWNTOWN[1]))
    assert response.status_code == 404


def test_the_api_needs_a_signed_in_caller(huizhou_grid):
    assert APIClient().get(locate_url(lon=HUIZHOU_DOWNTOWN[0], lat=HUIZHOU_DOWNTOWN[1])).status_code in (401, 403)
