"""GET /api/v1/categories/: the picker's list, for signed-in users, in a constant number of queries."""

import pytest
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from cases.models import TimeLimit

URL = "/api/v1/categories/"


@pytest.fixture
def api(db):
    client = APIClient()
    client.force_login(get_user_model().objects.create_user(username="catalogue-reader", password="kapok-tree-1919"))
    return client


def codes(response):
    assert response.status_code == 200, response.content
    return [row["display_code"] for row in response.json()]


def test_anonymous_callers_are_refused(catalogue):
    assert APIClient().get(URL).status_code == 401


def test_a_category_row_carries_its_major_class_conditions_and_limits(api, catalogue):
    (row,) = api.get(URL, {"q": "E0101"}).json()
    assert {k: v for k, v in row.items() if k not in ("id", "filing_conditions")} == {
        "kind": "E",
        "code": "0101",
        "display_code": "E0101",
        "name": "私搭乱建",
        "major_code": "01",
        "major_name": "市容环境",
        "initials": "sdlj",
        "public": True,
    }
    assert [c["name"] for c in row["filing_conditions"]] == ["责令停工", "立案处罚", "拆除"]
    stop_work = row["filing_conditions"][0]
    assert stop_work["clock"] == "working"
    assert stop_work["filing_text"] and stop_work["closing_text"]
    assert stop_work["time_limits"] == [
        {"urgency": "urgent", "area_class": "1", "value": 2.0, "unit": "working_hour"},
        {"urgency": "normal", "area_class": "1", "value": 4.0, "unit": "working_hour"},
        {"urgency": "urgent", "area_class": "2", "value": 3.0, "unit": "working_hour"},
        {"urgency": "normal", "area_class": "2", "value": 6.0, "unit": "working_hour"},
    ]


def test_kind_filters_components_and_events(api, catalogue):
    assert len(codes(api.get(URL))) == 71
    assert {c[0] for c in codes(api.get(URL, {"kind": "C"}))} == {"C"}
    assert len(codes(api.get(URL, {"kind": "E"}))) == 37


def test_q_searches_name_code_and_initials(api, catalogue):
    assert codes(api.get(URL, {"q": "暴露"})) == ["E0102"]
    assert codes(api.get(URL, {"q": "blj"})) == ["E0102"]
    assert codes(api.get(URL, {"q": "0102", "kind": "C"})) == ["C0102"]


def test_an_unknown_kind_is_a_field_error(api, catalogue):
    response = api.get(URL, {"kind": "X"})
    assert response.status_code == 400
    assert "kind" in response.json()


def test_emergency_conditions_say_they_run_on_natural_time(api, catalogue):
    (row,) = api.get(URL, {"q": "路面塌陷"}).json()
    assert row["filing_conditions"][0]["clock"] == "natural"
    assert {t["unit"] for t in row["filing_conditions"][0]["time_limits"]} == {"natural_hour"}


def test_the_query_count_does_not_grow_with_the_number_of_categories(api, catalogue, django_assert_num_queries):
    # Session and user (2), categories, filing conditions and time limits (3); the session is not written again
    # within a minute of the sign-in (accounts.security.sessions renews the idle limit at most once a minute).
    queries = 2 + 3
    with django_assert_num_queries(queries):
        assert len(codes(api.get(URL, {"q": "E0101"}))) == 1
    with django_assert_num_queries(queries):
        assert len(codes(api.get(URL, {"q": "井盖"}))) == 8
    with django_assert_num_queries(queries):
        assert len(codes(api.get(URL))) == 71
    assert TimeLimit.objects.count() == 494
