"""The department workspace (/dept/): only the department's cases, by light; feedback, requests, 督办 replies."""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cases.models import Case, CaseRequest, RequestState, Status
from tests.fixtures.cases import jpeg_upload

pytestmark = pytest.mark.django_db


def client_for(user):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def group_numbers(body, group):
    """Case numbers listed in one light group of the board."""
    section = re.search(rf'data-group="{group}".*?</section>', body, re.S).group(0)
    return set(re.findall(r'class="case-number">([A-Z0-9]+)<', section))


def test_a_handler_sees_only_its_departments_cases_by_light(cases, personas):
    ours = cases.to("handling")
    late = cases.to(
        "handling", case=cases.report(now=timezone.now() - timedelta(days=20)), now=timezone.now() - timedelta(days=20)
    )
    street = cases.to("to_dispatch")
    cases.act(street, "dispatcher", "dispatch", lead_department="street-441302001")
    body = client_for(personas["handler"]).get("/dept/").content.decode()
    assert group_numbers(body, "green") == {ours.number}
    assert group_numbers(body, "red") == {late.number}
    assert street.number not in body
    street_body = client_for(personas["street_handler"]).get("/dept/").content.decode()
    assert street.number in street_body and ours.number not in street_body


def test_a_handler_gets_404_on_another_departments_case(cases, personas):
    case = cases.to("to_dispatch")
    cases.act(case, "dispatcher", "dispatch", lead_department="street-441302001")
    client = client_for(personas["handler"])
    assert client.get(f"/dept/cases/{case.pk}/").status_code == 404
    response = client.post(f"/dept/cases/{case.pk}/actions/request_return/", {"note": "不是我们的"})
    assert response.status_code == 404


def test_other_roles_are_sent_home(personas):
    client = client_for(personas["dispatcher"])
    response = client.get("/dept/")
    assert response.status_code == 302 and response["Location"] == "/"
    assert client.get("/dept/board/").status_code == 403


def test_the_panel_offers_the_departments_actions(cases, personas):
    case = cases.to("handling")
    body = client_for(personas["handler"]).get(f"/dept/cases/{case.pk}/", HTTP_HX_REQUEST="true").content.decode()
    actions = set(re.findall(r'data-action="([a-z_]+)"', body))
    assert actions == {
        "feedback",
        "request_return",
        "request_extension",
        "request_suspension",
        "transfer_to_enforcement",
    }
    assert 'enctype="multipart/form-data"' in body and 'name="photos"' in body


def test_feedback_with_after_photos_sends_the_case_to_check(cases, personas):
    case = cases.to("handling")
    response = client_for(personas["handler"]).post(
        f"/dept/cases/{case.pk}/actions/feedback/",
        {"note": "已清运完毕", "photos": [jpeg_upload("a.jpg"), jpeg_upload("b.jpg", colour=(10, 20, 30))]},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200, response.content[:300]
    case.refresh_from_db()
    assert case.status == Status.TO_CHECK
    assert case.photos.filter(kind="after").count() == 2


def test_feedback_without_a_photo_or_with_seven_is_refused_in_the_page(cases, personas):
    case = cases.to("handling")
    client = client_for(personas["handler"])
    url = f"/dept/cases/{case.pk}/actions/feedback/"
    response = client.post(url, {"note": "已处理"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 422
    assert "Attach at least one photo of the result." in response.content.decode()
    response = client.post(
        url, {"note": "已处理", "photos": [jpeg_upload(f"{i}.jpg") for i in range(7)]}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 422
    assert "Attach at most 6 photos." in response.content.decode()
    response = client.post(url, {"note": "", "photos": [jpeg_upload()]}, HTTP_HX_REQUEST="true")
    assert response.status_code == 422
    assert 'id="feedback-note-err"' in response.content.decode()
    assert Case.objects.get(pk=case.pk).status == Status.HANDLING


def test_an_extension_request_asks_for_hours_and_a_reason(cases, personas):
    case = cases.to("handling")
    client = client_for(personas["handler"])
    url = f"/dept/cases/{case.pk}/actions/request_extension/"
    response = client.post(url, {"note": "需协调施工单位", "hours": "abc"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 422
    assert 'id="request_extension-hours-err"' in response.content.decode()
    response = client.post(url, {"note": "需协调施工单位", "hours": "8"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    request = CaseRequest.objects.get(case=case, kind="extension")
    assert (request.state, request.hours) == (RequestState.PENDING, 8)
    assert "Awaiting approval" in response.content.decode()


def test_return_and_suspension_requests_need_a_reason(cases, personas):
    case = cases.to("handling")
    client = client_for(personas["handler"])
    response = client.post(f"/dept/cases/{case.pk}/actions/request_return/", {"note": " "}, HTTP_HX_REQUEST="true")
    assert response.status_code == 422
    assert "Give a reason or note for this action." in response.content.decode()
    response = client.post(
        f"/dept/cases/{case.pk}/actions/request_suspension/", {"note": "需等待管线迁改"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    assert Case.objects.get(pk=case.pk).status == Status.SUSPEND_PENDING


def test_the_department_replies_to_a_supervision_order(cases, personas):
    from dispatch.models import OrderState, SupervisionOrder
    from dispatch.services.orders import order_issue

    case = cases.to("handling")
    order = order_issue(case_id=case.pk, actor=personas["leader"], note="请今日内处理完毕", reply_hours=4)
    client = client_for(personas["handler"])
    body = client.get(f"/dept/cases/{case.pk}/", HTTP_HX_REQUEST="true").content.decode()
    assert "请今日内处理完毕" in body and f"/orders/{order.pk}/reply/" in body
    url = f"/dept/cases/{case.pk}/orders/{order.pk}/reply/"
    response = client.post(url, {"reply": ""}, HTTP_HX_REQUEST="true")
    assert response.status_code == 422 and "Write the reply." in response.content.decode()
    response = client.post(url, {"reply": "已安排人员今日处理"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    order.refresh_from_db()
    assert (order.state, order.reply) == (OrderState.REPLIED, "已安排人员今日处理")
    assert SupervisionOrder.objects.filter(case=case).count() == 1
    assert client_for(personas["street_handler"]).post(url, {"reply": "x"}).status_code == 404


def test_the_board_keeps_its_query_count_at_3_and_30_cases(cases, personas):
    client = client_for(personas["handler"])
    for _ in range(3):
        cases.to("handling")

    def count(url):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert response.status_code == 200
        return len(queries), response

    few = count("/dept/")[0], count("/dept/board/")[0]
    for _ in range(27):
        cases.to("handling")
    many_page, response = count("/dept/")
    assert response.content.decode().count('class="case-row ') == 30
    assert few == (many_page, count("/dept/board/")[0])
