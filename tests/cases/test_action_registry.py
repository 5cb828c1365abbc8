"""The disagreements between what was offered and what was permitted, each kept as a regression test, and the
consumers that are derived from the action declarations (API serializer, page forms, phone tasks, docs)."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from accounts.models import Role
from accounts.services import posting_grant
from cases.api.case_serializers import TransitionSerializer
from cases.models import CaseRequest, RequestState, Status
from cases.permissions import case_allowed_actions
from cases.selectors import pending_requests
from cases.workflow import ACTIONS, all_params
from cases.workflow.forms import action_form
from huizhou_cityops.errors import ConflictError

pytestmark = pytest.mark.django_db


def offered(cases, case, persona):
    case = type(case).objects.get(pk=case.pk)
    return case_allowed_actions(user=cases.p[persona], case=case, pending=pending_requests(case))


@pytest.mark.parametrize(
    ("request_action", "pending_status", "approve"),
    [
        ("request_return", Status.RETURN_PENDING, "approve_return"),
        ("request_suspension", Status.SUSPEND_PENDING, "approve_suspension"),
    ],
)
def test_a_rejected_void_gives_back_the_request_that_waited_and_its_approval_works(
    cases, personas, request_action, pending_status, approve
):
    case = cases.to("handling")
    case = cases.act(case, "handler", request_action, note="不属本单位 / 需协调")
    case = cases.act(case, "operator", "request_void", note="疑似重复")
    assert case.status == Status.VOID_PENDING
    case = cases.act(case, "shift_lead", "reject_void")
    assert case.status == pending_status
    assert CaseRequest.objects.filter(case=case, state=RequestState.PENDING).count() == 1
    assert approve in offered(cases, case, "dispatcher")
    case = cases.act(case, "dispatcher", approve)
    assert case.status != pending_status


def test_an_approved_void_lapses_every_waiting_request(cases, personas):
    case = cases.to("handling")
    case = cases.act(case, "handler", "request_extension", note="材料未到", hours=Decimal("4"))
    case = cases.act(case, "operator", "request_void", note="重复上报")
    case = cases.act(case, "shift_lead", "approve_void")
    states = dict(CaseRequest.objects.filter(case=case).values_list("kind", "state"))
    assert states == {"extension": RequestState.LAPSED, "void": RequestState.APPROVED}


def test_the_operator_is_not_offered_verification_of_a_grid_workers_own_report(cases, personas):
    own = cases.report()
    assert "request_verification" not in offered(cases, own, "operator")
    with pytest.raises(ConflictError) as refused:
        cases.act(own, "operator", "request_verification", assignee=personas["grid_worker"].username)
    assert refused.value.code == "own_report"
    hotline = cases.report(actor=personas["operator"], source="hotline_12345")
    assert "request_verification" in offered(cases, hotline, "operator")


def test_a_leader_who_is_also_a_dispatcher_may_approve_a_long_extension(cases, personas):
    dispatcher = personas["dispatcher"]
    posting_grant(user=dispatcher, role=Role.LEADER, region=personas["leader"].postings.first().region)
    case = cases.to("handling")
    case = cases.act(case, "handler", "request_extension", note="大型机械进场", hours=Decimal("100"))
    assert "approve_extension" in offered(cases, case, "dispatcher")
    case = cases.act(case, "dispatcher", "approve_extension")
    assert case.events.last().actor_role == Role.LEADER


def test_the_api_serializer_and_the_page_forms_take_exactly_the_declared_parameters():
    serializer_fields = set(TransitionSerializer().fields)
    assert serializer_fields == {"action", "note", "photos", *all_params()}
    for name, spec in ACTIONS.items():
        assert set(action_form(name).fields) == {"note", "photos", *spec.param_names}, name


def test_a_parameter_error_names_its_field_for_each_declared_parameter(cases, personas):
    case = cases.to("to_dispatch")
    with pytest.raises(ValidationError) as error:
        cases.act(case, "dispatcher", "dispatch", lead_department="no-such-department", assisting_departments=["nope"])
    assert set(error.value.error_dict) == {"lead_department", "assisting_departments"}


def test_the_dispatch_form_offers_exactly_the_departments_the_action_accepts(cases, personas):
    from django.test import Client

    from grids.models import Department

    case = cases.to("to_dispatch")
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(personas["dispatcher"])
    page = client.get(f"/command/cases/{case.pk}/").content.decode()
    offered_codes = {d.code for d in Department.objects.filter(active=True) if f'value="{d.code}"' in page}
    assert "street-441302001" in offered_codes  # the case's own street office
    assert "street-441303001" not in offered_codes  # another district's street office: refused, so not offered
    with pytest.raises(ValidationError):
        cases.act(case, "dispatcher", "dispatch", lead_department="street-441303001")


def test_a_master_that_ended_meanwhile_is_a_conflict_not_a_merge(cases, personas, monkeypatch):
    from cases.workflow import params

    master = cases.report(description="较早的同一问题")
    report = cases.report(description="同一堆垃圾")
    found = params.CaseNumber.clean

    def ends_meanwhile(self, ctx, value):
        pk = found(self, ctx, value)
        type(master).objects.filter(pk=pk).update(status=Status.CLOSED)  # another desk closed it just now
        return pk

    monkeypatch.setattr(params.CaseNumber, "clean", ends_meanwhile)
    with pytest.raises(ConflictError):
        cases.act(report, "operator", "merge", master=master.number)
    report.refresh_from_db()
    assert report.status == Status.REPORTED and report.duplicate_of_id is None


def test_only_a_posted_grid_worker_goes_on_site(cases, personas, django_user_model):
    admin = django_user_model.objects.create_superuser("p-admin", password="x")
    case = cases.to("to_check")
    with pytest.raises(ValidationError) as error:
        cases.act(case, "operator", "request_check", assignee=admin.username)
    assert "assignee" in error.value.error_dict
