"""Reports name a facility: the API checks class and distance with field errors; nearby facilities, nearest first."""

import pytest

from cases.models import Case
from tests.factories.facilities import facility_at, offset

pytestmark = pytest.mark.django_db


@pytest.fixture
def cover(cases, huizhou_departments):
    return facility_at(lon=cases.lon, lat=cases.lat, class_code="0101", owner="utility-water-supply", name="上水井盖")


def report(api, lon, lat, **fields):
    body = {"category": "C0101", "description": "井盖破损", "lon": lon, "lat": lat, **fields}
    return api.post("/api/v1/cases/", body, format="json", HTTP_ACCEPT_LANGUAGE="en")


def test_a_report_naming_its_facility_records_it_and_shows_it(api_client_for, personas, cover, cases):
    lon, lat = offset(cases.lon, cases.lat, east_m=12)
    answer = report(api_client_for(personas["grid_worker"]), lon, lat, facility=cover.code)
    assert answer.status_code == 201, answer.json()
    expected = {"code": cover.code, "class_code": "0101", "name": "上水井盖", "state": "in_use"}
    assert answer.json()["facility"] == expected
    assert Case.objects.get(pk=answer.json()["id"]).facility == cover


@pytest.mark.parametrize(
    "category, facility, east_m, message",
    [
        ("C0102", "{code}", 0, "is of class 0101, not 0102"),
        ("C0101", "{code}", 80, "stands 80 m from the reported point; at most 50 m are accepted"),
        ("C0101", "NO-SUCH", 0, "No facility has the code “NO-SUCH”."),
        ("E0102", "{code}", 0, "Only a component (部件) report names a facility."),
    ],
)
def test_a_wrong_facility_is_a_400_on_the_facility_field_and_nothing_is_written(
    api_client_for, personas, cover, cases, category, facility, east_m, message
):
    lon, lat = offset(cases.lon, cases.lat, east_m=east_m)
    before = Case.objects.count()
    answer = report(
        api_client_for(personas["grid_worker"]), lon, lat, category=category, facility=facility.format(code=cover.code)
    )
    assert answer.status_code == 400
    assert message in answer.json()["facility"][0]
    assert Case.objects.count() == before


def test_nearby_lists_the_class_within_the_radius_nearest_first_in_scope(api_client_for, personas, cover, cases):
    far_lon, far_lat = offset(cases.lon, cases.lat, north_m=45)
    near_lon, near_lat = offset(cases.lon, cases.lat, north_m=10)
    facility_at(lon=far_lon, lat=far_lat, class_code="0101", code="FAR")
    facility_at(lon=near_lon, lat=near_lat, class_code="0101", code="NEAR")
    facility_at(lon=cases.lon, lat=cases.lat, class_code="0118", code="LAMP")
    url = f"/api/v1/facilities/nearby/?lon={cases.lon}&lat={cases.lat}&class_code=C0101"
    rows = api_client_for(personas["grid_worker"]).get(url).json()
    assert [r["code"] for r in rows] == [cover.code, "NEAR"]
    assert rows[0]["distance_m"] < 1 and 9 < rows[1]["distance_m"] < 11
    assert rows[0]["owner"]["code"] == "utility-water-supply"
    assert [r["code"] for r in api_client_for(personas["outsider"]).get(url).json()] == []
    wide = api_client_for(personas["grid_worker"]).get(url + "&radius=60").json()
    assert [r["code"] for r in wide] == [cover.code, "NEAR", "FAR"]


def test_one_facility_by_code_only_inside_the_scope(api_client_for, personas, cover):
    assert api_client_for(personas["grid_worker"]).get(f"/api/v1/facilities/{cover.code}/").json()["name"] == "上水井盖"
    assert api_client_for(personas["outsider"]).get(f"/api/v1/facilities/{cover.code}/").status_code == 404
