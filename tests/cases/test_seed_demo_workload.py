"""`seed_demo`'s workload: every demo account opens a non-empty queue, read with the selectors its page uses,
and has notifications in its inbox; both dispatchers' queues hold whatever the hour or weekday it is played at."""

from collections import Counter
from contextlib import contextmanager
from datetime import datetime, time, timedelta

import pytest
from django.db import transaction
from django.test import TestCase
from django.utils import timezone

from accounts.models import User
from accounts.surfaces import ASSESSMENT, COMMAND, DEPARTMENT, MOBILE
from assessment.models import AssessmentRun, UnitResult
from assessment.periods import span_containing
from assessment.selectors import period_results
from cases.clock import NATURAL, escalation_at, light_at
from cases.models import FINAL_STATUSES, Case, CaseEvent, CaseRequest, RequestState, Status, Summons
from cases.views.mobile_selectors import case_list_for_my_tasks
from dispatch.models import CaseRouting, EmergencyAlert, Notification, NotificationKind, OrderState, SupervisionOrder
from dispatch.notifications.selectors import notification_unread_count
from dispatch.pages.selectors import command_queue_counts, department_board_for_user
from dispatch.selectors import dispatch_queue_for_user
from grids.models import Region

CASES = 700
EVERY_STATUS = {
    "reported", "verifying", "to_register", "to_dispatch", "handling", "return_pending", "suspend_pending",
    "suspended", "to_check", "checking", "to_close", "void_pending", "closed", "not_accepted", "voided",
    "self_closed", "not_registered",
}  # fmt: skip

# Every demo account but the administrator finds notifications; the assessor's work (the scored month) is not a
# case event, so nothing in the inbox is theirs.
NOTIFIED = ("gridworker", "operator", "shiftlead", "dispatcher", "district-dispatcher", "handler", "street-handler",
            "leader")  # fmt: skip
SHANGHAI = timezone.get_fixed_timezone(8 * 60)

pytestmark = pytest.mark.django_db


@contextmanager
def demo_loaded(cases, now=None):
    """The demo's departments, people, responsibility list and workload, rolled back afterwards; the after-commit
    work (routing receivers, notifications, the sweep's lifts and notices) runs as it would at commit."""
    from accounts import demo as accounts_demo
    from devtools import demo as workload
    from dispatch import demo as dispatch_demo
    from grids.services.departments import departments_seed_huizhou

    with transaction.atomic():
        departments_seed_huizhou()
        accounts_demo.seed()
        dispatch_demo.seed()
        with TestCase.captureOnCommitCallbacks(execute=True):
            summary = workload.seed(cases=cases, now=now)
        assert not summary.startswith("workload kept"), "another demo workload is still loaded"
        yield summary
        transaction.set_rollback(True)


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker, reference_data):
    with django_db_blocker.unblock(), demo_loaded(CASES) as summary:
        yield summary


def user(name):
    return User.objects.get(username=name)


def last(weekday, at):
    """The latest past instant that is `weekday` (Monday 0) at local time `at` in Huizhou."""
    today = timezone.now().astimezone(SHANGHAI).date()
    day = today - timedelta(days=(today.weekday() - weekday) % 7)
    instant = datetime.combine(day, at, tzinfo=SHANGHAI)
    return instant if instant < timezone.now() else instant - timedelta(weeks=1)


# Runs before the module's shared workload is loaded (demo_loaded refuses to load over another one).
@pytest.mark.parametrize(
    ("weekday", "at"),
    [(0, time(8, 10)), (5, time(3, 0)), (4, time(17, 50)), (2, time(10, 30))],
    ids=["mon-0810", "sat-0300", "fri-1750", "wed-1030"],
)
def test_both_dispatch_queues_hold_cases_at_any_hour(weekday, at):
    now = last(weekday, at)
    with demo_loaded(40, now=now):
        city = list(dispatch_queue_for_user(user=user("dispatcher")))
        district = list(dispatch_queue_for_user(user=user("district-dispatcher")))
        assert city and district
        assert all(c.routing.level == "city" for c in city)
        huicheng = Region.objects.defer("geom").get(code="441302").path
        assert all(c.region_path.startswith(huicheng) and c.routing.level == "district" for c in district)
        # The shift's fresh cases are among them; a case waiting a week was lifted to the city, not dispatched.
        keys = {c.idempotency_key for c in district}
        assert {"demo:live-district-1", "demo:live-district-2"} <= keys
        assert {"demo:live-city-1", "demo:live-city-2", "demo:live-late-1"} <= {c.idempotency_key for c in city}
        assert Case.objects.get(idempotency_key="demo:emergency").stage_clock == NATURAL
        for name in NOTIFIED:
            assert notification_unread_count(user=user(name)) >= 3, name


def test_every_status_and_every_light_is_there(seeded):
    cases = list(Case.objects.filter(idempotency_key__startswith="demo:"))
    assert len(cases) >= CASES
    assert {c.status for c in cases} >= EVERY_STATUS
    now = timezone.now()
    lights = Counter(light_at(c, now) for c in cases if c.status not in FINAL_STATUSES)
    assert lights["green"] and lights["yellow"] and lights["red"]
    pending = set(CaseRequest.objects.filter(state=RequestState.PENDING).values_list("kind", flat=True))
    assert {"return", "suspension", "void", "extension"} <= pending
    # Reported over the last six weeks (a few long-suspended ones earlier), none in the future.
    recent = [c for c in cases if c.created_at >= now - timedelta(weeks=6, days=1)]
    assert len(recent) > 0.9 * len(cases)
    assert max(c.created_at for c in cases) <= now


def test_an_emergency_was_filed_and_dispatched_on_natural_time_and_alerted(seeded):
    emergency = Case.objects.get(idempotency_key="demo:emergency")
    assert emergency.category.code.startswith("04") and emergency.kind == "E"
    assert emergency.urgency == "emergency" and emergency.status == Status.HANDLING
    assert emergency.source == "hotline_12345" and emergency.work_order_number
    actions = list(CaseEvent.objects.filter(case=emergency).order_by("id").values_list("action", flat=True))
    assert actions[:4] == ["report", "accept", "register", "dispatch"]
    assert all(action.startswith("timer_") for action in actions[4:])  # minutes on its clock: warned already
    now = timezone.now()
    assert now - timedelta(minutes=45) < emergency.created_at < now - timedelta(minutes=35)
    # Natural time in minutes: its handling is due within hours, whatever day of the week it is.
    assert emergency.stage_clock == NATURAL
    assert emergency.stage_deadline - emergency.stage_started_at < timedelta(hours=12)
    # The shift lead and the lead department's people on duty were alerted (inbox; the duty phone by SMS).
    alerts = EmergencyAlert.objects.filter(case=emergency)
    assert set(alerts.values_list("department_id", flat=True)) == {None, emergency.lead_department_id}
    assert all(alert.users for alert in alerts)
    shift_lead = Notification.objects.filter(user=user("shiftlead"), case=emergency, kind=NotificationKind.EMERGENCY)
    assert shift_lead.exists()
    on_duty = emergency.lead_department.duty_users.values("pk")
    assert Notification.objects.filter(user__in=on_duty, case=emergency, kind=NotificationKind.EMERGENCY).exists()
    # 桥东街道 assists on the ground and hears of its part.
    assert emergency.assisting_departments.filter(code="street-441302001").exists()


def test_orders_are_open_and_replied(seeded):
    states = set(SupervisionOrder.objects.values_list("state", flat=True))
    assert {OrderState.OPEN, OrderState.REPLIED} <= states


def test_the_operator_and_the_shift_lead_have_work(seeded):
    now = timezone.now()
    for name in ("operator", "shiftlead"):
        assert COMMAND.opens_for(user(name))
    assert command_queue_counts(user=user("operator"), now=now)["reported"] > 0
    counts = command_queue_counts(user=user("shiftlead"), now=now)
    assert counts["to_register"] > 0 and counts["to_close"] > 0 and counts["approvals"] > 0


def test_both_dispatchers_have_cases_in_their_own_levels_queue(seeded):
    city = dispatch_queue_for_user(user=user("dispatcher"))
    district = dispatch_queue_for_user(user=user("district-dispatcher"))
    assert city.exists() and district.exists()
    assert all(c.routing.level == "city" for c in city)
    huicheng = Region.objects.defer("geom").get(code="441302").path
    assert all(c.region_path.startswith(huicheng) for c in district)


def test_the_city_centre_has_an_escalated_district_case_to_take_over(seeded):
    city = list(dispatch_queue_for_user(user=user("dispatcher")))
    escalated = [c for c in city if c.routing.escalated and c.command_level == "district"]
    assert escalated
    # Lifted only past the ladder's lifting step (+100 % of the limit past the deadline), as the sweep does; a
    # case merely overdue stays in its district's queue.
    now = timezone.now()
    waiting = Case.objects.filter(status=Status.TO_DISPATCH, stage_deadline__isnull=False).select_related("routing")
    lifting_at = {
        c.pk: (escalation_at(deadline=c.stage_deadline, budget=c.stage_budget, percent=100, clock=c.stage_clock), c)
        for c in waiting
    }
    assert all(lifting_at[c.pk][0] <= now for c in escalated)
    overdue_only = [c for at, c in lifting_at.values() if c.stage_deadline <= now < at]
    assert all(not c.routing.escalated for c in overdue_only)


def test_a_case_was_redispatched_and_urged(seeded):
    case = Case.objects.get(idempotency_key="demo:live-redispatch-1")
    actions = list(CaseEvent.objects.filter(case=case).order_by("id").values_list("action", flat=True))
    assert actions == ["report", "accept", "register", "dispatch", "redispatch", "urge"]
    redispatch = CaseEvent.objects.get(case=case, action="redispatch")
    assert redispatch.note and redispatch.data["previous"] == "huicheng-urban-management"
    assert case.lead_department.code == "street-441302001" and case.status == Status.HANDLING
    kinds = set(Notification.objects.filter(case=case).values_list("kind", flat=True))
    assert {NotificationKind.REDISPATCH, NotificationKind.URGE} <= kinds


def test_the_demo_street_has_facilities_with_owners_and_a_live_case_names_one_owner_first(seeded):
    from grids.models import DepartmentKind, Facility

    inventory = Facility.objects.filter(region_path__startswith="/4413/441302/441302001/")
    assert inventory.count() >= 200 and not inventory.exclude(class_code="0114").filter(owner__isnull=True).exists()
    assert inventory.filter(maintainer__kind=DepartmentKind.CONTRACTOR).count() >= 20
    case = Case.objects.select_related("facility__owner").get(idempotency_key="demo:live-facility-1")
    routing = CaseRouting.objects.select_related("proposed_lead").get(case=case)
    assert routing.basis == "owner" and routing.proposed_lead == case.facility.owner


def test_the_street_office_assists_and_the_city_bureau_is_summoned(seeded):
    now = timezone.now()
    street = department_board_for_user(user=user("street-handler"), now=now)
    assert street.counts["assist"] > 0
    handler = department_board_for_user(user=user("handler"), now=now)
    assert handler.counts["whistle"] > 0
    summons = Summons.objects.get(case__idempotency_key="demo:live-assist-1")
    assert summons.department.code == "city-urban-management"
    assert summons.whistle.department.code == "street-441302001"


def test_reports_came_in_by_every_channel(seeded):
    demo = Case.objects.filter(idempotency_key__startswith="demo:")
    assert {"grid_worker", "public", "hotline_12345", "counter", "media"} <= set(demo.values_list("source", flat=True))
    transfers = demo.filter(source="hotline_12345")
    assert transfers.exists() and not transfers.filter(work_order_number="").exists()
    assert transfers.filter(callback_requested=True).exists() and transfers.filter(callback_requested=False).exists()
    assert not demo.exclude(source="hotline_12345").exclude(work_order_number="").exists()
    # The operator's desk has fresh calls of each channel waiting to be accepted.
    desk = demo.filter(status=Status.REPORTED, idempotency_key__startswith="demo:live-")
    assert {"hotline_12345", "counter", "media"} <= set(desk.values_list("source", flat=True))


def test_every_demo_account_but_the_administrator_has_unread_notifications(seeded):
    for name in NOTIFIED:
        assert notification_unread_count(user=user(name)) >= 3, name
    assert not Notification.objects.filter(user=user("admin")).exists()


def test_handlers_have_cases_in_handling(seeded):
    now = timezone.now()
    for name in ("handler", "street-handler"):
        assert DEPARTMENT.opens_for(user(name))
        board = department_board_for_user(user=user(name), now=now)
        assert sum(board.counts.values()) > 0, name
        assert any(c.status == Status.HANDLING for cases in board.groups.values() for c in cases)


def test_the_grid_worker_has_tasks_in_their_community(seeded):
    worker = user("gridworker")
    assert MOBILE.opens_for(worker)
    tasks = list(case_list_for_my_tasks(user=worker))
    assert {Status.VERIFYING, Status.CHECKING} <= {t.status for t in tasks}
    home = worker.postings.get().region.path
    assert all(t.region_path.startswith(home) for t in tasks)


def test_the_leader_sees_overdue_escalated_and_supervised_cases(seeded):
    counts = command_queue_counts(user=user("leader"), now=timezone.now())
    assert counts["overdue"] > 0 and counts["supervised"] > 0
    assert CaseRouting.objects.filter(escalated=True).exists()


def test_the_auditor_sees_last_month_scored(seeded):
    assert ASSESSMENT.opens_for(user("auditor"))
    span = span_containing("month", timezone.localdate()).previous()
    run = AssessmentRun.objects.get(period_kind="month", period_start=span.first)
    assert UnitResult.objects.filter(run=run, score__isnull=False).exists()
    results = period_results(span=span, subjects=["department"])
    assert results.run == run


def test_a_second_run_keeps_the_workload(seeded):
    from devtools import demo as workload

    before = Case.objects.count()
    assert workload.seed(cases=CASES).startswith("workload kept")
    assert Case.objects.count() == before


def test_the_street_is_cut_into_unit_grids_that_two_networks_share(seeded):
    from grids.models import Level, Network, PatrolArea, UnitGridLayer

    street = "441302001"
    communities = Region.objects.filter(parent__code=street, level=Level.COMMUNITY).count()
    assert UnitGridLayer.objects.filter(current=True, community__parent__code=street).count() == communities
    # The shift's reports were made after the cut: located in unit grids.
    live = Case.objects.filter(
        idempotency_key__startswith="demo:live-", region_path__startswith=f"/4413/441302/{street}/"
    )
    assert live.filter(region__level=Level.UNIT).exists()
    assert not live.filter(region__level=Level.COMMUNITY).exists()
    city = PatrolArea.objects.get(network=Network.CITY_MANAGEMENT, workers__username="gridworker")
    order = PatrolArea.objects.get(network=Network.PUBLIC_ORDER, community=city.community)
    shared = set(city.unit_grids.values_list("pk", flat=True)) & set(order.unit_grids.values_list("pk", flat=True))
    assert shared and not order.workers.filter(username="gridworker").exists() and order.workers.exists()


def test_the_roster_covers_now_and_the_grid_worker_is_on_patrol_in_their_community(seeded):
    from grids.models import DutyShift, PatrolSession, Region

    now = timezone.now()
    on_now = DutyShift.objects.filter(starts_at__lte=now, ends_at__gt=now)
    units = set(on_now.values_list("department__code", flat=True))
    assert units == {"huicheng-urban-management", "street-441302001", None}  # None: the command centre
    patrol = PatrolSession.objects.get(user=user("gridworker"), ended_at__isnull=True)
    assert patrol.points > 150 and patrol.distance_m > 3000
    assert patrol.started_at < patrol.last_seen_at < now and now - patrol.started_at < timedelta(hours=3)
    assert Region.objects.get(code="441302001001").geom.covers(patrol.last_point)


def test_the_12345_platform_posted_two_open311_requests_waiting_to_be_accepted(seeded):
    from cases.models import Open311Client

    client = Open311Client.objects.get(name="12345 政务服务平台")
    posted = Case.objects.filter(open311_request__client=client)
    assert posted.count() == 2
    assert set(posted.values_list("status", "source")) == {(Status.REPORTED, "other_system")}
    assert set(posted.values_list("created_by", flat=True)) == {client.user_id}
    assert "Open311 client 12345 政务服务平台 with 2 requests" in seeded


def test_the_public_portal_has_cases_in_every_state_and_the_callback_queue_has_work(seeded):
    from dispatch.models import PublicFollow, token_digest
    from dispatch.selectors import callback_queue_for_user

    follows = {
        token: PublicFollow.objects.select_related("case").get(token_digest=token_digest(token))
        for token in ("demo-received", "demo-handling", "demo-closed", "demo-dissatisfied")
    }
    assert follows["demo-received"].case.status == "reported" and follows["demo-received"].phone_verified_at
    assert follows["demo-handling"].case.status == "handling"
    assert follows["demo-closed"].case.status == "closed" and follows["demo-closed"].rated_at is None
    assert all(f.case.source == "public" for f in follows.values())
    queue = {c.pk: c for c in callback_queue_for_user(user=user("operator"))}
    assert follows["demo-dissatisfied"].case.pk in queue and queue[follows["demo-dissatisfied"].case.pk].dissatisfied
    assert sum(1 for c in queue.values() if c.source == "hotline_12345" and c.callback_requested) >= 2


def test_sensing_detections_made_cases_and_some_wait_for_the_operator(seeded):
    from cases.models import SensingEvent
    from cases.selectors import sensing_waiting_list_for_user

    assert "sensing: 3 sources" in seeded
    assert Case.objects.filter(source="sensor").exists()
    assert SensingEvent.objects.filter(outcome="merged").exists()
    assert len(sensing_waiting_list_for_user(user=user("operator"))) >= 2


def test_the_enforcement_chains_wait_at_different_steps_for_their_people(seeded):
    from cases.enforcement_selectors import enforcement_list_for_user, open_tasks_for_departments, pending_penalties
    from cases.models import EnforcementState

    states = set(enforcement_list_for_user(user=user("enforcer")).values_list("state", flat=True))
    assert {EnforcementState.TRANSFERRED, EnforcementState.COLLABORATING, EnforcementState.LISTED} <= states
    assert EnforcementState.FED_BACK in states
    street = user("street-handler").postings.get().department_id
    assert open_tasks_for_departments(department_ids=[street]).exists()
    assert pending_penalties(user=user("leader")).exists()
