"""/api/v1/departments/: every signed-in user reads the departments of their scope; only administrators write."""

import pytest

from grids.models import Department
from tests.fixtures.grid import HUICHENG, HUIYANG

pytestmark = pytest.mark.django_db
URL = "/api/v1/departments/"


def codes(response):
    assert response.status_code == 200, response.content
    return {row["code"] for row in response.json()}


def test_anonymous_callers_are_refused(api, huizhou_departments):
    assert api().get(URL).status_code == 401


def test_a_district_dispatcher_sees_its_district_and_the_city_but_not_another_district(
    api, district_dispatcher, huizhou_departments
):
    seen = codes(api(district_dispatcher).get(URL))
    huicheng = set(
        Department.objects.filter(home_region__path__startswith=f"/4413/{HUICHENG}/").values_list("code", flat=True)
    )
    huiyang = set(
        Department.objects.filter(home_region__path__startswith=f"/4413/{HUIYANG}/").values_list("code", flat=True)
    )
    assert huicheng and huicheng <= seen
    assert "city-urban-management" in seen
    assert not (huiyang & seen)
    assert api(district_dispatcher).get(f"{URL}street-441303001/").status_code == 404
    assert api(district_dispatcher).get(f"{URL}street-441302001/").json()["home_region"] == "441302001"


def test_filters_by_kind_level_and_region(api, dispatcher, huizhou_departments):
    client = api(dispatcher)
    offices = codes(client.get(URL, {"kind": "street_office", "region": HUIYANG}))
    assert offices and all(c.startswith("street-441303") for c in offices)
    city = client.get(URL, {"level": "city"}).json()
    assert city and {row["level"] for row in city} == {"city"}


def test_bad_filters_are_field_errors(api, dispatcher, huizhou_departments):
    response = api(dispatcher).get(URL, {"kind": "bakery", "region": "999999", "active": "maybe"})
    assert response.status_code == 400
    assert set(response.json()) == {"kind", "region", "active"}


def test_an_administrator_creates_and_changes_a_department(api, administrator, huizhou_departments):
    client = api(administrator)
    body = {"code": "huicheng-sanitation-co", "name": "惠城环卫服务公司", "level": "district", "kind": "contractor",
            "home_region": HUICHENG, "contact_phone": "0752-1234567"}  # fmt: skip
    created = client.post(URL, body, format="json")
    assert created.status_code == 201, created.content
    assert created.json()["home_region_name"]
    changed = client.patch(f"{URL}huicheng-sanitation-co/", {"active": False}, format="json")
    assert changed.status_code == 200 and changed.json()["active"] is False
    assert Department.objects.get(code="huicheng-sanitation-co").active is False


def test_other_roles_may_not_write(api, dispatcher, leader, huizhou_departments):
    body = {"code": "x-co", "name": "某公司", "level": "city", "kind": "contractor", "home_region": "4413"}
    for user in (dispatcher, leader):
        assert api(user).post(URL, body, format="json").status_code == 403
        assert api(user).patch(f"{URL}city-urban-management/", {"active": False}, format="json").status_code == 403
    assert not Department.objects.filter(code="x-co").exists()
    assert Department.objects.get(code="city-urban-management").active


def test_bad_writes_are_field_errors_and_write_nothing(api, administrator, huizhou_departments):
    client = api(administrator)
    existing = Department.objects.get(code="city-urban-management")
    clash = {"code": "new-one", "name": existing.name, "level": "city", "kind": "government",
             "home_region": existing.home_region.code}  # fmt: skip
    response = client.post(URL, clash, format="json")
    assert response.status_code == 400, response.content
    bad = client.post(URL, {"code": "bad code!", "name": "", "level": "galaxy", "home_region": "0"}, format="json")
    assert bad.status_code == 400
    assert {"code", "name", "level", "kind", "home_region"} <= set(bad.json())
    assert not Department.objects.filter(code="new-one").exists()


def test_the_list_costs_the_same_queries_for_a_few_departments_and_for_all(api, dispatcher, huizhou_departments):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = api(dispatcher)
    counts = []
    for query in ({"region": "441302001"}, {"region": "4413"}):
        with CaptureQueriesContext(connection) as captured:
            rows = client.get(URL, query).json()
        counts.append((len(captured), len(rows)))
    assert counts[0][1] < 5 < 30 < counts[1][1]
    assert counts[0][0] == counts[1][0]
