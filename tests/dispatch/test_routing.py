"""The responsibility list picks the department: specificity, the street-office placeholder, auto-dispatch as the
system, idempotent receivers, returns and escalation to the city."""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cases.models import Case, CaseEvent, Status
from dispatch.models import CaseRouting, CommandLevel, ResponsibilityRule
from dispatch.services.routing import (
    routing_after_transition,
    routing_escalate_to_city,
    routing_propose,
    routing_record,
)
from grids.models import Department, Region

QIAODONG_OFFICE = "street-441302001"


def make_rule(
    category=None, *, region="4413", lead="@street_office", kind="", assisting=(), level="district", auto=False
):
    """A rule by codes: category "E0102"/"E01" (or None with `kind`), region code, lead code or @street_office."""
    from cases.models import Category

    cat = None
    if category:
        cat = Category.objects.get(kind=category[0], code=category[1:])
        kind = cat.kind
    rule = ResponsibilityRule.objects.create(
        kind=kind,
        category=cat,
        region=Region.objects.defer("geom").get(code=region),
        lead_department=None if lead == "@street_office" else Department.objects.get(code=lead),
        lead_street_office=lead == "@street_office",
        dispatch_level=level,
        auto_dispatch=auto,
    )
    rule.assisting_departments.set(Department.objects.filter(code__in=assisting))
    return rule


def file_case(cases, catalogue, code="E0102", *, capture, where=None):
    """Report (in 桥东 by the grid worker, or in community `where` by the operator), accept and register a case,
    running the after-commit receivers as a real request would. Returns the case fresh from the database."""
    fields = {"category": catalogue.category(code)}
    if where is not None:
        point = Region.objects.get(code=where).geom.point_on_surface
        fields.update(
            actor=cases.p["operator"],
            source="public",
            lon=point.x,
            lat=point.y,
            contact_name="市民",
            contact_phone="13800000000",
        )
    with capture(execute=True):
        case = cases.report(**fields)
        cases.act(case, "operator", "accept")
        condition = catalogue.condition(code)
        cases.act(case, "shift_lead", "register", filing_condition=condition.pk, urgency="normal")
    return Case.objects.select_related("lead_department", "category").get(pk=case.pk)


@pytest.fixture
def reported(cases, catalogue):
    """`reported("C0101")`: a reported case of that category in 桥东街道, category loaded."""

    def make(code):
        case = cases.report(category=catalogue.category(code))
        return Case.objects.select_related("category").get(pk=case.pk)

    return make


# ---- matching ----


def test_events_are_territory_first_so_the_deepest_region_wins(reported):
    make_rule("E0102", region="4413", lead="city-urban-management")
    make_rule(kind="E", region="441302", lead="huicheng-urban-management")
    assert routing_propose(case=reported("E0102")).lead.code == "huicheng-urban-management"


def test_components_are_owner_first_so_the_most_specific_category_wins(reported):
    make_rule("C0101", region="4413", lead="utility-water-supply", level="city")
    make_rule(kind="C", region="441302001", lead="huicheng-urban-management")
    assert routing_propose(case=reported("C0101")).lead.code == "utility-water-supply"
    assert routing_propose(case=reported("C0102")).lead.code == "huicheng-urban-management"


def test_in_one_region_the_minor_class_beats_the_major_class_the_kind_and_any(reported):
    rules = [
        make_rule(None, lead="city-housing"),
        make_rule(kind="E", lead="city-transport"),
        make_rule("E01", lead="city-water"),
        make_rule("E0102", lead="city-urban-management"),
    ]
    case = reported("E0102")
    for expected in ["city-urban-management", "city-water", "city-transport", "city-housing"]:
        assert routing_propose(case=case).lead.code == expected
        rules.pop().delete()
    assert routing_propose(case=case) is None


def test_a_rule_for_the_other_kind_does_not_apply(reported):
    make_rule(kind="C", lead="city-housing")
    assert routing_propose(case=reported("E0102")) is None


def test_the_street_office_placeholder_finds_the_office_of_the_cases_street(reported, cases, huizhou_grid):
    make_rule("E0102", auto=True)
    proposal = routing_propose(case=reported("E0102"))
    assert proposal.lead.code == QIAODONG_OFFICE and proposal.auto and proposal.level == CommandLevel.DISTRICT
    point = huizhou_grid.point_in(huizhou_grid.huiyang_community.code)
    elsewhere = cases.report(
        actor=cases.p["operator"], source="public", lon=point.x, lat=point.y, contact_name="市民", contact_phone="1"
    )
    elsewhere = Case.objects.select_related("category").get(pk=elsewhere.pk)
    assert routing_propose(case=elsewhere).lead.code == f"street-{huizhou_grid.DANSHUI}"


def test_inactive_rules_and_rules_whose_lead_is_inactive_are_skipped(reported):
    make_rule(None, lead="city-housing")
    make_rule("E01", lead="city-water").__class__.objects.filter(category__code="01").update(active=False)
    make_rule("E0102", lead="city-transport")
    Department.objects.filter(code="city-transport").update(active=False)
    assert routing_propose(case=reported("E0102")).lead.code == "city-housing"


def test_the_proposal_names_assisting_departments_and_level_and_takes_two_queries(reported, django_assert_num_queries):
    rule = make_rule("E0403", lead="utility-gas", assisting=["city-emergency-management", "city-housing"], level="city")
    case = reported("E0403")
    with django_assert_num_queries(2):
        proposal = routing_propose(case=case)
    assert proposal.rule == rule and proposal.level == CommandLevel.CITY and not proposal.auto
    assert [d.code for d in proposal.assisting] == ["city-emergency-management", "city-housing"]


def test_an_excluded_department_is_not_proposed_the_next_rule_is(reported, huizhou_departments):
    make_rule("E0102")
    make_rule(kind="E", lead="city-urban-management")
    case = reported("E0102")
    proposal = routing_propose(case=case, exclude=[huizhou_departments[QIAODONG_OFFICE]])
    assert proposal.lead.code == "city-urban-management"


# ---- registration, auto-dispatch, returns ----


def test_a_filed_case_with_an_auto_rule_is_dispatched_by_the_system(
    cases, catalogue, django_capture_on_commit_callbacks
):
    make_rule("E0102", auto=True, assisting=["huicheng-urban-management"])
    case = file_case(cases, catalogue, capture=django_capture_on_commit_callbacks)
    assert case.status == Status.HANDLING and case.lead_department.code == QIAODONG_OFFICE
    assert [d.code for d in case.assisting_departments.all()] == ["huicheng-urban-management"]
    event = case.events.get(action="dispatch")
    assert event.actor is None and event.actor_role == "system" and event.department.code == QIAODONG_OFFICE
    routing = CaseRouting.objects.get(case=case)
    assert routing.auto_dispatch and routing.auto_dispatched and routing.proposed_lead.code == QIAODONG_OFFICE


def test_a_filed_case_without_auto_dispatch_waits_with_a_proposal(cases, catalogue, django_capture_on_commit_callbacks):
    make_rule("E0101", region="441302", lead="huicheng-urban-management")
    case = file_case(cases, catalogue, "E0101", capture=django_capture_on_commit_callbacks)
    assert case.status == Status.TO_DISPATCH and case.lead_department is None
    routing = CaseRouting.objects.get(case=case)
    assert routing.level == CommandLevel.DISTRICT and routing.proposed_lead.code == "huicheng-urban-management"
    assert not routing.auto_dispatch and not routing.auto_dispatched
    assert routing.source_event == case.events.get(action="register")


def test_a_case_no_rule_fits_goes_to_its_district_without_a_proposal(
    cases, catalogue, django_capture_on_commit_callbacks
):
    case = file_case(cases, catalogue, capture=django_capture_on_commit_callbacks)
    routing = CaseRouting.objects.get(case=case)
    assert case.status == Status.TO_DISPATCH
    assert routing.level == CommandLevel.DISTRICT and routing.proposed_lead is None and routing.rule is None


def test_a_city_level_rule_puts_the_case_in_the_city_queue(cases, catalogue, django_capture_on_commit_callbacks):
    make_rule("E0401", lead="city-municipal-gardens", level="city")
    case = file_case(cases, catalogue, "E0401", capture=django_capture_on_commit_callbacks)
    assert CaseRouting.objects.get(case=case).level == CommandLevel.CITY


def test_the_receiver_running_twice_dispatches_once(cases, catalogue, django_capture_on_commit_callbacks):
    make_rule("E0102", auto=True)
    case = file_case(cases, catalogue, capture=django_capture_on_commit_callbacks)
    register = case.events.get(action="register")
    routing_after_transition(case_id=case.pk, event_id=register.pk, action="register")
    assert case.events.filter(action="dispatch").count() == 1
    assert CaseRouting.objects.filter(case=case).count() == 1


def test_recording_twice_for_the_same_event_changes_nothing(cases, catalogue, django_capture_on_commit_callbacks):
    rule = make_rule("E0101", region="441302", lead="huicheng-urban-management")
    case = file_case(cases, catalogue, "E0101", capture=django_capture_on_commit_callbacks)
    register = case.events.get(action="register")
    before = CaseRouting.objects.get(case=case)
    rule.lead_department = Department.objects.get(code="city-urban-management")
    rule.save()
    again = routing_record(case_id=case.pk, event_id=register.pk)
    assert again.proposed_lead_id == before.proposed_lead_id and again.proposed_at == before.proposed_at


def test_a_returned_case_gets_a_new_proposal_without_the_department_and_waits_for_a_human(
    cases, catalogue, django_capture_on_commit_callbacks
):
    make_rule("E0102", auto=True)
    make_rule(kind="E", lead="city-urban-management", auto=True)
    case = file_case(cases, catalogue, capture=django_capture_on_commit_callbacks)
    assert case.lead_department.code == QIAODONG_OFFICE
    with django_capture_on_commit_callbacks(execute=True):
        cases.act(case, "street_handler", "request_return", note="不属于本街道")
        cases.act(case, "dispatcher", "approve_return")
    case.refresh_from_db()
    routing = CaseRouting.objects.select_related("proposed_lead").get(case=case)
    assert case.status == Status.TO_DISPATCH and case.lead_department is None
    assert routing.proposed_lead.code == "city-urban-management"
    assert routing.source_event == case.events.get(action="approve_return")
    assert case.events.filter(action="dispatch").count() == 1  # no automatic second dispatch


def test_a_late_receiver_for_the_registration_does_not_dispatch_a_returned_case(
    cases, catalogue, django_capture_on_commit_callbacks
):
    make_rule("E0102", auto=True)
    make_rule(kind="E", lead="city-urban-management", auto=True)
    case = file_case(cases, catalogue, capture=django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        cases.act(case, "street_handler", "request_return", note="不属于本街道")
        cases.act(case, "dispatcher", "approve_return")
    register = case.events.get(action="register")
    routing_after_transition(case_id=case.pk, event_id=register.pk, action="register")
    assert Case.objects.get(pk=case.pk).status == Status.TO_DISPATCH
    assert case.events.filter(action="dispatch").count() == 1


def test_a_failing_routing_does_not_undo_or_break_the_registration_and_is_retried(
    cases, catalogue, django_capture_on_commit_callbacks, monkeypatch
):
    import dispatch.services.routing as routing_services
    from dispatch.models import FollowUp
    from dispatch.services.followup import followup_repair

    real = routing_services.routing_after_transition

    def broken(**kwargs):
        raise RuntimeError("boom")

    make_rule("E0102", auto=True)
    monkeypatch.setattr(routing_services, "routing_after_transition", broken)
    case = file_case(cases, catalogue, capture=django_capture_on_commit_callbacks)
    assert case.status == Status.TO_DISPATCH
    row = FollowUp.objects.get(kind="route", event_id=case.events.get(action="register").pk)
    assert (row.state, row.attempts, row.last_error) == ("pending", 1, "RuntimeError: boom")
    # The routing is repaired: the next repair sweep after the back-off does it, once.
    monkeypatch.setattr(routing_services, "routing_after_transition", real)
    later = row.next_attempt_at + timedelta(seconds=1)
    assert followup_repair(now=later)["done"] >= 1
    followup_repair(now=later + timedelta(minutes=5))  # again: nothing happens twice
    row.refresh_from_db()
    assert row.state == "done"
    assert Case.objects.get(pk=case.pk).status == Status.HANDLING
    assert case.events.filter(action="dispatch").count() == 1


# ---- escalation ----


def test_escalation_lifts_the_case_to_the_city_once(cases, catalogue, django_capture_on_commit_callbacks):
    make_rule("E0101", region="441302", lead="huicheng-urban-management")
    case = file_case(cases, catalogue, "E0101", capture=django_capture_on_commit_callbacks)
    assert routing_escalate_to_city(case_id=case.pk) is True
    first = CaseRouting.objects.get(case=case)
    assert first.level == CommandLevel.CITY and first.escalated and first.escalated_at is not None
    assert routing_escalate_to_city(case_id=case.pk) is False
    assert CaseRouting.objects.get(case=case).escalated_at == first.escalated_at
    assert first.proposed_lead.code == "huicheng-urban-management"


def test_escalating_a_case_never_routed_creates_its_routing(cases):
    case = cases.to("to_dispatch")
    assert routing_escalate_to_city(case_id=case.pk) is True
    routing = CaseRouting.objects.get(case=case)
    assert routing.level == CommandLevel.CITY and routing.escalated and routing.proposed_lead is None


def test_a_new_proposal_after_escalation_keeps_the_city_level(cases, catalogue, django_capture_on_commit_callbacks):
    make_rule("E0102")
    case = cases.to("to_dispatch")
    routing_escalate_to_city(case_id=case.pk)
    register = CaseEvent.objects.get(case=case, action="register")
    routing = routing_record(case_id=case.pk, event_id=register.pk)
    assert routing.level == CommandLevel.CITY and routing.proposed_lead.code == QIAODONG_OFFICE


def test_a_new_proposal_writes_only_the_proposal_and_leaves_escalation_alone(cases, catalogue):
    make_rule("E0102")
    case = cases.to("to_dispatch")
    routing_escalate_to_city(case_id=case.pk)
    register = CaseEvent.objects.get(case=case, action="register")
    with CaptureQueriesContext(connection) as queries:
        routing_record(case_id=case.pk, event_id=register.pk)
    (update,) = [q["sql"] for q in queries if q["sql"].startswith('UPDATE "dispatch_caserouting"')]
    written = set(re.findall(r'"(\w+)" = ', update.split(" WHERE ")[0]))
    proposal = {"rule_id", "proposed_lead_id", "auto_dispatch", "basis"}
    assert written == proposal | {"level", "source_event_id", "proposed_at"}
