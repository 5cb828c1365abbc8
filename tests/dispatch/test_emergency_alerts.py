"""An emergency alerts at once, once: the city shift leads when it appears, each department's duty when the case
reaches it (proposal, dispatch, re-dispatch), by inbox and SMS, in the transaction of the event that causes it.
Its ladder runs on the stage's natural clock, so the sweep escalates it within minutes."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from accounts.models import Role, User
from cases.models import Case, Category, FilingCondition, UrgencyPolicy
from dispatch.models import (
    CaseRouting,
    EmergencyAlert,
    EscalationStep,
    Notification,
    OutboxMessage,
    ResponsibilityRule,
    TimerMark,
)
from dispatch.services.timers import timers_sweep
from grids.models import Department, Region
from tests.factories.accounts import user_posted

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")
FRIDAY_EVENING = datetime(2026, 12, 4, 20, 0, tzinfo=SH)
LEAD_PHONE = "13900000001"
DUTY_PHONE = "0752-2100000"
DUTY_USER_PHONE = "13900000002"


def at(hour, minute):
    return datetime(2026, 12, 4, hour, minute, tzinfo=SH)


@pytest.fixture
def on_duty(personas):
    """The shift lead has a phone; the handling department has a duty phone and one person on duty."""
    User.objects.filter(pk=personas["shift_lead"].pk).update(phone=LEAD_PHONE)
    department = personas["handler_department"]
    department.duty_phone = DUTY_PHONE
    department.save(update_fields=["duty_phone"])
    duty = user_posted(username="p-duty", role=Role.HANDLER, department=department, phone=DUTY_USER_PHONE, email="")
    department.duty_users.add(duty)
    return duty


@pytest.fixture
def gas(cases):
    category = Category.objects.get(kind="E", code="0403")
    return category, FilingCondition.objects.get(category=category, name="燃气管道破裂泄漏")


def emergency_notices(case):
    return set(Notification.objects.filter(case=case, kind="emergency").values_list("user__username", "event__action"))


def sms():
    rows = OutboxMessage.objects.filter(channel="sms")
    return sorted(rows.values_list("recipient", flat=True))


def test_a_reported_emergency_tells_the_city_shift_lead_by_inbox_and_sms_before_commit(cases, on_duty, gas):
    """No after-commit callback runs in this test: the rows are written with the report itself."""
    category, _condition = gas
    case = cases.report(category=category, urgency="emergency", now=FRIDAY_EVENING)
    assert emergency_notices(case) == {("p-shiftlead", "report")}
    assert sms() == [LEAD_PHONE]
    message = OutboxMessage.objects.get(channel="sms")
    assert case.number in message.body and "燃气管道破裂" in message.body and message.state == "pending"
    assert EmergencyAlert.objects.filter(case=case, department=None).count() == 1


def test_the_dispatched_departments_duty_is_told_once_and_the_shift_lead_is_not_told_again(
    cases, personas, on_duty, gas
):
    category, condition = gas
    case = cases.report(category=category, urgency="emergency", now=FRIDAY_EVENING)
    case = cases.act(case, "operator", "accept", now=at(20, 5))
    case = cases.act(case, "shift_lead", "register", filing_condition=condition.pk, now=at(20, 10))
    case = cases.act(
        case, "dispatcher", "dispatch", lead_department=personas["handler_department"].code, now=at(20, 20)
    )
    assert emergency_notices(case) == {("p-shiftlead", "report"), ("p-duty", "dispatch")}
    assert sms() == sorted([LEAD_PHONE, DUTY_PHONE, DUTY_USER_PHONE])
    # Later events of the same case alert nobody again.
    cases.act(case, "handler", "request_extension", note="需要更多时间", hours="1", now=at(20, 30))
    assert emergency_notices(case) == {("p-shiftlead", "report"), ("p-duty", "dispatch")}
    assert len(sms()) == 3
    assert EmergencyAlert.objects.filter(case=case).count() == 2


def test_raising_the_urgency_at_registration_alerts_then(cases, on_duty, gas):
    category, condition = gas
    case = cases.to("to_register", case=cases.report(category=category, now=FRIDAY_EVENING), now=FRIDAY_EVENING)
    assert emergency_notices(case) == set()
    cases.act(case, "shift_lead", "register", filing_condition=condition.pk, urgency="emergency", now=FRIDAY_EVENING)
    assert emergency_notices(case) == {("p-shiftlead", "register")}
    assert sms() == [LEAD_PHONE]


def test_a_normal_case_alerts_nobody(cases, on_duty):
    case = cases.to("handling", now=FRIDAY_EVENING)
    assert emergency_notices(case) == set() and sms() == []
    assert not EmergencyAlert.objects.exists()


def test_an_urgency_whose_policy_does_not_alert_alerts_nobody(cases, on_duty, gas):
    UrgencyPolicy.objects.filter(urgency="emergency").update(alert=False)
    case = cases.report(category=gas[0], urgency="emergency", now=FRIDAY_EVENING)
    assert emergency_notices(case) == set() and sms() == []


def test_the_proposed_department_hears_of_it_before_anyone_dispatches(
    cases, personas, on_duty, gas, django_capture_on_commit_callbacks
):
    category, condition = gas
    ResponsibilityRule.objects.create(
        kind="E",
        category=category,
        region=Region.objects.defer("geom").get(code="4413"),
        lead_department=personas["handler_department"],
        dispatch_level="city",
        auto_dispatch=False,
    )
    with django_capture_on_commit_callbacks(execute=True):
        case = cases.report(category=category, urgency="emergency", now=FRIDAY_EVENING)
        case = cases.act(case, "operator", "accept")
        case = cases.act(case, "shift_lead", "register", filing_condition=condition.pk)
    assert Case.objects.get(pk=case.pk).status == "to_dispatch"
    assert CaseRouting.objects.get(case=case).proposed_lead == personas["handler_department"]
    assert ("p-duty", "register") in emergency_notices(case)
    assert DUTY_PHONE in sms()
    # Dispatching to the proposed department does not alert its duty a second time.
    cases.act(case, "dispatcher", "dispatch", lead_department=personas["handler_department"].code)
    assert len([1 for user, _a in emergency_notices(case) if user == "p-duty"]) == 1
    assert sms().count(DUTY_PHONE) == 1


def test_a_redispatch_to_another_department_alerts_that_departments_duty(cases, personas, on_duty, gas):
    category, condition = gas
    other = Department.objects.exclude(pk=personas["handler_department"].pk).filter(active=True).first()
    other.duty_phone = "0752-2999999"
    other.save(update_fields=["duty_phone"])
    case = cases.report(category=category, urgency="emergency", now=FRIDAY_EVENING)
    case = cases.act(case, "operator", "accept")
    case = cases.act(case, "shift_lead", "register", filing_condition=condition.pk)
    case = cases.act(case, "dispatcher", "dispatch", lead_department=personas["handler_department"].code)
    case = cases.act(case, "handler", "request_return", note="不属于我单位")
    case = cases.act(case, "dispatcher", "approve_return")
    cases.act(case, "dispatcher", "dispatch", lead_department=other.code)
    assert sms().count("0752-2999999") == 1
    assert EmergencyAlert.objects.filter(case=case).count() == 3


def default_ladder():
    EscalationStep.objects.all().delete()
    EscalationStep.objects.create(percent=50, tell_department_leader=True, tell_district_command=True)
    EscalationStep.objects.create(percent=100, tell_city_command=True, lift_to_city=True, propose_supervision=True)


def test_an_emergency_escalates_within_minutes_on_the_sweep(cases, personas, gas, django_capture_on_commit_callbacks):
    """Accept limit 10 natural minutes from 20:00: warning 20:08, overdue 20:10, +50 % at 20:15, +100 % at 20:20."""
    default_ladder()
    case = cases.report(category=gas[0], urgency="emergency", now=FRIDAY_EVENING)
    levels = lambda: set(TimerMark.objects.filter(case=case).values_list("level", flat=True))  # noqa: E731

    timers_sweep(now=at(20, 14))
    assert levels() == {"warning", "overdue"}
    timers_sweep(now=at(20, 15))
    assert levels() == {"warning", "overdue", "escalation-50"}
    with django_capture_on_commit_callbacks(execute=True):  # the lift to the city follows the sweep's commit
        timers_sweep(now=at(20, 20))
    assert levels() == {"warning", "overdue", "escalation-50", "escalation-100"}
    assert CaseRouting.objects.get(case=case).escalated
    timers_sweep(now=at(20, 30))
    assert TimerMark.objects.filter(case=case).count() == 4


def test_an_emergencys_handling_escalates_within_the_hour(cases, personas, gas):
    """Handling 30 natural minutes from 20:20: overdue at 20:50, +50 % at 21:05, +100 % at 21:20 — the same night."""
    default_ladder()
    category, condition = gas
    case = cases.report(category=category, urgency="emergency", now=FRIDAY_EVENING)
    case = cases.act(case, "operator", "accept", now=at(20, 5))
    case = cases.act(case, "shift_lead", "register", filing_condition=condition.pk, now=at(20, 10))
    case = cases.act(
        case, "dispatcher", "dispatch", lead_department=personas["handler_department"].code, now=at(20, 20)
    )
    marks = TimerMark.objects.filter(case=case, stage="handling")
    timers_sweep(now=at(21, 4))
    assert set(marks.values_list("level", flat=True)) == {"warning", "overdue"}
    timers_sweep(now=at(21, 5))
    assert "escalation-50" in set(marks.values_list("level", flat=True))
    timers_sweep(now=at(21, 20))
    assert marks.get(level="escalation-100").due_at == at(21, 20)
    assert timedelta(hours=1) >= marks.get(level="escalation-100").due_at - at(20, 20)


def test_an_administrator_sets_a_departments_duty_phone_and_people_on_duty(admin_client, personas, on_duty):
    department = personas["handler_department"]
    page = admin_client.get(f"/admin/grids/department/{department.pk}/change/").content.decode()
    assert 'name="duty_phone"' in page and DUTY_PHONE in page and 'name="duty_users"' in page


def test_the_demo_handlers_are_on_duty_for_their_departments(huizhou_departments):
    from accounts import demo

    demo.seed()
    demo.seed()
    on_duty = {d.code: set(d.duty_users.values_list("username", flat=True)) for d in Department.objects.all()}
    assert on_duty["city-urban-management"] == {"handler"}
    assert on_duty["street-441302001"] == {"street-handler"}


# ---- the duty roster (值班表) decides who is on duty ----

ROSTER_PHONE = "0752-2188888"


def _rostered(department, username, starts, ends, phone=""):
    from grids.models import DutyShift

    person = user_posted(username=username, role=Role.HANDLER, department=department, phone="13900000099", email="")
    DutyShift.objects.create(user=person, department=department, starts_at=starts, ends_at=ends, phone=phone)
    return person


def _dispatched_emergency(cases, personas, gas):
    category, condition = gas
    case = cases.report(category=category, urgency="emergency", now=FRIDAY_EVENING)
    case = cases.act(case, "operator", "accept", now=at(20, 5))
    case = cases.act(case, "shift_lead", "register", filing_condition=condition.pk, now=at(20, 10))
    return cases.act(
        case, "dispatcher", "dispatch", lead_department=personas["handler_department"].code, now=at(20, 20)
    )


def test_the_people_rostered_at_that_moment_are_told_instead_of_the_standing_duty(cases, personas, on_duty, gas):
    department = personas["handler_department"]
    _rostered(department, "p-night", at(18, 0), at(23, 59), phone=ROSTER_PHONE)
    _rostered(department, "p-day", at(8, 0), at(18, 0))  # the shift before: not on duty at 20:20
    case = _dispatched_emergency(cases, personas, gas)
    assert emergency_notices(case) == {("p-shiftlead", "report"), ("p-night", "dispatch")}
    # The shift's duty phone gets its own SMS; the department's standing duty phone and people are not used.
    assert ROSTER_PHONE in sms() and DUTY_PHONE not in sms() and DUTY_USER_PHONE not in sms()
    assert EmergencyAlert.objects.get(case=case, department=department).phone == ROSTER_PHONE


def test_with_nobody_rostered_the_standing_duty_people_and_phone_are_told(cases, personas, on_duty, gas):
    _rostered(personas["handler_department"], "p-morning", at(8, 0), at(12, 0), phone=ROSTER_PHONE)
    case = _dispatched_emergency(cases, personas, gas)
    assert emergency_notices(case) == {("p-shiftlead", "report"), ("p-duty", "dispatch")}
    assert DUTY_PHONE in sms() and ROSTER_PHONE not in sms()
