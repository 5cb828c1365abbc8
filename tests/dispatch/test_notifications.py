"""Who is told of what: new work in a queue, decisions, stage timers; once per event however often it arrives."""

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import Role
from cases.models import CaseEvent
from dispatch.models import Notification, OutboxMessage, TimerMark
from dispatch.signals import timers_fired
from tests.factories.accounts import user_posted

pytestmark = pytest.mark.django_db


def told(event, kind=None):
    rows = Notification.objects.filter(event=event)
    if kind:
        rows = rows.filter(kind=kind)
    return set(rows.values_list("user__username", flat=True))


def last_event(case, action=None):
    events = CaseEvent.objects.filter(case=case)
    return (events.filter(action=action) if action else events).latest("id")


@pytest.fixture
def live(django_capture_on_commit_callbacks):
    """Run after-commit work (signals, notifications) as it would run outside the test's transaction."""

    def run(function, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return function(*args, **kwargs)

    return run


def test_each_step_of_the_loop_tells_whoever_works_the_next_queue(cases, personas, live, photo):
    case = live(cases.report)
    assert told(last_event(case), "work") == {"p-operator"}  # reported: the operators over the grid
    case = live(cases.act, case, "operator", "accept")
    assert told(last_event(case)) == {"p-shiftlead"}  # to register: shift leads
    case = live(cases.to, "to_dispatch", case)
    assert told(last_event(case)) == {"p-district-dispatcher"}  # to dispatch: the district's command centre
    case = live(cases.to, "handling", case)
    assert told(last_event(case)) == {"p-handler"}  # handling: the lead department's handlers
    case = live(cases.to, "to_check", case)
    assert told(last_event(case)) == {"p-operator"}
    case = live(cases.act, case, "operator", "request_check", assignee=personas["grid_worker"].username)
    assert told(last_event(case)) == {"p-gridworker"}  # checking: the grid worker sent on site
    case = live(cases.act, case, "grid_worker", "check", passed=False)
    assert told(last_event(case)) == {"p-handler"}  # rework goes back to the department
    # Nobody is told of their own action, and only the urgent kinds leave by email.
    assert not Notification.objects.filter(user=personas["grid_worker"], event__action="report").exists()
    assert not OutboxMessage.objects.exists()


def test_a_case_the_city_dispatches_goes_to_the_city_command_centre(cases, personas, live, huizhou_grid):
    from dispatch.models import CommandLevel, ResponsibilityRule

    ResponsibilityRule.objects.create(
        category=cases.category,
        kind=cases.category.kind,
        region=huizhou_grid.city,
        lead_department=personas["handler_department"],
        dispatch_level=CommandLevel.CITY,
    )
    case = live(cases.to, "to_dispatch")
    assert told(last_event(case, "register")) == {"p-dispatcher"}


def test_verification_is_work_for_the_assigned_grid_worker(cases, personas, live):
    case = cases.report(actor=personas["operator"], source="public", contact_name="李先生")
    case = live(cases.act, case, "operator", "request_verification", assignee=personas["grid_worker"].username)
    assert told(last_event(case)) == {"p-gridworker"}


def test_requests_go_to_their_approvers_and_decisions_back_to_the_requester(cases, personas, live, settings):
    settings.LANGUAGE_CODE = "en"  # notifications are written in the site language; read them in English here
    case = cases.to("handling")
    live(cases.act, case, "handler", "request_extension", note="材料未到", hours="4")
    ask = last_event(case, "request_extension")
    assert told(ask) == {"p-district-dispatcher"}
    live(cases.act, case, "dispatcher", "approve_extension", note="同意")
    decision = last_event(case, "approve_extension")
    assert told(decision, "decision") == {"p-handler"}
    assert "approved" in Notification.objects.get(event=decision).title

    live(cases.act, case, "handler", "request_return", note="不属我单位")
    live(cases.act, case, "dispatcher", "reject_return", note="属你单位")
    rejected = last_event(case, "reject_return")
    assert told(rejected) == {"p-handler"} and Notification.objects.get(event=rejected).kind == "decision"
    assert "rejected" in Notification.objects.get(event=rejected).title


def test_a_second_run_of_the_same_follow_up_changes_nothing(cases, personas, live):
    from dispatch.services.followup import HANDLERS, Work

    case = live(cases.to, "handling")
    event = last_event(case, "dispatch")
    before = (Notification.objects.count(), OutboxMessage.objects.count())
    for attempt in (2, 3):  # a rerun after a lost acknowledgement, twice
        work = Work(0, "notify_transition", {"action": "dispatch"}, case.pk, event.pk, attempt)
        HANDLERS["notify_transition"](work)
    assert (Notification.objects.count(), OutboxMessage.objects.count()) == before
    assert told(event) == {"p-handler"}


def _timer_event(case, level, action):
    return CaseEvent.objects.create(
        case=case,
        action=action,
        from_status=case.status,
        to_status=case.status,
        actor_role="system",
        at=timezone.now(),
        data={"level": level},
        stage=case.stage,
        stage_deadline=case.stage_deadline,
        department=case.lead_department,
        region_path=case.region_path,
    )


def fire(case, level, percent, **kwargs):
    action = {"warning": "timer_warning", "overdue": "timer_overdue"}.get(level, "timer_escalation")
    event = _timer_event(case, level, action)
    fields = {"notify": (), "lift_to_city": False, "propose_supervision": False, **kwargs}
    for _ in range(2):  # at least once: the second announcement must change nothing
        timers_fired.send(
            sender=TimerMark,
            marks=[
                {
                    "mark_id": 0,
                    "case_id": case.pk,
                    "event_id": event.pk,
                    "level": level,
                    "stage": case.stage,
                    "percent": percent,
                    **fields,
                }
            ],
        )
    return event


def test_warning_and_overdue_tell_the_department_and_its_command_centre(cases, personas):
    case = cases.to("handling")
    warning = fire(case, "warning", 80)
    assert told(warning, "warning") == {"p-handler", "p-district-dispatcher"}
    assert not OutboxMessage.objects.filter(notification__event=warning).exists()  # a warning is in-app only
    overdue = fire(case, "overdue", 100)
    assert told(overdue, "overdue") == {"p-handler", "p-district-dispatcher"}
    # Overdue is urgent: an email each (the personas have addresses, no phones).
    assert OutboxMessage.objects.filter(notification__event=overdue, channel="email").count() == 2
    assert Notification.objects.filter(event=overdue).count() == 2


def test_an_overdue_centre_step_tells_whose_queue_it_is(cases, personas):
    case = cases.to("to_register")
    assert told(fire(case, "overdue", 100)) == {"p-shiftlead"}


def test_escalation_follows_the_ladder_step_and_a_proposed_order_reaches_the_leaders(cases, personas, settings):
    settings.LANGUAGE_CODE = "en"  # notifications are written in the site language; read them in English here
    case = cases.to("handling")
    event = fire(case, "escalation-100", 200, notify=("city_command",), propose_supervision=True)
    assert told(event, "escalation") == {"p-dispatcher", "p-leader"}
    assert "supervision order" in Notification.objects.filter(event=event).first().body
    district = fire(case, "escalation-50", 150, notify=("district_command", "department_leader"))
    assert told(district) == {"p-district-dispatcher", "p-leader"}


def test_an_escalation_step_naming_nobody_reaches_leaders_and_the_city_centre(cases, personas):
    case = cases.to("handling")
    assert told(fire(case, "escalation-50", 150)) == {"p-leader", "p-dispatcher"}


def test_sms_only_to_people_with_a_phone_and_email_only_with_an_address(cases, personas, huizhou_departments):
    department = personas["handler_department"]
    user_posted(username="p-phone-only", role=Role.HANDLER, department=department, email="", phone="13800138000")
    user_posted(username="p-nothing", role=Role.HANDLER, department=department, email="")
    case = cases.to("handling")
    event = fire(case, "overdue", 100)
    outbox = set(OutboxMessage.objects.filter(notification__event=event).values_list("recipient", "channel"))
    assert ("13800138000", "sms") in outbox
    assert {r for r, _c in outbox if "p-nothing" in r} == set()
    assert "p-nothing" in told(event)  # in-app always
    sms = OutboxMessage.objects.get(channel="sms")
    assert case.number in sms.body and sms.state == "pending"


def test_the_real_timer_sweep_notifies_through_the_signal(cases, personas, live):
    from dispatch.services.timers import timers_sweep

    case = cases.to("handling")
    live(timers_sweep, now=case.stage_deadline + timezone.timedelta(minutes=1))
    assert told(last_event(case, "timer_warning"), "warning") == {"p-handler", "p-district-dispatcher"}
    assert told(last_event(case, "timer_overdue"), "overdue") == {"p-handler", "p-district-dispatcher"}


# ---- the inbox API ----


def client_for(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_the_inbox_lists_your_notifications_with_the_unread_count_and_marks_them_read(cases, personas):
    case = cases.to("handling")
    fire(case, "warning", 80)
    fire(case, "overdue", 100)
    handler = client_for(personas["handler"])
    body = handler.get("/api/v1/notifications/").json()
    assert body["unread_count"] == 2 and [n["kind"] for n in body["results"]] == ["overdue", "warning"]
    first = body["results"][0]
    assert first["case"]["number"] == case.number and first["read_at"] is None

    assert client_for(personas["dispatcher"]).post(f"/api/v1/notifications/{first['id']}/read/").status_code == 404
    marked = handler.post(f"/api/v1/notifications/{first['id']}/read/")
    assert marked.status_code == 200 and marked.json()["read_at"]
    assert handler.get("/api/v1/notifications/").json()["unread_count"] == 1
    assert [n["kind"] for n in handler.get("/api/v1/notifications/?unread=true").json()["results"]] == ["warning"]

    assert handler.post("/api/v1/notifications/read-all/").json() == {"marked": 1, "unread_count": 0}
    assert APIClient().get("/api/v1/notifications/").status_code == 401


def _marks_for(cases_in_handling):
    levels = [("warning", 80, {}), ("overdue", 100, {}), ("escalation-50", 150, {"notify": ("department_leader",)})]
    marks = []
    for case in cases_in_handling:
        for level, percent, fields in levels:
            event = _timer_event(case, level, "timer_escalation" if fields else f"timer_{level}")
            base = {"notify": (), "lift_to_city": False, "propose_supervision": False}
            marks.append(
                {"mark_id": 0, "case_id": case.pk, "event_id": event.pk, "level": level, "stage": case.stage}
                | {"percent": percent, **base, **fields}
            )
    return marks


def test_a_batch_of_timer_marks_costs_the_same_queries_for_2_and_12_cases(cases, personas):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from dispatch.notifications.services import notify_timers

    counts = {}
    for n in (2, 12):
        marks = _marks_for([cases.to("handling") for _ in range(n)])
        with CaptureQueriesContext(connection) as queries:
            notify_timers(marks=marks)
        counts[n] = len(queries)
        events = {mark["event_id"] for mark in marks}
        # Every mark told its people: handlers and the district centre, and the department's leader for the step.
        assert Notification.objects.filter(event_id__in=events).count() == n * (2 + 2 + 1)
        assert OutboxMessage.objects.filter(notification__event_id__in=events).count() == n * (2 + 1)
    assert counts[2] == counts[12], counts
