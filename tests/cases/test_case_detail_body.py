"""The case detail (the API's answer to a read, a report and an action) is built directly for speed: it says exactly
what its declared fields say, for cases of every shape: a new report with photos and a contact, a desk report, a
dispatched case with an assisting department, one with a pending extension request, one a grid worker checks, a
closed one."""

from datetime import timedelta

import pytest
from django.utils import timezone, translation
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from cases.api.case_serializers import CaseDetailSerializer
from cases.selectors import case_detail_for_user
from tests.fixtures.cases import jpeg_upload

pytestmark = pytest.mark.django_db

STREET = "street-441302001"


@pytest.fixture
def shapes(cases, personas, huizhou_departments):
    report = cases.report(photos=[jpeg_upload("a.jpg"), jpeg_upload("b.jpg", colour=(10, 10, 200))])
    desk = cases.report(
        actor=personas["operator"], source="hotline_12345", contact_phone="13812345678", work_order_number="W-7"
    )
    assisted = cases.act(
        cases.to("to_dispatch"),
        "dispatcher",
        "dispatch",
        lead_department=personas["handler_department"].code,
        assisting_departments=[STREET],
    )
    extension = cases.act(cases.to("handling"), "handler", "request_extension", note="需调机械", hours=2)
    checking = cases.to("checking")
    closed = cases.to("closed")
    return [report.pk, desk.pk, assisted.pk, extension.pk, checking.pk, closed.pk]


def _field_by_field(serializer, case):
    # DRF's own walk over the declared fields: what the detail must equal.
    return serializers.Serializer.to_representation(serializer, case)


@pytest.mark.parametrize("who", ["grid_worker", "dispatcher", "operator"])
def test_the_detail_says_what_its_declared_fields_say(shapes, personas, who):
    user = personas[who]
    request = Request(APIRequestFactory().get("/api/v1/cases/"))
    request.user = user
    details = [d for d in (case_detail_for_user(user=user, case_id=pk) for pk in shapes) if d is not None]
    assert details
    start = timezone.now()
    for now in (start, start + timedelta(days=400)):
        for language in ("zh-hans", "en"):
            with translation.override(language):
                for case in details:
                    serializer = CaseDetailSerializer(context={"request": request, "now": now})
                    fast = serializer.to_representation(case)
                    assert fast == _field_by_field(serializer, case), case.status
                    assert list(fast) == list(serializer.fields)


def test_the_shapes_cover_what_the_detail_shows(shapes, personas):
    details = [case_detail_for_user(user=personas["dispatcher"], case_id=pk) for pk in shapes]
    assert all(details)
    request = Request(APIRequestFactory().get("/"))
    request.user = personas["dispatcher"]
    bodies = [CaseDetailSerializer(case, context={"request": request}).data for case in details]
    assert any(body["photos"] for body in bodies)
    assert any(body["assisting_departments"] for body in bodies)
    assert any(body["requests"] and body["requests"][0]["hours"] for body in bodies)
    assert any(body["contact"]["phone"] for body in bodies)
    assert any(body["closed_at"] for body in bodies) and any(body["assignee"] for body in bodies)
    assert any(body["duplicate_candidates"] for body in bodies)
