"""Admin of regions (Leaflet map) and departments."""

import json

import pytest
from django.urls import reverse

from grids.models import BoundaryVersion, Region
from tests.factories.grids import DepartmentFactory


@pytest.fixture
def admin_user_client(client, django_user_model):
    client.force_login(django_user_model.objects.create_superuser("grid-admin", "grid-admin@example.com", "x" * 12))
    return client


@pytest.mark.parametrize(
    "query", ["", "?q=桥东", "?q=441302001", "?level__exact=community", "?synthetic__exact=1", "?area_class__exact=1"]
)
def test_the_region_list_answers(huizhou_grid, admin_user_client, query):
    response = admin_user_client.get(reverse("admin:grids_region_changelist") + query)
    assert response.status_code == 200


def test_the_region_list_costs_the_same_queries_for_any_page(
    huizhou_grid, admin_user_client, django_assert_max_num_queries
):
    url = reverse("admin:grids_region_changelist")
    with django_assert_max_num_queries(12):
        admin_user_client.get(url + "?level__exact=district")
    with django_assert_max_num_queries(12):
        admin_user_client.get(url + "?level__exact=community")


def test_the_region_page_shows_a_leaflet_map_and_read_only_tree_fields(huizhou_grid, admin_user_client):
    region = huizhou_grid.qiaodong
    response = admin_user_client.get(reverse("admin:grids_region_change", args=[region.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "leaflet" in html.lower()
    assert 'name="path"' not in html and 'name="depth"' not in html and 'name="code"' not in html
    assert region.path in html


def test_a_boundary_drawn_in_the_admin_goes_through_the_service(huizhou_grid, admin_user_client):
    region = huizhou_grid.qiaodong_community
    url = reverse("admin:grids_region_change", args=[region.pk])
    ring = [[114.41, 23.11], [114.42, 23.11], [114.42, 23.12], [114.41, 23.11]]
    square = json.dumps({"type": "MultiPolygon", "coordinates": [[ring]]})
    response = admin_user_client.post(
        url,
        {
            "name": region.name,
            "area_class": region.area_class,
            "geom": square,
            "boundary_versions-TOTAL_FORMS": "0",
            "boundary_versions-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    region.refresh_from_db()
    assert region.synthetic is False and region.geom_source == "admin: grid-admin"
    assert BoundaryVersion.objects.filter(region=region, synthetic=True).count() == 1
    assert region.pieces.exists()


def test_departments_are_listed_searched_and_filtered(huizhou_grid, admin_user_client):
    department = DepartmentFactory(name="惠州市城市管理和综合执法局测试", home_region=huizhou_grid.city)
    url = reverse("admin:grids_department_changelist")
    for query in ("", "?q=综合执法", "?level__exact=city", "?kind__exact=government", "?active__exact=1"):
        response = admin_user_client.get(url + query)
        assert response.status_code == 200
    assert department.name in admin_user_client.get(url + "?q=综合执法").content.decode()
    change = admin_user_client.get(reverse("admin:grids_department_change", args=[department.pk]))
    assert change.status_code == 200


def test_the_region_autocomplete_finds_streets(huizhou_grid, admin_user_client):
    response = admin_user_client.get(
        reverse("admin:autocomplete"),
        {"term": "桥东", "app_label": "grids", "model_name": "department", "field_name": "home_region"},
    )
    assert response.status_code == 200
    assert any(item["id"] == str(Region.objects.get(code="441302001").pk) for item in response.json()["results"])


def test_a_facility_added_in_the_admin_is_located_in_its_grid(huizhou_grid, huizhou_departments, admin_user_client):
    from grids.models import Department, Facility

    point = huizhou_grid.point_in(huizhou_grid.QIAODONG_COMMUNITY)
    owner = Department.objects.get(code="utility-gas")
    response = admin_user_client.post(
        reverse("admin:grids_facility_add"),
        {
            "code": "ADMIN-1",
            "class_code": "0111",
            "name": "燃气井盖",
            "state": "in_use",
            "owner": owner.pk,
            "point": json.dumps({"type": "Point", "coordinates": [point.x, point.y]}),
            "attributes": "{}",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    facility = Facility.objects.get(code="ADMIN-1")
    assert facility.region.code.startswith(huizhou_grid.QIAODONG_COMMUNITY) and facility.source == "admin: grid-admin"
    slash = {"code": "A/1", "class_code": "0111", "state": "in_use", "attributes": "{}"}
    refused = admin_user_client.post(reverse("admin:grids_facility_add"), {**slash, "point": json.dumps(
        {"type": "Point", "coordinates": [point.x, point.y]})})  # fmt: skip
    assert refused.status_code == 200 and not Facility.objects.filter(code="A/1").exists()
    listing = admin_user_client.get(reverse("admin:grids_facility_changelist") + "?q=ADMIN")
    assert listing.status_code == 200 and "ADMIN-1" in listing.content.decode()
