"""Emergencies run on natural time: a gas-pipe burst reported on a Friday evening is due that same night.

Hand-computed against the seeded urgency policies (emergency: natural clock, accept 10 min, register 10 min,
dispatch 15 min) and the demo catalogue (E0403 燃气管道破裂泄漏, emergency, area class 1: 30 natural minutes).
A normal case reported at the same moment waits for Monday's office hours (08:30–12:00, 14:30–18:00).
"""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from rest_framework.test import APIClient

from cases.clock import budget_of, deadline_for
from cases.models import Category, FilingCondition, UrgencyPolicy, UrgencyStepLimit

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")
FRIDAY_EVENING = datetime(2026, 12, 4, 20, 0, tzinfo=SH)


def at(hour, minute, day=4):
    return datetime(2026, 12, day, hour, minute, tzinfo=SH)


@pytest.fixture
def gas(cases):
    category = Category.objects.get(kind="E", code="0403")
    return category, FilingCondition.objects.get(category=category, name="燃气管道破裂泄漏")


def test_a_gas_pipe_burst_reported_friday_evening_as_an_emergency_is_due_the_same_night(cases, personas, gas):
    category, condition = gas
    case = cases.report(category=category, urgency="emergency", now=FRIDAY_EVENING)
    assert case.region.area_class == "1"
    assert (case.stage, case.stage_clock, case.stage_deadline) == ("accept", "natural", at(20, 10))
    assert case.stage_warn_at == at(20, 8)

    case = cases.act(case, "operator", "accept", now=at(20, 5))
    assert (case.stage, case.stage_clock, case.stage_deadline) == ("register", "natural", at(20, 15))

    # The register form leaves the urgency as the intake set it.
    case = cases.act(case, "shift_lead", "register", filing_condition=condition.pk, now=at(20, 10))
    assert case.urgency == "emergency"
    assert (case.stage, case.stage_clock, case.stage_deadline) == ("dispatch", "natural", at(20, 25))

    case = cases.act(
        case, "dispatcher", "dispatch", lead_department=personas["handler_department"].code, now=at(20, 20)
    )
    assert (case.stage, case.stage_clock) == ("handling", "natural")
    assert case.stage_budget == timedelta(minutes=30)
    assert case.stage_deadline == at(20, 50)


def test_the_same_report_as_a_normal_case_waits_for_monday(cases, personas, gas):
    category, condition = gas
    case = cases.report(category=category, now=FRIDAY_EVENING)
    assert (case.stage_clock, case.stage_deadline) == ("working", at(9, 0, day=7))
    case = cases.act(case, "operator", "accept", now=FRIDAY_EVENING)
    assert case.stage_deadline == at(9, 0, day=7)
    case = cases.act(
        case, "shift_lead", "register", filing_condition=condition.pk, urgency="normal", now=FRIDAY_EVENING
    )
    assert (case.stage, case.stage_clock, case.stage_deadline) == ("dispatch", "working", at(9, 0, day=7))
    # The class itself runs its handling on natural hours (the filing condition's clock): 2 hours.
    case = cases.act(
        case, "dispatcher", "dispatch", lead_department=personas["handler_department"].code, now=FRIDAY_EVENING
    )
    assert (case.stage_clock, case.stage_deadline) == ("natural", at(22, 0))


def test_an_urgency_raised_to_emergency_at_registration_speeds_up_the_next_steps(cases, personas, gas):
    category, condition = gas
    case = cases.to("to_register", case=cases.report(category=category, now=FRIDAY_EVENING), now=FRIDAY_EVENING)
    assert case.urgency == "normal" and case.stage_clock == "working"
    case = cases.act(
        case, "shift_lead", "register", filing_condition=condition.pk, urgency="emergency", now=FRIDAY_EVENING
    )
    assert (case.urgency, case.stage_clock, case.stage_deadline) == ("emergency", "natural", at(20, 15))


def test_an_emergency_in_a_class_without_its_own_limit_takes_the_urgent_limit_on_natural_time(cases, personas):
    """暴露垃圾 (E0102) has no emergency row: its urgent class-1 limit (2 working hours) runs as 2 natural hours."""
    case = cases.to("to_register", case=cases.report(urgency="emergency", now=FRIDAY_EVENING), now=FRIDAY_EVENING)
    case = cases.act(case, "shift_lead", "register", filing_condition=cases.condition.pk, now=FRIDAY_EVENING)
    case = cases.act(
        case, "dispatcher", "dispatch", lead_department=personas["handler_department"].code, now=FRIDAY_EVENING
    )
    assert case.urgency == "emergency"
    assert (case.stage_clock, case.stage_budget, case.stage_deadline) == ("natural", timedelta(hours=2), at(22, 0))


def test_an_edited_policy_reaches_stages_that_start_afterwards_only(cases, personas):
    case = cases.report(urgency="emergency", now=FRIDAY_EVENING)
    assert case.stage_deadline == at(20, 10)
    policy = UrgencyPolicy.objects.get(urgency="emergency")
    UrgencyStepLimit.objects.filter(policy=policy, step="accept").update(value=20)
    UrgencyStepLimit.objects.filter(policy=policy, step="register").update(value=45)

    case.refresh_from_db()
    assert case.stage_deadline == at(20, 10)  # the running stage keeps its deadline
    case = cases.act(case, "operator", "accept", now=at(20, 5))
    assert case.stage_deadline == at(20, 50)
    assert cases.report(urgency="emergency", now=FRIDAY_EVENING).stage_deadline == at(20, 20)

    # Back to working time for the centre's steps: the minutes now count as working minutes (Monday 08:50).
    policy.step_clock = "working"
    policy.save()
    UrgencyStepLimit.objects.filter(policy=policy, step="accept").update(unit="working_hour", value="0.25")
    assert cases.report(urgency="emergency", now=FRIDAY_EVENING).stage_deadline == at(8, 45, day=7)


def test_an_urgency_without_step_limits_of_its_own_uses_the_general_ones(cases):
    UrgencyStepLimit.objects.filter(policy__urgency="emergency").delete()
    case = cases.report(urgency="emergency", now=FRIDAY_EVENING)
    # The general accept limit, 0.5 h, counted on the emergency's natural clock.
    assert (case.stage_clock, case.stage_deadline) == ("natural", at(20, 30))


def test_natural_minutes_are_an_exact_unit():
    assert budget_of(value="15", unit="natural_minute", clock="working", day=timedelta(0)) == timedelta(minutes=15)
    assert budget_of(value="0.5", unit="natural_minute", clock="natural", day=timedelta(0)) == timedelta(seconds=30)
    assert deadline_for(start=FRIDAY_EVENING, value=90, unit="natural_minute", clock="working") == at(21, 30)


def test_an_unknown_urgency_at_intake_is_refused_with_its_field(cases):
    with pytest.raises(ValidationError) as caught:
        cases.report(urgency="panic")
    assert "urgency" in caught.value.message_dict


def test_the_api_takes_the_urgency_at_intake(cases, personas):
    client = APIClient()
    client.force_authenticate(personas["grid_worker"])
    body = {
        "category": "E0403",
        "description": "燃气管道被挖断，有明显气味",
        "lon": cases.lon,
        "lat": cases.lat,
        "urgency": "emergency",
    }
    response = client.post("/api/v1/cases/", body, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["urgency"] == "emergency"
    assert response.json()["deadlines"]["clock"] == "natural"

    response = client.post("/api/v1/cases/", {**body, "urgency": "panic"}, format="json")
    assert response.status_code == 400 and "urgency" in response.json()


def test_an_administrator_edits_the_emergency_policy_in_the_admin_and_new_stages_follow(admin_client, cases):
    running = cases.report(urgency="emergency", now=FRIDAY_EVENING)
    assert running.stage_deadline == at(20, 10)
    assert "突发" in admin_client.get("/admin/cases/urgencypolicy/").content.decode()  # the admin speaks Chinese
    policy = UrgencyPolicy.objects.get(urgency="emergency")
    limits = list(policy.step_limits.order_by("id"))
    data = {
        "urgency": "emergency",
        "step_clock": "natural",
        "handling_clock": "natural",
        "alert": "on",
        "step_limits-TOTAL_FORMS": len(limits),
        "step_limits-INITIAL_FORMS": len(limits),
        "step_limits-MIN_NUM_FORMS": 0,
        "step_limits-MAX_NUM_FORMS": 1000,
    }
    for i, limit in enumerate(limits):
        data |= {
            f"step_limits-{i}-id": limit.pk,
            f"step_limits-{i}-policy": policy.pk,
            f"step_limits-{i}-step": limit.step,
            f"step_limits-{i}-value": "5" if limit.step == "accept" else limit.value,
            f"step_limits-{i}-unit": limit.unit,
        }
    response = admin_client.post(f"/admin/cases/urgencypolicy/{policy.pk}/change/", data)
    assert response.status_code == 302, response.content.decode()[:2000]

    running.refresh_from_db()
    assert running.stage_deadline == at(20, 10)
    assert cases.report(urgency="emergency", now=FRIDAY_EVENING).stage_deadline == at(20, 5)

    data["step_limits-0-value"] = "0"  # refused by the form, nothing written
    response = admin_client.post(f"/admin/cases/urgencypolicy/{policy.pk}/change/", data)
    assert response.status_code == 200
    assert UrgencyStepLimit.objects.get(pk=limits[0].pk).value > 0


def test_the_register_form_keeps_the_intakes_emergency_and_the_queue_marks_it(cases, personas, gas):
    from django.test import Client

    category, condition = gas
    case = cases.to("to_register", case=cases.report(category=category, urgency="emergency"))
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(personas["shift_lead"])
    body = client.get(f"/command/cases/{case.pk}/", HTTP_HX_REQUEST="true").content.decode()
    assert '<option value="emergency" selected>' in body
    assert 'class="tag tag-emergency"' in body
    assert 'class="tag tag-emergency"' in client.get("/command/cases/?queue=all").content.decode()
    response = client.post(
        f"/command/cases/{case.pk}/actions/register/",
        {"filing_condition": condition.pk, "urgency": "emergency"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    case.refresh_from_db()
    assert (case.status, case.urgency, case.stage_clock) == ("to_dispatch", "emergency", "natural")

    normal = cases.to("to_register")
    body = client.get(f"/command/cases/{normal.pk}/", HTTP_HX_REQUEST="true").content.decode()
    assert '<option value="normal" selected>' in body and 'class="tag tag-emergency"' not in body


def test_the_limit_lookup_gives_an_emergency_its_own_row_or_else_the_urgent_one(catalogue):
    from cases.catalogue import time_limit_for

    gas = catalogue.condition("E0403")
    own = time_limit_for(filing_condition=gas, urgency="emergency", area_class="2")
    assert (own.urgency, own.value, own.unit) == ("emergency", 45, "natural_minute")
    rubbish = catalogue.condition("E0102")
    borrowed = time_limit_for(filing_condition=rubbish, urgency="emergency", area_class="1")
    assert (borrowed.urgency, borrowed.value, borrowed.unit) == ("urgent", 2, "working_hour")
