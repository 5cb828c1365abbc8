"""Regression tests for each kind of input that once made a server error, and for the schema's honesty.

Each was found by the fuzz tests beside this file (test_api_schema.py, test_pages.py) or by an earlier fuzz run;
each runs here on the real stack, one request at a time, so that a failure names its cause.
"""

import io

import pytest
from django.test import Client
from drf_spectacular.generators import SchemaGenerator
from PIL import Image

from assessment.periods import span_containing, span_parse

pytestmark = pytest.mark.django_db


def signed_in(user):
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize("body", ["[]", "[1, 2]", '"text"', "42", "false", "null"])
def test_a_json_body_that_is_not_an_object_is_refused_with_400(body, api_client_for, grid_worker, cases):
    client = api_client_for(grid_worker)
    case = cases.report()
    for url in ("/api/v1/cases/", f"/api/v1/cases/{case.pk}/transitions/"):
        response = client.post(url, body, content_type="application/json")
        assert response.status_code == 400, (url, response.content)
        assert response.json()["non_field_errors"]


@pytest.mark.parametrize("value", ["²", "١٢", "𝟙"])
def test_unicode_digits_in_page_ids_are_no_ids(value, personas, cases):
    case = cases.to("handling")
    assert signed_in(personas["dispatcher"]).get("/command/", {"case": value}).status_code == 200
    assert signed_in(personas["handler"]).get("/dept/", {"case": value}).status_code == 200
    assert signed_in(personas["grid_worker"]).get("/m/reports/", {"before": value}).status_code == 404
    # An ASCII id still opens the panel.
    assert case.number in signed_in(personas["dispatcher"]).get("/command/", {"case": case.pk}).content.decode()


def test_unicode_digits_in_the_assessment_case_list_are_ignored(assessor):
    figure = {"unit": "region", "key": "441302", "indicator": "due", "count": "overdue_open"}
    response = signed_in(assessor).get("/assessment/cases/", {**figure, "before": "²"})
    assert response.status_code == 200


@pytest.mark.parametrize(
    "key", ["day:0001-01-01", "day:9999-12-31", "week:0001-01-01", "custom:0001-01-01:9999-12-31", "year:2100-01-01"]
)
def test_a_period_outside_the_calendar_reads_as_the_current_one(key, assessor):
    assert span_parse(key, default_kind="month") == span_parse(None, default_kind="month")
    response = signed_in(assessor).get("/assessment/", {"period": key})
    assert response.status_code == 200


def test_periods_inside_the_range_still_parse():
    assert span_parse("day:2000-01-01").first.isoformat() == "2000-01-01"
    assert span_parse("custom:2026-10-01:2026-10-15").key == "custom:2026-10-01:2026-10-15"
    # Arithmetic from the first day leaves the range without failing: trend charts go back six periods.
    assert span_containing("year", span_parse("year:2000-01-01").first).previous().first.year == 1999


def test_the_period_picker_refuses_a_day_outside_the_range(assessor):
    response = signed_in(assessor).get("/assessment/", {"kind": "day", "day": "0001-01-01"})
    assert response.status_code == 200


def test_a_nul_character_in_a_department_reply_is_refused_with_400(personas, cases, handler):
    from dispatch.services.orders import order_issue

    case = cases.to("handling")
    order = order_issue(case_id=case.pk, actor=personas["leader"], note="三天内清理完毕", reply_hours=8)
    url = f"/dept/cases/{case.pk}/orders/{order.pk}/reply/"
    response = signed_in(handler).post(url, {"reply": "已处理\x00"})
    assert response.status_code == 400
    order.refresh_from_db()
    assert order.reply == ""
    assert signed_in(handler).post(url, {"reply": "已处理"}, headers={"HX-Request": "true"}).status_code == 200


def test_a_nul_character_in_a_query_parameter_is_refused_with_400(assessor, api_client_for, dispatcher):
    assert signed_in(assessor).get("/assessment/", {"scheme": "a\x00b"}).status_code == 400
    response = api_client_for(dispatcher).get("/api/v1/cases/", {"q": "\x00"})
    assert response.status_code == 400
    assert response.json()["code"] == "nul_character"


def test_a_nul_character_in_a_json_text_field_gets_a_field_message(api_client_for, grid_worker, cases):
    body = {"category": "E0102", "description": "垃圾\x00", "lon": cases.lon, "lat": cases.lat}
    response = api_client_for(grid_worker).post("/api/v1/cases/", body, format="json")
    assert response.status_code == 400
    assert "description" in response.json()


def test_an_uploaded_photo_may_hold_nul_bytes(api_client_for, grid_worker, cases):
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (0, 0, 0)).save(buffer, "JPEG")
    assert b"\x00" in buffer.getvalue()
    buffer.name = "photo.jpg"
    buffer.seek(0)
    body = {"category": "E0102", "description": "路边垃圾", "lon": cases.lon, "lat": cases.lat, "photos": [buffer]}
    response = api_client_for(grid_worker).post("/api/v1/cases/", body, format="multipart")
    assert response.status_code == 201, response.content


def test_a_username_longer_than_any_account_is_a_failed_sign_in_not_an_error(api_client_for):
    response = api_client_for().post("/api/v1/auth/token/", {"username": "x" * 3000, "password": "p"}, format="json")
    assert response.status_code == 400


def test_an_api_address_that_matches_no_route_answers_json_404(api_client_for, dispatcher):
    response = api_client_for(dispatcher).get("/api/v1/cases/-1.5/routing/")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json()["detail"]


def test_a_broken_cursor_on_any_api_list_is_a_400(api_client_for, dispatcher):
    client = api_client_for(dispatcher)
    for url in ("/api/v1/cases/", "/api/v1/orders/", "/api/v1/notifications/", "/api/v1/dispatch/queue/"):
        response = client.get(url, {"cursor": "not-a-cursor"})
        assert response.status_code == 400, url
        assert response.json()["cursor"]


@pytest.fixture(scope="module")
def schema():
    return SchemaGenerator().get_schema(request=None, public=True)


def _response(schema, path, method, code):
    return schema["paths"][path][method]["responses"][code]["content"]["application/json"]["schema"]


def test_paginated_lists_are_described_as_pages(schema):
    for path in ("/api/v1/orders/", "/api/v1/notifications/", "/api/v1/cases/"):
        ref = _response(schema, path, "get", "200")["$ref"].rsplit("/", 1)[-1]
        page = schema["components"]["schemas"][ref]
        assert page["type"] == "object" and {"next", "previous", "results"} <= set(page["properties"]), path
    inbox = _response(schema, "/api/v1/notifications/", "get", "200")["$ref"].rsplit("/", 1)[-1]
    assert "unread_count" in schema["components"]["schemas"][inbox]["properties"]


@pytest.mark.parametrize(
    "component, field",
    [
        ("Region", "parent_code"),
        ("CaseList", "stage_deadline"),
        ("CaseDetail", "closed_at"),
        ("CaseDetail", "duplicate_of"),
        ("Event", "stage_deadline"),
    ],
)
def test_fields_that_can_be_null_are_marked_nullable(schema, component, field):
    assert schema["components"]["schemas"][component]["properties"][field].get("nullable") is True


def test_error_answers_are_documented(schema):
    transitions = schema["paths"]["/api/v1/cases/{id}/transitions/"]["post"]["responses"]
    assert {"200", "400", "401", "403", "404", "409", "415"} <= set(transitions)
    detail = schema["paths"]["/api/v1/cases/{id}/"]["get"]["responses"]
    assert {"200", "401", "403", "404"} <= set(detail) and "400" not in detail
    assert "404" in schema["paths"]["/api/v1/regions/locate/"]["get"]["responses"]
