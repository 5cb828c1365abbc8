"""A case walks from report to close through the REST API, each step by the persona whose job it is."""

import pytest
from rest_framework.test import APIClient

from cases.models import Case, CaseEvent

pytestmark = pytest.mark.django_db


def client_for(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def post_action(user, case_id, payload, multipart=False):
    return client_for(user).post(
        f"/api/v1/cases/{case_id}/transitions/", payload, format="multipart" if multipart else "json"
    )


def test_full_loop_from_report_to_close_through_the_api(cases, personas, photo):
    p = personas
    created = client_for(p["grid_worker"]).post(
        "/api/v1/cases/",
        {
            "category": "E0102",
            "description": "东湖路口暴露垃圾",
            "lon": cases.lon,
            "lat": cases.lat,
            "address": "东湖路 12 号",
            "photos": [photo()],
        },
        format="multipart",
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["number"].startswith("E0102") and len(body["number"]) == 17
    assert body["region"]["code"] == "441302001001"
    assert body["status"] == "reported" and body["deadlines"]["stage"] == "accept"
    assert [ph["kind"] for ph in body["photos"]] == ["before"]
    case_id = body["id"]

    steps = [
        (p["operator"], {"action": "accept"}, "to_register"),
        (
            p["shift_lead"],
            {"action": "register", "filing_condition": cases.condition.pk, "urgency": "normal"},
            "to_dispatch",
        ),
        (p["dispatcher"], {"action": "dispatch", "lead_department": p["handler_department"].code}, "handling"),
    ]
    for user, payload, status in steps:
        response = post_action(user, case_id, payload)
        assert response.status_code == 200, response.content
        assert response.json()["status"] == status

    detail = client_for(p["handler"]).get(f"/api/v1/cases/{case_id}/").json()
    assert detail["deadlines"]["stage"] == "handling" and detail["deadlines"]["deadline"]
    assert "feedback" in detail["allowed_actions"]

    response = post_action(p["handler"], case_id, {"action": "feedback", "note": "已清运", "photos": [photo()]}, True)
    assert response.status_code == 200, response.content
    for user, payload, status in [
        (p["operator"], {"action": "request_check", "assignee": p["grid_worker"].username}, "checking"),
        (p["grid_worker"], {"action": "check", "passed": True}, "to_close"),
        (p["shift_lead"], {"action": "close"}, "closed"),
    ]:
        response = post_action(user, case_id, payload)
        assert response.status_code == 200, response.content
        assert response.json()["status"] == status

    case = Case.objects.get(pk=case_id)
    assert case.status == "closed" and case.closed_at and case.stage == ""
    actions = list(CaseEvent.objects.filter(case=case).values_list("action", flat=True))
    assert actions == ["report", "accept", "register", "dispatch", "feedback", "request_check", "check", "close"]
    timed = CaseEvent.objects.filter(case=case, stage_deadline__isnull=False).exclude(action="report")
    assert [e.action for e in timed if e.stage_met is False] == []
    ended = [e.action for e in timed if e.stage_met]
    assert ended == ["accept", "register", "dispatch", "feedback", "check", "close"]


def test_feedback_without_a_photo_is_a_400_with_the_field(cases, personas):
    case = cases.to("handling")
    response = post_action(personas["handler"], case.pk, {"action": "feedback", "note": "done"})
    assert response.status_code == 400
    assert "photos" in response.json()


def test_unknown_action_and_missing_parameters_are_400(cases, personas):
    case = cases.to("to_dispatch")
    assert post_action(personas["dispatcher"], case.pk, {"action": "fly"}).status_code == 400
    response = post_action(personas["dispatcher"], case.pk, {"action": "dispatch"})
    assert response.status_code == 400 and "lead_department" in response.json()


def test_wrong_state_is_409_and_no_event_is_written(cases, personas):
    case = cases.to("to_register")
    before = CaseEvent.objects.filter(case=case).count()
    response = post_action(personas["shift_lead"], case.pk, {"action": "close"})
    assert response.status_code == 409
    assert CaseEvent.objects.filter(case=case).count() == before


def test_role_without_the_right_gets_403_and_outsider_gets_404(cases, personas):
    case = cases.to("to_register")
    assert post_action(personas["dispatcher"], case.pk, {"action": "register"}).status_code == 403
    assert post_action(personas["outsider"], case.pk, {"action": "register"}).status_code == 404
    assert client_for(personas["outsider"]).get(f"/api/v1/cases/{case.pk}/").status_code == 404


def test_point_outside_the_city_is_a_clear_400(cases, personas):
    response = client_for(personas["grid_worker"]).post(
        "/api/v1/cases/", {"category": "E0102", "description": "海上", "lon": 115.2, "lat": 22.3}, format="json"
    )
    assert response.status_code == 400
    assert "point" in response.json()


def test_idempotency_key_returns_the_same_case(cases, personas):
    client = client_for(personas["grid_worker"])
    payload = {"category": "E0102", "description": "重复提交", "lon": cases.lon, "lat": cases.lat}
    first = client.post("/api/v1/cases/", payload, format="json", HTTP_IDEMPOTENCY_KEY="k-123")
    second = client.post("/api/v1/cases/", payload, format="json", HTTP_IDEMPOTENCY_KEY="k-123")
    assert first.status_code == 201 and second.status_code == 200
    assert first.json()["id"] == second.json()["id"]
    assert Case.objects.filter(idempotency_key="k-123").count() == 1


def test_bad_photo_is_refused_with_a_message_and_no_case(cases, personas):
    from django.core.files.uploadedfile import SimpleUploadedFile

    fake = SimpleUploadedFile("x.jpg", b"not an image at all", content_type="image/jpeg")
    count = Case.objects.count()
    response = client_for(personas["grid_worker"]).post(
        "/api/v1/cases/",
        {"category": "E0102", "description": "x", "lon": cases.lon, "lat": cases.lat, "photos": [fake]},
        format="multipart",
    )
    assert response.status_code == 400 and "photos" in response.json()
    assert Case.objects.count() == count
