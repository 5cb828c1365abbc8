"""Reading cases through the API: filters, scope, masking, query counts, schema, tokens."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


def client_for(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def count_queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, response.content
    return len(queries), response.json()


def test_list_and_detail_keep_the_same_query_count_at_3_and_30_cases(cases, personas):
    client = client_for(personas["operator"])
    made = [cases.to("handling") for _ in range(3)]
    few, body = count_queries(client, "/api/v1/cases/")
    assert len(body["results"]) == 3
    detail_few, _ = count_queries(client, f"/api/v1/cases/{made[0].pk}/")
    made += [cases.to("handling") for _ in range(27)]
    many, body = count_queries(client, "/api/v1/cases/")
    assert len(body["results"]) == 30
    assert few == many
    # A case with a longer history (rework, extension) still costs the same number of queries.
    case = cases.to("checking", case=made[-1])
    cases.act(case, "grid_worker", "check", passed=False, note="仍有垃圾")
    detail_many, _ = count_queries(client, f"/api/v1/cases/{case.pk}/")
    assert detail_few == detail_many


def test_filters_narrow_the_list(cases, personas):
    handling = cases.to("handling")
    reported = cases.report(description="另一处 垃圾桶满溢")
    client = client_for(personas["operator"])

    def numbers(query):
        response = client.get(f"/api/v1/cases/?{query}")
        assert response.status_code == 200, response.content
        return {c["number"] for c in response.json()["results"]}

    assert numbers("status=handling") == {handling.number}
    assert numbers("status=reported&status=handling") == {handling.number, reported.number}
    assert numbers("category=E01") >= {handling.number, reported.number}
    assert numbers("category=C01") == set()
    assert numbers("region=441302") >= {handling.number}
    assert numbers("region=441303") == set()
    assert numbers(f"department={personas['handler_department'].code}") == {handling.number}
    assert numbers("q=垃圾桶") == {reported.number}
    assert numbers(f"q={handling.number}") == {handling.number}
    assert numbers("light=green") >= {handling.number}
    assert numbers("overdue=true") == set()
    box = f"{cases.lon - 0.01},{cases.lat - 0.01},{cases.lon + 0.01},{cases.lat + 0.01}"
    assert numbers(f"bbox={box}") >= {handling.number, reported.number}
    assert numbers("source=hotline_12345") == set()


@pytest.mark.parametrize(
    "query,field",
    [
        ("status=flying", "status"),
        ("bbox=1,2,3", "bbox"),
        ("category=X99", "category"),
        ("region=999999", "region"),
        ("created_after=2026-13-01", "created_after"),
        ("light=blue", "light"),
    ],
)
def test_bad_filters_are_400_with_the_field(cases, personas, query, field):
    response = client_for(personas["operator"]).get(f"/api/v1/cases/?{query}")
    assert response.status_code == 400
    assert field in response.json()


def test_list_is_scoped_and_paginated_by_cursor(cases, personas):
    for _ in range(3):
        cases.report()
    assert client_for(personas["outsider"]).get("/api/v1/cases/").json()["results"] == []
    page = client_for(personas["operator"]).get("/api/v1/cases/?page_size=2").json()
    assert len(page["results"]) == 2 and page["next"]
    rest = client_for(personas["operator"]).get(page["next"]).json()
    assert {c["id"] for c in rest["results"]}.isdisjoint({c["id"] for c in page["results"]})


def test_public_phone_is_masked_for_those_who_do_not_need_it(cases, personas):
    case = cases.report(actor=personas["operator"], source="public", contact_phone="13812345678")
    case = cases.act(case, "operator", "accept")
    seen_by_operator = client_for(personas["operator"]).get(f"/api/v1/cases/{case.pk}/").json()
    assert seen_by_operator["contact"]["phone"] == "13812345678"
    seen_by_dispatcher = client_for(personas["dispatcher"]).get(f"/api/v1/cases/{case.pk}/").json()
    assert seen_by_dispatcher["contact"]["phone"] == "13812345678"
    seen_by_leader = client_for(personas["leader"]).get(f"/api/v1/cases/{case.pk}/").json()
    assert seen_by_leader["contact"]["phone"] == "138****5678"


def test_detail_lists_exactly_the_callers_actions(cases, personas):
    case = cases.to("to_dispatch")
    assert client_for(personas["dispatcher"]).get(f"/api/v1/cases/{case.pk}/").json()["allowed_actions"] == [
        "dispatch",
        "request_void",
    ]
    assert client_for(personas["shift_lead"]).get(f"/api/v1/cases/{case.pk}/").json()["allowed_actions"] == []


def test_anonymous_callers_get_401_and_a_token_works(cases, personas, client):
    assert APIClient().get("/api/v1/cases/").status_code == 401
    user = personas["operator"]
    user.set_password("a-long-test-password")
    user.save()
    token = APIClient().post("/api/v1/auth/token/", {"username": user.username, "password": "a-long-test-password"})
    assert token.status_code == 200, token.content
    api = APIClient(HTTP_AUTHORIZATION=f"Token {token.json()['token']}")
    assert api.get("/api/v1/cases/").status_code == 200


def test_openapi_schema_and_docs_are_served_without_internet(personas):
    client = client_for(personas["operator"])
    schema = client.get("/api/schema/?format=json")
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    assert "/api/v1/cases/{id}/transitions/" in paths and "/api/v1/regions/locate/" in paths
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    assert b"//cdn" not in docs.content and b"https://" not in docs.content


def test_the_map_box_takes_the_cases_on_its_edges_and_corners_and_none_outside(cases, personas):
    # Exactly: the point index's own box test is rounded to single precision and would take the ones ~1 m outside.
    from django.contrib.gis.geos import Point

    from cases.models import Case
    from cases.selectors import case_list_for_user

    west, south, east, north = cases.lon - 0.01, cases.lat - 0.01, cases.lon + 0.01, cases.lat + 0.01
    places = {
        "inside": (cases.lon, cases.lat),
        "west edge": (west, cases.lat),
        "north-east corner": (east, north),
        "south edge": (cases.lon, south),
        "just west": (west - 1e-7, cases.lat),
        "just north": (cases.lon, north + 1e-7),
        "beyond the corner": (east + 1e-7, north + 1e-7),
    }
    made = {}
    for name, (lon, lat) in places.items():
        case = cases.to("handling")
        Case.objects.filter(pk=case.pk).update(point=Point(lon, lat, srid=4326))
        made[case.pk] = name
    user = personas["dispatcher"]
    found = case_list_for_user(user=user, filters={"bbox": (west, south, east, north)}).filter(pk__in=made)
    assert sorted(made[pk] for pk in found.values_list("pk", flat=True)) == [
        "inside",
        "north-east corner",
        "south edge",
        "west edge",
    ]
