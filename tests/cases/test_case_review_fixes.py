"""Edge cases: large uploads, odd ids, lapsing requests, overdue across a suspension, who may approve what."""

import io
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from cases.clock import elapsed, is_overdue_at, light_at, overdue_q
from cases.models import Case, CaseRequest, Status
from cases.permissions import case_allowed_actions
from cases.selectors import pending_requests
from huizhou_cityops.errors import ConflictError

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")


def big_jpeg(megabytes=3.5):
    """A real JPEG larger than Django's in-memory upload limit (it arrives as a temporary file)."""
    side = 2400
    noise = Image.effect_noise((side, side), 128).convert("RGB")
    buffer = io.BytesIO()
    noise.save(buffer, "JPEG", quality=98)
    assert buffer.tell() > megabytes * 1_000_000 * 0.7
    return SimpleUploadedFile("big.jpg", buffer.getvalue(), content_type="image/jpeg")


def test_a_photo_larger_than_the_in_memory_limit_is_accepted(cases, personas, api_client_for):
    upload = big_jpeg()
    assert upload.size > 2_621_440
    response = api_client_for(personas["grid_worker"]).post(
        "/api/v1/cases/",
        {"category": "E0102", "description": "大照片", "lon": cases.lon, "lat": cases.lat, "photos": [upload]},
        format="multipart",
    )
    assert response.status_code == 201, response.content
    assert len(response.json()["photos"]) == 1


@pytest.mark.parametrize("bad", ["²", "１２", "-1", "1e3", "x"])
def test_odd_ids_are_404_or_400_never_500(cases, personas, api_client_for, bad):
    client = api_client_for(personas["dispatcher"])
    assert client.get(f"/api/v1/cases/{bad}/").status_code == 404
    case = cases.to("to_dispatch")
    response = client.post(f"/api/v1/cases/{case.pk}/transitions/", {"action": "dispatch", "lead_department": bad})
    assert response.status_code == 400 and "lead_department" in response.json()


def test_regions_list_refuses_a_nul_byte(personas, api_client_for):
    response = api_client_for(personas["dispatcher"]).get("/api/v1/regions/?parent=%00")
    # Refused before any view, for every field alike (huizhou_cityops.middleware), with a code that says why.
    assert response.status_code == 400 and response.json()["code"] == "nul_character"


def test_a_bad_cursor_and_an_overlong_idempotency_key_are_400(cases, personas, api_client_for):
    client = api_client_for(personas["grid_worker"])
    assert client.get("/api/v1/cases/?cursor=garbage").status_code == 400
    payload = {"category": "E0102", "description": "x", "lon": cases.lon, "lat": cases.lat}
    response = client.post("/api/v1/cases/", payload, format="json", HTTP_IDEMPOTENCY_KEY="k" * 81)
    assert response.status_code == 400 and "Idempotency-Key" in response.json()


def test_requests_lapse_when_the_case_leaves_handling(cases, personas):
    case = cases.to("handling")
    cases.act(case, "handler", "request_extension", note="需更多时间", hours=2)
    cases.act(case, "handler", "request_return", note="非本单位")
    case = cases.act(case, "dispatcher", "approve_return")
    assert CaseRequest.objects.get(case=case, kind="extension").state == "lapsed"
    case = cases.act(case, "dispatcher", "dispatch", lead_department=personas["handler_department"].code)
    cases.act(case, "handler", "request_extension", note="新的申请", hours=2)  # not blocked by the old one
    assert CaseRequest.objects.filter(case=case, kind="extension", state="pending").count() == 1


def test_a_case_suspended_when_overdue_resumes_just_as_overdue(cases, personas):
    start = datetime(2026, 11, 23, 9, 0, tzinfo=SH)  # Monday
    case = cases.to("handling", now=start)
    late = case.stage_deadline + timedelta(days=2)
    cases.act(case, "handler", "request_suspension", note="等待产权单位", now=late)
    case = cases.act(case, "dispatcher", "approve_suspension", now=late)
    assert case.status == Status.SUSPENDED and case.stage_remaining < timedelta(0)
    assert is_overdue_at(case, late) and light_at(case, late) == "red"
    assert Case.objects.filter(overdue_q(late)).filter(pk=case.pk).exists()
    resumed_at = late + timedelta(days=7)
    case = cases.act(case, "dispatcher", "resume", now=resumed_at)
    assert case.stage_deadline < resumed_at
    paused = case.events.get(action="approve_suspension")
    overdue_at_pause = elapsed(start=paused.at, now=paused.stage_deadline, clock=case.stage_clock)
    assert overdue_at_pause < timedelta(0)
    assert elapsed(start=resumed_at, now=case.stage_deadline, clock=case.stage_clock) == overdue_at_pause


def test_a_dispatcher_is_not_offered_an_extension_that_needs_a_leader(cases, personas):
    case = cases.to("handling")
    case = cases.act(case, "handler", "request_extension", note="大型机械", hours=100)
    pending = pending_requests(case)
    assert "approve_extension" not in case_allowed_actions(user=personas["dispatcher"], case=case, pending=pending)
    assert "approve_extension" in case_allowed_actions(user=personas["leader"], case=case, pending=pending)
    with pytest.raises(PermissionDenied):
        cases.act(case, "dispatcher", "approve_extension")
    case = cases.act(case, "shift_lead", "reject_extension", note="请按期完成")
    assert CaseRequest.objects.get(case=case).state == "rejected"


def test_rejected_suspension_returns_to_handling(cases, personas):
    case = cases.to("handling")
    case = cases.act(case, "handler", "request_suspension", note="需协调")
    case = cases.act(case, "dispatcher", "reject_suspension", note="先处置")
    assert case.status == Status.HANDLING


def test_a_case_cannot_be_dispatched_to_another_districts_street_office(cases, personas):
    case = cases.to("to_dispatch")
    with pytest.raises(ValidationError) as error:
        cases.act(case, "dispatcher", "dispatch", lead_department="street-441303001")
    assert "lead_department" in error.value.error_dict
    case = cases.act(case, "dispatcher", "dispatch", lead_department="street-441302001")
    assert case.lead_department.code == "street-441302001"


def test_a_grid_workers_report_needs_no_verification_and_self_handled_needs_a_photo(cases, personas):
    with pytest.raises(ConflictError):
        cases.act(cases.report(), "operator", "request_verification", assignee=personas["grid_worker"].username)
    with pytest.raises(ValidationError) as error:
        cases.report(self_handled=True)
    assert "photos" in error.value.error_dict


def test_an_operator_must_say_where_a_report_came_from(cases, personas):
    with pytest.raises(ValidationError) as error:
        cases.report(actor=personas["operator"], source=None)
    assert "source" in error.value.error_dict
