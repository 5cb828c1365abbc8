"""One case filter (cases.filters.CaseFilterSet) for the REST API list and the command centre.

The same bad input is refused with the same message in both: a 400 with the field in the API, the message in the
page. Nothing a user types reaches int() or float() unchecked (Unicode digits, infinities), so none is a 500.
"""

import html

import pytest
from django.test import Client
from rest_framework.test import APIClient

from cases.filters import CaseFilterSet

pytestmark = pytest.mark.django_db

BAD = [
    ("category=E01²", "category", "Use a class code like E0102 or E01."),
    ("category=²", "category", "Use a class code like E0102 or E01."),
    ("category=X99", "category", "Use a class code like E0102 or E01."),
    ("category=C9999", "category", "No category has this code."),
    ("region=441303", "region", "No region with this code in your scope."),
    ("region=²", "region", "No region with this code in your scope."),
    ("department=no-such-department", "department", "No department with this code."),
    ("created_after=2026-02-01&created_before=2026-01-01", "created_before", "The end date is before the start date."),
    ("bbox=1,2,3", "bbox", "Give four numbers: minlon,minlat,maxlon,maxlat."),
    ("bbox=-inf,-inf,inf,inf", "bbox", "Give four numbers: minlon,minlat,maxlon,maxlat."),
    ("bbox=²,1,3,4", "bbox", "Give four numbers: minlon,minlat,maxlon,maxlat."),
]


def api(user):
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(user)
    return client


def page(user):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


@pytest.mark.parametrize(("query", "field", "message"), BAD)
def test_the_api_and_the_command_centre_refuse_the_same_input_with_the_same_message(
    cases, personas, query, field, message
):
    user = personas["district_dispatcher"]  # 惠城区: 441303 (惠阳区) lies outside
    response = api(user).get(f"/api/v1/cases/?{query}")
    assert response.status_code == 400
    assert response.json()[field] == [message]
    listed = page(user).get(f"/command/cases/?{query}")
    assert listed.status_code == 200
    assert message in html.unescape(listed.content.decode())


@pytest.mark.parametrize("query", ["overdue=maybe", "before=²", "before=0", "status=flying", "kind=Z", "light=blue"])
def test_other_bad_values_are_field_errors_not_500s(cases, personas, query):
    user = personas["operator"]
    if not query.startswith("before"):
        response = api(user).get(f"/api/v1/cases/?{query}")
        assert response.status_code == 400 and query.split("=")[0] in response.json()
    assert page(user).get(f"/command/cases/?{query}").status_code == 200


def test_overdue_accepts_the_usual_spellings(cases, personas):
    cases.to("handling")
    client = api(personas["operator"])
    for value in ("true", "1", "yes", "TRUE"):
        assert client.get(f"/api/v1/cases/?overdue={value}").json()["results"] == []
    for value in ("false", "0", "no"):
        assert client.get(f"/api/v1/cases/?overdue={value}").json()["results"]


def test_cleaned_filters_keep_only_the_valid_given_values(cases, personas, huizhou_grid):
    filterset = CaseFilterSet(
        {"q": " 水门路 ", "category": "E01", "region": "441303", "kind": "", "status": ["handling"]},
        user=personas["district_dispatcher"],
    )
    assert not filterset.is_valid()
    cleaned = filterset.cleaned_filters()
    assert set(cleaned) == {"q", "category", "status"}
    assert cleaned["status"] == ["handling"] and cleaned["category"]


def test_the_schema_describes_every_filter(personas):
    schema = api(personas["operator"]).get("/api/schema/?format=json").json()
    parameters = {p["name"]: p for p in schema["paths"]["/api/v1/cases/"]["get"]["parameters"]}
    expected = {"q", "status", "category", "kind", "region", "department", "source", "overdue", "light"}
    expected |= {"created_after", "created_before", "bbox", "cursor", "page_size"}
    assert set(parameters) == expected
    assert parameters["status"]["schema"]["type"] == "array"
    assert "handling" in parameters["status"]["schema"]["items"]["enum"]
    assert parameters["overdue"]["schema"]["type"] == "boolean"
    assert parameters["created_after"]["schema"]["format"] == "date"
