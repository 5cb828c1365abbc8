"""Each side branch of the closed loop, through the one status-writing service."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from cases.models import Case, CaseEvent, CaseRequest, Status
from huizhou_cityops.errors import ConflictError

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")


def test_public_report_goes_through_verification(cases, personas):
    case = cases.report(actor=personas["operator"], source="public", contact_phone="13812345678")
    case = cases.act(case, "operator", "request_verification", assignee=personas["grid_worker"].username)
    assert case.status == Status.VERIFYING and case.assignee == personas["grid_worker"]
    case = cases.act(case, "grid_worker", "verify", result=True)
    assert case.status == Status.REPORTED and case.assignee is None

    other = cases.report(actor=personas["operator"], source="hotline_12345")
    other = cases.act(other, "operator", "request_verification", assignee=personas["grid_worker"].username)
    other = cases.act(other, "grid_worker", "verify", result=False)
    assert other.status == Status.NOT_ACCEPTED and other.closed_at


def test_only_the_assigned_grid_worker_may_verify(cases, personas):
    case = cases.report(actor=personas["operator"], source="public")
    case = cases.act(case, "operator", "request_verification", assignee=personas["grid_worker"].username)
    with pytest.raises(PermissionDenied):
        cases.act(case, "operator", "verify", result=True)


def test_refusal_needs_a_reason(cases, personas):
    case = cases.report()
    with pytest.raises(ValidationError) as error:
        cases.act(case, "operator", "refuse")
    assert "note" in error.value.error_dict
    case = cases.act(case, "operator", "refuse", note="不属于城管范围")
    assert case.status == Status.NOT_ACCEPTED


def test_merge_links_the_duplicate_and_counts_it(cases, personas):
    master = cases.report()
    duplicate = cases.report(description="同一堆垃圾")
    duplicate = cases.act(duplicate, "operator", "merge", master=master.number)
    master.refresh_from_db()
    assert duplicate.status == Status.NOT_ACCEPTED and duplicate.duplicate_of == master
    assert master.duplicate_count == 1
    with pytest.raises(ValidationError):
        cases.act(cases.report(), "operator", "merge", master="E0000000000000000")


def test_duplicate_candidates_are_open_same_category_within_50_m(cases, personas):
    from cases.selectors import case_duplicate_candidates

    first = cases.report()
    second = cases.report(lon=cases.lon + 0.0001)  # about 10 m east
    far = cases.report(lon=cases.lon + 0.001)  # about 100 m east
    found = {c.pk for c in case_duplicate_candidates(case=second, user=personas["operator"])}
    assert first.pk in found and far.pk not in found


def test_duplicate_candidates_end_at_50_m_on_the_sphere_and_the_index_answers_the_box(cases, personas):
    import math

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from cases.selectors import case_duplicate_candidates

    metre = 1 / (111_195 * math.cos(math.radians(cases.lat)))  # degrees of longitude per metre on PostGIS's sphere
    inside = cases.report(lon=cases.lon + 49 * metre)
    outside = cases.report(lon=cases.lon + 51 * metre)
    north = cases.report(lat=cases.lat + 49 / 111_195)
    probe = cases.report()
    with CaptureQueriesContext(connection) as queries:
        found = {c.pk for c in case_duplicate_candidates(case=probe, user=personas["operator"])}
    assert found == {inside.pk, north.pk} and outside.pk not in found
    assert "ST_DWithin" in queries[-1]["sql"]


def test_self_close_only_for_a_report_fixed_on_the_spot(cases, personas, photo):
    fixed = cases.report(self_handled=True, photos=[photo()])
    assert fixed.photos.get().kind == "after"
    fixed = cases.act(fixed, "operator", "self_close")
    assert fixed.status == Status.SELF_CLOSED
    with pytest.raises(ConflictError):
        cases.act(cases.report(), "operator", "self_close")


def test_refused_registration_ends_the_case(cases, personas):
    case = cases.to("to_register")
    case = cases.act(case, "shift_lead", "refuse_registration", note="重复立案")
    assert case.status == Status.NOT_REGISTERED


def test_return_approved_goes_back_to_dispatch_and_marks_a_wrong_dispatch(cases, personas):
    case = cases.to("handling")
    case = cases.act(case, "handler", "request_return", note="不属于本单位职责")
    assert case.status == Status.RETURN_PENDING
    case = cases.act(case, "dispatcher", "approve_return")
    assert case.status == Status.TO_DISPATCH and case.lead_department is None
    event = CaseEvent.objects.filter(case=case, action="approve_return").get()
    assert event.data["wrong_dispatch"] is True and event.department == personas["handler_department"]
    assert CaseRequest.objects.get(case=case).state == "approved"


def test_return_rejected_keeps_the_handling_clock(cases, personas):
    case = cases.to("handling")
    deadline = case.stage_deadline
    case = cases.act(case, "handler", "request_return", note="非本单位")
    case = cases.act(case, "dispatcher", "reject_return", note="属于本单位")
    assert case.status == Status.HANDLING and case.stage_deadline == deadline


def test_extension_adds_working_time_and_a_second_one_needs_a_leader(cases, personas):
    now = datetime(2026, 11, 24, 9, 0, tzinfo=SH)  # a Tuesday morning
    case = cases.to("handling", now=now)
    deadline = case.stage_deadline
    case = cases.act(case, "handler", "request_extension", note="需调机械", hours=2, now=now)
    case = cases.act(case, "dispatcher", "approve_extension", now=now)
    assert case.status == Status.HANDLING and case.extension_count == 1
    assert case.stage_deadline > deadline
    cases.act(case, "handler", "request_extension", note="仍需时间", hours=2, now=now)
    with pytest.raises(PermissionDenied):
        cases.act(case, "dispatcher", "approve_extension", now=now)
    case = cases.act(case, "leader", "approve_extension", now=now)
    assert case.extension_count == 2


def test_extension_request_hours_are_validated(cases, personas):
    case = cases.to("handling")
    with pytest.raises(ValidationError) as error:
        cases.act(case, "handler", "request_extension", note="x", hours="lots")
    assert "hours" in error.value.error_dict


def test_suspension_stops_the_clock_and_resume_restarts_it_where_it_stopped(cases, personas):
    monday = datetime(2026, 11, 23, 9, 0, tzinfo=SH)
    case = cases.to("handling", now=monday)
    left_before = case.stage_deadline
    case = cases.act(case, "handler", "request_suspension", note="等待产权单位", now=monday)
    case = cases.act(case, "dispatcher", "approve_suspension", now=monday + timedelta(minutes=30))
    assert case.status == Status.SUSPENDED and case.stage_deadline is None
    remaining = case.stage_remaining
    assert remaining > timedelta(0)
    later = datetime(2026, 11, 26, 9, 0, tzinfo=SH)  # three days later, Thursday
    case = cases.act(case, "dispatcher", "resume", now=later)
    assert case.status == Status.HANDLING
    from cases.clock import elapsed

    assert elapsed(start=later, now=case.stage_deadline, clock=case.stage_clock) == remaining
    assert case.stage_deadline > left_before


def test_failed_check_sends_the_case_back_to_the_same_department_as_rework(cases, personas):
    case = cases.to("checking")
    case = cases.act(case, "grid_worker", "check", passed=False, note="仍有垃圾")
    assert case.status == Status.HANDLING and case.rework_count == 1
    assert case.lead_department == personas["handler_department"]
    event = CaseEvent.objects.filter(case=case, action="check").get()
    assert event.data["rework"] is True and event.stage == "check"


def test_void_approved_ends_the_case_and_rejected_returns_to_the_prior_state(cases, personas):
    case = cases.to("to_dispatch")
    case = cases.act(case, "dispatcher", "request_void", note="误报")
    assert case.status == Status.VOID_PENDING
    case = cases.act(case, "shift_lead", "reject_void")
    assert case.status == Status.TO_DISPATCH
    case = cases.act(case, "dispatcher", "request_void", note="误报")
    case = cases.act(case, "shift_lead", "approve_void")
    assert case.status == Status.VOIDED


def test_events_cannot_be_changed_in_the_database(cases):
    from django.db import DatabaseError, transaction

    case = cases.report()
    event = case.events.get()
    with pytest.raises(DatabaseError), transaction.atomic():
        CaseEvent.objects.filter(pk=event.pk).update(note="rewritten")
    with pytest.raises(ValueError):
        event.save()


def test_case_numbers_follow_the_daily_sequence(cases):
    first, second = cases.report(), cases.report()
    assert first.number[:5] == "E0102" and second.number[:13] == first.number[:13]
    assert int(second.number[13:]) == int(first.number[13:]) + 1
    assert Case.objects.filter(number=first.number).count() == 1


def test_the_system_may_dispatch_on_its_own_and_listeners_hear_after_commit(
    cases, personas, django_capture_on_commit_callbacks
):
    from cases.services import case_transition
    from cases.signals import case_transitioned

    heard = []

    def listener(sender, **kwargs):
        heard.append((kwargs["action"], kwargs["to_status"]))

    case_transitioned.connect(listener)
    try:
        case = cases.to("to_dispatch")
        with django_capture_on_commit_callbacks(execute=True):
            case = case_transition(
                case_id=case.pk,
                actor=None,
                action="dispatch",
                system=True,
                params={"lead_department": personas["handler_department"].code},
            )
    finally:
        case_transitioned.disconnect(listener)
    assert case.status == Status.HANDLING
    event = case.events.latest("id")
    assert event.actor is None and event.actor_role == "system"
    assert heard == [("dispatch", "handling")]
