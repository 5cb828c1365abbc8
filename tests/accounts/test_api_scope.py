"""The region API answers only inside the caller's scope: a permission matrix in the NetBox manner."""

import pytest

from tests.factories.accounts import UserFactory

pytestmark = pytest.mark.django_db

LIST = "/api/v1/regions/"

# (persona, region code, expected status): every persona against a target inside and outside its scope.
DETAIL_MATRIX = [
    ("nobody", "4413", 404),
    ("nobody", "441302001", 404),
    ("district_dispatcher", "441302", 200),
    ("district_dispatcher", "441302001", 200),
    ("district_dispatcher", "441302001001", 200),
    ("district_dispatcher", "4413", 404),
    ("district_dispatcher", "441303001", 404),
    ("outsider", "441303001", 200),
    ("outsider", "441302001", 404),
    ("dispatcher", "4413", 200),
    ("dispatcher", "441303001", 200),
    ("dispatcher", "441324200", 200),
    ("street_handler", "441302001", 200),
    ("street_handler", "441302001001", 200),
    ("street_handler", "441302002", 404),
    ("street_handler", "441302", 404),
    ("handler", "441323001", 200),
    ("grid_worker", "441302001001", 200),
    ("grid_worker", "441302001003", 404),
    ("superuser", "441324200", 200),
]


def rows(response):
    data = response.json()
    return data["results"] if isinstance(data, dict) else data


@pytest.fixture
def nobody(huizhou_grid):
    """Signed in, but without any posting."""
    return UserFactory(username="p-nobody")


@pytest.fixture
def superuser(huizhou_grid):
    return UserFactory(username="p-superuser", is_superuser=True, is_staff=True)


@pytest.mark.parametrize("url", [LIST, f"{LIST}441302/", f"{LIST}locate/?lon=114.4158&lat=23.1115"])
def test_anonymous_caller_gets_401(api_client_for, huizhou_grid, url):
    response = api_client_for(None).get(url)
    assert response.status_code == 401


@pytest.mark.parametrize(("persona", "code", "expected"), DETAIL_MATRIX)
def test_region_detail_answers_only_inside_the_scope(request, api_client_for, persona, code, expected):
    user = request.getfixturevalue(persona)
    response = api_client_for(user).get(f"{LIST}{code}/")
    assert response.status_code == expected, response.content
    if expected == 200:
        assert response.json()["code"] == code


def test_user_without_posting_gets_an_empty_list(api_client_for, nobody):
    response = api_client_for(nobody).get(LIST)
    assert response.status_code == 200
    assert rows(response) == []


def test_district_dispatcher_lists_only_the_district_streets(api_client_for, district_dispatcher):
    response = api_client_for(district_dispatcher).get(LIST, {"level": "street"})
    codes = [r["code"] for r in rows(response)]
    assert len(codes) == 21
    assert all(code.startswith("441302") for code in codes)


def test_district_dispatcher_asking_for_another_district_children_gets_none(api_client_for, district_dispatcher):
    response = api_client_for(district_dispatcher).get(LIST, {"parent": "441303"})
    assert response.status_code == 200
    assert rows(response) == []


@pytest.mark.parametrize("persona", ["dispatcher", "superuser"])
def test_city_wide_callers_list_every_street(request, api_client_for, persona):
    response = api_client_for(request.getfixturevalue(persona)).get(LIST, {"level": "street"})
    assert len(rows(response)) == 84


def test_street_handler_lists_the_street_and_its_communities(api_client_for, street_handler):
    codes = {r["code"] for r in rows(api_client_for(street_handler).get(LIST))}
    assert "441302001" in codes
    assert all(code.startswith("441302001") for code in codes)
    assert len(codes) > 1
