"""Two-level command (两级指挥派遣): who may dispatch, 改派 (re-dispatch), 催办 (urge), 接管 (take over) and 督办
by the city command centre, each from inside and outside its scope, through the services, the API and the panel."""

import re
from datetime import timedelta
from importlib import import_module

import pytest
from django.apps import apps
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import User
from cases.models import Case, CaseEvent, CaseRequest, CommandLevel, RequestState, Status
from cases.permissions import case_allowed_actions
from cases.selectors import pending_requests
from dispatch.models import CaseRouting, Notification, OutboxMessage, ResponsibilityRule, SupervisionOrder
from dispatch.services.orders import order_issue
from dispatch.services.routing import routing_escalate_to_city
from huizhou_cityops.errors import ConflictError

pytestmark = pytest.mark.django_db


@pytest.fixture
def live(django_capture_on_commit_callbacks):
    """Run after-commit work (routing, notifications) as it would run outside the test's transaction."""

    def run(function, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return function(*args, **kwargs)

    return run


@pytest.fixture
def city_rule(cases, personas, huizhou_grid):
    """The responsibility list sends the category to the city command centre."""
    return ResponsibilityRule.objects.create(
        category=cases.category,
        kind=cases.category.kind,
        region=huizhou_grid.city,
        lead_department=personas["handler_department"],
        dispatch_level=CommandLevel.CITY,
    )


def offered(personas, persona, case):
    case = Case.objects.get(pk=case.pk)
    return case_allowed_actions(user=personas[persona], case=case, pending=pending_requests(case))


def api_post(user, case, payload):
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(user)
    return client.post(f"/api/v1/cases/{case.pk}/transitions/", payload, format="json")


def page_client(user):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def panel_actions(response):
    return set(re.findall(r'data-action="([a-z_]+)"', response.content.decode()))


def street_office(personas):
    from accounts.models import Posting

    return Posting.objects.get(user=personas["street_handler"]).department


def told(event, kind):
    return set(Notification.objects.filter(event=event, kind=kind).values_list("user__username", flat=True))


# ---- who may dispatch ----


def test_registration_routes_the_command_level_onto_the_case(cases, live, city_rule):
    case = live(cases.to, "to_dispatch")
    assert Case.objects.get(pk=case.pk).command_level == CommandLevel.CITY
    assert CaseRouting.objects.get(case=case).level == CommandLevel.CITY


def test_a_case_without_a_city_rule_is_its_districts(cases, live):
    case = live(cases.to, "to_dispatch")
    assert Case.objects.get(pk=case.pk).command_level == CommandLevel.DISTRICT


def test_the_district_dispatcher_is_not_offered_a_city_level_case_and_the_api_refuses(cases, personas, live, city_rule):
    case = live(cases.to, "to_dispatch")
    assert "dispatch" not in offered(personas, "district_dispatcher", case)
    response = api_post(
        personas["district_dispatcher"],
        case,
        {"action": "dispatch", "lead_department": personas["handler_department"].code},
    )
    assert response.status_code == 403, response.content
    assert "dispatched by the city command centre" in response.json()["detail"]
    assert Case.objects.get(pk=case.pk).status == Status.TO_DISPATCH


def test_the_refusal_reads_in_chinese_for_a_chinese_user(cases, personas, live, city_rule):
    case = live(cases.to, "to_dispatch")
    client = APIClient(HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.force_authenticate(personas["district_dispatcher"])
    response = client.post(
        f"/api/v1/cases/{case.pk}/transitions/",
        {"action": "dispatch", "lead_department": personas["handler_department"].code},
        format="json",
    )
    assert response.status_code == 403
    assert "此案件由市指挥中心派遣" in response.json()["detail"]


def test_the_city_dispatcher_dispatches_a_city_level_case(cases, personas, live, city_rule):
    case = live(cases.to, "to_dispatch")
    assert "dispatch" in offered(personas, "dispatcher", case)
    response = api_post(
        personas["dispatcher"],
        case,
        {"action": "dispatch", "lead_department": personas["handler_department"].code},
    )
    assert response.status_code == 200, response.content
    assert Case.objects.get(pk=case.pk).status == Status.HANDLING


def test_the_district_dispatcher_dispatches_its_own_districts_case(cases, personas, live):
    case = live(cases.to, "to_dispatch")
    assert "dispatch" in offered(personas, "district_dispatcher", case)
    cases.act(case, "district_dispatcher", "dispatch", lead_department=personas["handler_department"].code)
    assert Case.objects.get(pk=case.pk).status == Status.HANDLING


def test_a_dispatcher_of_another_district_does_not_even_see_the_case(cases, personas, live):
    case = live(cases.to, "to_dispatch")
    assert not Case.objects.visible_to(personas["outsider"]).filter(pk=case.pk).exists()
    response = api_post(personas["outsider"], case, {"action": "dispatch", "lead_department": "x"})
    assert response.status_code == 404


def test_the_district_panel_hides_dispatch_of_a_city_level_case(cases, personas, live, city_rule):
    case = live(cases.to, "to_dispatch")
    district = page_client(personas["district_dispatcher"]).get(f"/command/cases/{case.pk}/", HTTP_HX_REQUEST="true")
    assert "dispatch" not in panel_actions(district)
    assert "City level" in district.content.decode()
    city = page_client(personas["dispatcher"]).get(f"/command/cases/{case.pk}/", HTTP_HX_REQUEST="true")
    assert "dispatch" in panel_actions(city)


# ---- 改派 ----


def test_redispatch_needs_a_reason(cases, personas):
    case = cases.to("handling")
    office = street_office(personas)
    with pytest.raises(ValidationError) as error:
        cases.act(case, "dispatcher", "redispatch", lead_department=office.code)
    assert "note" in error.value.message_dict
    response = api_post(personas["dispatcher"], case, {"action": "redispatch", "lead_department": office.code})
    assert response.status_code == 400 and "note" in response.json(), response.content
    assert Case.objects.get(pk=case.pk).lead_department == personas["handler_department"]


def test_redispatch_to_the_same_department_is_a_field_error(cases, personas):
    case = cases.to("handling")
    with pytest.raises(ValidationError) as error:
        cases.act(case, "dispatcher", "redispatch", note="换单位", lead_department=personas["handler_department"].code)
    assert "lead_department" in error.value.message_dict


def test_redispatch_restarts_handling_for_the_new_department_and_tells_both(cases, personas, live):
    case = cases.to("handling")
    old = personas["handler_department"]
    office = street_office(personas)
    later = timezone.now() + timedelta(hours=2)
    case = live(
        cases.act, case, "dispatcher", "redispatch", note="属地街道负责", now=later, lead_department=office.code
    )
    assert (case.status, case.lead_department, case.stage, case.stage_started_at) == (
        Status.HANDLING,
        office,
        "handling",
        later,
    )
    event = CaseEvent.objects.filter(case=case, action="redispatch").get()
    assert event.note == "属地街道负责" and event.actor_role == "dispatcher"
    assert event.data["wrong_dispatch"] is True and event.data["previous"] == old.code
    assert event.department == old  # the department that had it wrongly, for the assessment
    assert event.stage == "handling" and event.stage_deadline is not None
    assert told(event, "work") == {"p-street-handler"}
    assert told(event, "redispatch") == {"p-handler"}


def test_redispatch_lets_the_old_departments_extension_request_lapse(cases, personas):
    case = cases.to("handling")
    cases.act(case, "handler", "request_extension", note="材料未到", hours="4")
    cases.act(case, "dispatcher", "redispatch", note="改派街道", lead_department=street_office(personas).code)
    assert CaseRequest.objects.get(case=case, kind="extension").state == RequestState.LAPSED


def test_redispatch_after_an_approved_return(cases, personas, live):
    case = cases.to("to_dispatch")
    assert "redispatch" not in offered(personas, "dispatcher", case)  # never dispatched: plain dispatch
    with pytest.raises(ConflictError):
        cases.act(case, "dispatcher", "redispatch", note="x", lead_department=street_office(personas).code)
    case = cases.act(case, "dispatcher", "dispatch", lead_department=personas["handler_department"].code)
    cases.act(case, "handler", "request_return", note="不属我单位")
    case = cases.act(case, "dispatcher", "approve_return")
    assert case.status == Status.TO_DISPATCH
    assert "redispatch" in offered(personas, "district_dispatcher", case)
    office = street_office(personas)
    case = live(cases.act, case, "district_dispatcher", "redispatch", note="改派属地街道", lead_department=office.code)
    assert (case.status, case.lead_department) == (Status.HANDLING, office)
    event = CaseEvent.objects.get(case=case, action="redispatch")
    # The approved return already counted the wrong dispatch.
    assert event.data["wrong_dispatch"] is False and event.data["previous"] == personas["handler_department"].code
    assert told(event, "work") == {"p-street-handler"}


def test_the_district_dispatcher_may_not_redispatch_a_city_level_case(cases, personas, live, city_rule):
    case = live(cases.to, "to_dispatch")
    cases.act(case, "dispatcher", "dispatch", lead_department=personas["handler_department"].code)
    assert "redispatch" not in offered(personas, "district_dispatcher", case)
    assert "redispatch" in offered(personas, "dispatcher", case)
    with pytest.raises(PermissionDenied):
        cases.act(case, "district_dispatcher", "redispatch", note="x", lead_department=street_office(personas).code)


def test_a_missing_reason_comes_back_next_to_the_field_in_the_panel(cases, personas):
    case = cases.to("handling")
    client = page_client(personas["dispatcher"])
    panel = client.get(f"/command/cases/{case.pk}/", HTTP_HX_REQUEST="true")
    assert {"redispatch", "urge"} <= panel_actions(panel)
    assert 'id="redispatch-lead_department"' in panel.content.decode()
    response = client.post(
        f"/command/cases/{case.pk}/actions/redispatch/",
        {"lead_department": street_office(personas).code, "note": ""},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 422
    body = response.content.decode()
    assert 'id="redispatch-note-err"' in body and "Give a reason" in body


# ---- 催办 ----


def test_urging_tells_the_lead_department_by_inbox_and_sms_and_is_recorded(cases, personas, live):
    User.objects.filter(pk=personas["handler"].pk).update(phone="13800000001")
    case = cases.to("handling")
    case = live(cases.act, case, "dispatcher", "urge", note="请今天下班前处理完毕")
    assert case.status == Status.HANDLING
    event = CaseEvent.objects.get(case=case, action="urge")
    assert (event.from_status, event.to_status, event.note) == ("handling", "handling", "请今天下班前处理完毕")
    assert told(event, "urge") == {"p-handler"}
    sms = OutboxMessage.objects.get(notification__event=event, channel="sms")
    assert sms.recipient == "13800000001"


def test_urging_needs_a_note_and_a_dispatcher_over_the_case(cases, personas):
    case = cases.to("handling")
    with pytest.raises(ValidationError):
        cases.act(case, "dispatcher", "urge")
    with pytest.raises(PermissionDenied):
        cases.act(case, "handler", "urge", note="x")
    response = api_post(personas["outsider"], case, {"action": "urge", "note": "x"})
    assert response.status_code == 404
    assert not CaseEvent.objects.filter(case=case, action="urge").exists()


# ---- 接管 and 督办 by the city on escalated cases ----


def test_the_city_takes_an_escalated_case_over_for_good(cases, personas, live):
    case = live(cases.to, "handling")
    assert "take_over" not in offered(personas, "dispatcher", case)  # not escalated: nothing to take over
    with pytest.raises(ConflictError):
        cases.act(case, "dispatcher", "take_over")
    routing_escalate_to_city(case_id=case.pk)
    assert Case.objects.get(pk=case.pk).escalated
    assert "take_over" not in offered(personas, "district_dispatcher", case)
    with pytest.raises(PermissionDenied):
        cases.act(case, "district_dispatcher", "take_over")
    # Before the take-over the district still commands it.
    assert "redispatch" in offered(personas, "district_dispatcher", case)

    panel = page_client(personas["dispatcher"]).get(f"/command/cases/{case.pk}/", HTTP_HX_REQUEST="true")
    assert {"take_over", "urge", "redispatch"} <= panel_actions(panel)
    assert "Escalated to the city" in panel.content.decode()
    case = cases.act(case, "dispatcher", "take_over", note="市指挥中心接管")
    assert case.command_level == CommandLevel.CITY
    event = CaseEvent.objects.get(case=case, action="take_over")
    assert event.data["command_level"] == "city" and event.actor == personas["dispatcher"]
    assert "take_over" not in offered(personas, "dispatcher", case)
    assert "redispatch" not in offered(personas, "district_dispatcher", case)

    # Permanently: a return and a new proposal leave it with the city.
    cases.act(case, "handler", "request_return", note="不属我单位")
    live(cases.act, case, "dispatcher", "approve_return")
    assert Case.objects.get(pk=case.pk).command_level == CommandLevel.CITY
    assert "dispatch" not in offered(personas, "district_dispatcher", case)


def test_the_city_command_centre_issues_a_supervision_order_on_an_escalated_case(cases, personas):
    case = cases.to("handling")
    with pytest.raises(PermissionDenied):
        order_issue(case_id=case.pk, actor=personas["dispatcher"], note="请处理", reply_hours="4")
    routing_escalate_to_city(case_id=case.pk)
    with pytest.raises(PermissionDenied):
        order_issue(case_id=case.pk, actor=personas["district_dispatcher"], note="请处理", reply_hours="4")
    order = order_issue(case_id=case.pk, actor=personas["dispatcher"], note="请今日内处理", reply_hours="4")
    assert SupervisionOrder.objects.get(case=case) == order
    assert CaseEvent.objects.get(case=case, action="order_issued").actor_role == "dispatcher"
    panel = page_client(personas["dispatcher"]).get(f"/command/cases/{case.pk}/", HTTP_HX_REQUEST="true")
    assert "data-order-form" in panel.content.decode()


# ---- the queue shows the level ----


def test_the_level_filter_follows_the_command_level(cases, personas, live, city_rule):
    city_case = live(cases.to, "to_dispatch")
    ResponsibilityRule.objects.filter(pk=city_rule.pk).update(dispatch_level=CommandLevel.DISTRICT)
    district_case = live(cases.to, "to_dispatch")
    client = page_client(personas["dispatcher"])
    city = client.get("/command/cases/?queue=to_dispatch&level=city").content.decode()
    district = client.get("/command/cases/?queue=to_dispatch&level=district").content.decode()
    assert city_case.number in city and district_case.number not in city
    assert district_case.number in district and city_case.number not in district
    assert "City level" in city


def test_the_migration_copies_the_routing_onto_the_cases(cases, personas, live, city_rule):
    city_case = live(cases.to, "to_dispatch")
    escalated = cases.to("handling", live(cases.to, "to_dispatch"))
    routing_escalate_to_city(case_id=escalated.pk)
    Case.objects.update(command_level=CommandLevel.DISTRICT, escalated=False)
    migration = import_module("dispatch.migrations.0004_command_level_urge_redispatch")
    migration.command_level_from_routing(apps, None)
    assert Case.objects.get(pk=city_case.pk).command_level == CommandLevel.CITY
    row = Case.objects.get(pk=escalated.pk)
    # Its rule named the city: the city commands it, and it is escalated.
    assert (row.command_level, row.escalated) == (CommandLevel.CITY, True)


def test_requests_on_an_escalated_case_reach_both_centres_until_the_city_takes_over(cases, personas, live):
    shared = live(cases.to, "handling")
    routing_escalate_to_city(case_id=shared.pk)
    live(cases.act, shared, "handler", "request_return", note="不属我单位")
    asked = CaseEvent.objects.get(case=shared, action="request_return")
    assert told(asked, "work") == {"p-dispatcher", "p-district-dispatcher"}

    taken = live(cases.to, "handling")
    routing_escalate_to_city(case_id=taken.pk)
    cases.act(taken, "dispatcher", "take_over")
    live(cases.act, taken, "handler", "request_extension", note="材料未到", hours="4")
    asked = CaseEvent.objects.get(case=taken, action="request_extension")
    assert told(asked, "work") == {"p-dispatcher"}
