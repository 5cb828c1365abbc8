"""`seed_demo`'s workload: every demo account opens a non-empty queue, read with the selectors its page uses."""

from collections import Counter
from datetime import timedelta

import pytest
from django.db import transaction
from django.test import TestCase
from django.utils import timezone

from accounts.models import User
from accounts.surfaces import ASSESSMENT, COMMAND, DEPARTMENT, MOBILE
from assessment.models import AssessmentRun, UnitResult
from assessment.periods import span_containing
from assessment.selectors import period_results
from cases.clock import light_at
from cases.models import FINAL_STATUSES, Case, CaseEvent, CaseRequest, RequestState, Status
from cases.views.mobile_selectors import case_list_for_my_tasks
from dispatch.models import CaseRouting, OrderState, SupervisionOrder
from dispatch.pages.selectors import command_queue_counts, department_board_for_user
from dispatch.selectors import dispatch_queue_for_user
from grids.models import Region

CASES = 700
EVERY_STATUS = {
    "reported", "verifying", "to_register", "to_dispatch", "handling", "return_pending", "suspend_pending",
    "suspended", "to_check", "checking", "to_close", "void_pending", "closed", "not_accepted", "voided",
    "self_closed", "not_registered",
}  # fmt: skip

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker, reference_data):
    """The demo's departments, people, responsibility list and workload, rolled back after the module; the
    after-commit work (routing receivers, the sweep's lifts and notices) runs as it would at commit."""
    from accounts import demo as accounts_demo
    from devtools import demo as workload
    from dispatch import demo as dispatch_demo
    from grids.services.departments import departments_seed_huizhou

    with django_db_blocker.unblock(), transaction.atomic():
        departments_seed_huizhou()
        accounts_demo.seed()
        dispatch_demo.seed()
        with TestCase.captureOnCommitCallbacks(execute=True):
            summary = workload.seed(cases=CASES)
        yield summary
        transaction.set_rollback(True)


def user(name):
    return User.objects.get(username=name)


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


def test_an_emergency_was_filed_urgent_and_dispatched(seeded):
    emergency = Case.objects.get(idempotency_key="demo:emergency")
    assert emergency.category.code.startswith("04") and emergency.kind == "E"
    assert emergency.urgency == "urgent" and emergency.status == Status.HANDLING
    actions = list(CaseEvent.objects.filter(case=emergency).order_by("id").values_list("action", flat=True))
    assert actions == ["report", "accept", "register", "dispatch"]


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
