"""The command centre's tab counts come from counters kept by triggers on the cases: they equal a recount with the
tabs' own filters (dispatch.queues.queue_q) after every kind of change, at any instant, for every scope.

Seeded random walks drive the real services on the real database: histories of offered actions (returns,
extensions, suspensions, voids, rework, 改派), escalations to the city, supervision orders issued and withdrawn,
compactions of the counters; after each step every persona's counts are compared with the recount now and in five
days (when the running clocks are overdue), and the recount finds no drift. (Seeded rather than Hypothesis: what
is offered depends on the database, which the examples share, so Hypothesis would find its draws "flaky".)
"""

import random
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.db import connection
from django.db.models import Count
from django.http import Http404
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cases.models import Case, FilingCondition, Source, Urgency
from cases.permissions import case_allowed_actions
from cases.selectors import pending_requests
from cases.services import case_transition
from cases.workflow import ACTIONS
from dispatch.models import QueueCount, SupervisionOrder
from dispatch.queue_counts import count_roots, queue_counts_for_user
from dispatch.queues import QUEUES, queue_q
from dispatch.services.counts import queue_counts_compact, queue_counts_recount
from dispatch.services.orders import order_issue, order_withdraw
from huizhou_cityops.errors import ConflictError
from tests.dispatch.boards import client_for
from tests.fixtures.cases import jpeg_upload

pytestmark = pytest.mark.django_db

# /command/: the session, its user and postings, the tab counts (one statement), the list's first page, the filters'
# categories, regions and departments, the map's extent, the top bar's unread notices: the same at any size.
COMMAND_PAGE_QUERIES = 11
PERSONAS = (
    "grid_worker",
    "operator",
    "shift_lead",
    "dispatcher",
    "district_dispatcher",
    "handler",
    "street_handler",
    "leader",
)
WATCHERS = ("dispatcher", "district_dispatcher", "handler", "grid_worker", "outsider", "operator")


def recount(user, now):
    """The tab counts as the lists define them: one aggregate over the user's open cases."""
    aggregates = {q.key: Count("pk", filter=queue_q(q.key, now)) for q in QUEUES}
    return Case.objects.visible_to(user).open().aggregate(**aggregates)


def assert_counts_agree(world, *, later=timedelta(days=5)):
    now = timezone.now()
    for persona in WATCHERS:
        for instant in (now, now + later):
            assert queue_counts_for_user(user=world[persona], now=instant) == recount(world[persona], instant), (
                persona,
                instant,
            )
    assert queue_counts_recount(repair=False).keys == 0


def _params(rng, world, case, name):
    """Valid parameters for action `name` on `case`, drawn from `rng` (both outcomes and sizes occur)."""
    params = {}
    for param in ACTIONS[name].params:
        if param.name == "assignee":
            params["assignee"] = world["grid_worker"].username
        elif param.name in ("result", "passed", "parts_missing"):
            params[param.name] = rng.random() < 0.5
        elif param.name == "master":
            params["master"] = world["master"].number
        elif param.name == "filing_condition":
            conditions = FilingCondition.objects.filter(category=case.category, active=True).order_by("pk")
            params["filing_condition"] = rng.choice(list(conditions)).pk
        elif param.name == "urgency":
            params["urgency"] = rng.choice(Urgency.values)
        elif param.name == "lead_department":
            current = case.lead_department.code if name == "redispatch" and case.lead_department_id else None
            params["lead_department"] = rng.choice([code for code in world["departments"] if code != current])
        elif param.name == "assisting_departments":
            params["assisting_departments"] = []
        elif param.name == "hours":
            params["hours"] = Decimal(rng.choice(["0.5", "1.01", "8", "30"]))
        elif param.name == "enforcement_body":
            params["enforcement_body"] = "city-urban-enforcement"
        elif param.name == "violation":
            params["violation"] = "占道经营"
        else:  # a new parameter needs a valid value here
            raise AssertionError(f"no valid value known for parameter {param.name}")
    return params


def _offered_action(rng, world, case_id):
    case = Case.objects.prefetch_related("requests").get(pk=case_id)
    pending = pending_requests(case)
    choices = [(p, a) for p in PERSONAS for a in case_allowed_actions(user=world[p], case=case, pending=pending)]
    if not choices:
        return
    persona, name = rng.choice(choices)
    case = Case.objects.get(pk=case_id)
    spec = ACTIONS[name]
    case_transition(
        case_id=case_id,
        actor=world[persona],
        action=name,
        note="计数测试",
        params=_params(rng, world, case, name),
        photos=[jpeg_upload()] if spec.needs_photo else (),
    )


def _other_change(rng, world, case_id):
    """An escalation, a supervision order issued or withdrawn, or a compaction of the counters."""
    from dispatch.services.routing import routing_escalate_to_city

    kind = rng.choice(["escalate", "order", "withdraw", "compact"])
    try:
        if kind == "escalate":
            routing_escalate_to_city(case_id=case_id)
        elif kind == "order":
            order_issue(case_id=case_id, actor=world["leader"], note="三日内回复", reply_hours=4)
        elif kind == "withdraw":
            for order in SupervisionOrder.objects.filter(case_id=case_id):
                order_withdraw(order_id=order.pk, actor=world["leader"])
        else:
            # At the real instant: compaction folds the minutes that have passed for good.
            queue_counts_compact()
    except (PermissionDenied, Http404, ConflictError):
        pass


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(4))
def test_the_counters_equal_a_recount_after_every_kind_of_change(cases, personas, seed):
    """Random walks through the workflow's transition table (every action offered to any persona), with the
    other writers in between; after every step the counters equal the recount."""
    from accounts.models import Posting

    rng = random.Random(seed)
    street_department = Posting.objects.get(user=personas["street_handler"]).department
    world = {
        **personas,
        "dispatcher_leader": personas["leader"],
        "departments": [personas["handler_department"].code, street_department.code],
        "master": cases.report(description="同一堆垃圾，较早的报告"),
    }
    for _walk in range(3):
        source = rng.choice([Source.GRID_WORKER, Source.HOTLINE_12345])
        actor = {} if source == Source.GRID_WORKER else {"actor": personas["operator"]}
        case = cases.report(source=source, **actor)
        for _step in range(14):
            if rng.random() < 0.75:
                _offered_action(rng, world, case.pk)
            else:
                _other_change(rng, world, case.pk)
            assert_counts_agree(world)


def test_the_counters_follow_the_main_path_step_by_step(cases, personas):
    case = cases.report()
    assert_counts_agree(personas)
    for status in ("to_register", "to_dispatch", "handling", "to_check", "checking", "to_close", "closed"):
        case = cases.to(status, case=case)
        assert_counts_agree(personas)
    assert queue_counts_for_user(user=personas["dispatcher"], now=timezone.now())["all"] == 0


def test_a_district_user_counts_only_its_districts_cases(cases, personas):
    cases.to("to_dispatch")
    outsider_counts = queue_counts_for_user(user=personas["outsider"], now=timezone.now())
    district_counts = queue_counts_for_user(user=personas["district_dispatcher"], now=timezone.now())
    assert district_counts["to_dispatch"] == 1
    assert outsider_counts["to_dispatch"] == 0
    assert outsider_counts == recount(personas["outsider"], timezone.now())
    assert count_roots(personas["district_dispatcher"]) != [""]


def test_a_case_is_counted_overdue_from_its_deadline_to_the_microsecond(cases, personas):
    case = cases.to("to_dispatch")
    case.refresh_from_db()
    user = personas["district_dispatcher"]
    for instant in (case.stage_deadline - timedelta(microseconds=1), case.stage_deadline):
        assert queue_counts_for_user(user=user, now=instant)["overdue"] == 0
    for after in (timedelta(microseconds=1), timedelta(seconds=59), timedelta(minutes=1), timedelta(days=3)):
        assert queue_counts_for_user(user=user, now=case.stage_deadline + after)["overdue"] == 1
    # Folded into the always-counted key long after, it stays counted.
    queue_counts_compact(now=case.stage_deadline + timedelta(hours=1))
    assert queue_counts_for_user(user=user, now=case.stage_deadline + timedelta(hours=2))["overdue"] == 1


def test_the_recount_reports_drift_and_repairs_it(cases, personas, capsys):
    cases.to("handling")
    queue_counts_compact()
    QueueCount.objects.filter(path="", queue="handling").update(n=7)
    drift = queue_counts_recount(repair=False)
    assert drift.keys == 1 and drift.city == {"handling": 6}
    call_command("queue_counts")
    assert "handling +6" in capsys.readouterr().out
    assert queue_counts_recount(repair=False).keys == 0
    assert_counts_agree(personas)


def test_a_bulk_update_of_many_cases_keeps_the_counters(cases, personas):
    for _ in range(3):
        cases.to("handling")
    # A statement that changes many rows at once (an import, a repair by hand) is one set-based trigger call.
    Case.objects.filter(status="handling").update(supervised=True)
    assert_counts_agree(personas)
    Case.objects.filter(status="handling").update(status="to_check")
    assert_counts_agree(personas)


def test_the_counts_endpoint_and_the_page_cost_a_fixed_number_of_queries(cases, personas):
    client = client_for(personas["dispatcher"])
    cases.to("handling")
    # The session and its user, the user's postings, the counts.
    with CaptureQueriesContext(connection) as few:
        assert client.get("/command/counts/").status_code == 200
    for _ in range(5):
        cases.to("to_dispatch")
    with CaptureQueriesContext(connection) as many:
        response = client.get("/command/counts/")
    assert len(few) == len(many) == 4
    assert response.json()["counts"]["to_dispatch"] == 5
    counted = [q["sql"] for q in many.captured_queries if "dispatch_queuecount" in q["sql"]]
    assert len(counted) == 1 and "cases_case" in counted[0]  # the current minute's deadlines, same statement
    # The page reads the counts in that one statement too, and its query count does not grow with the cases.
    with CaptureQueriesContext(connection) as page:
        assert client.get("/command/").status_code == 200
    assert sum("dispatch_queuecount" in q["sql"] for q in page.captured_queries) == 1
    for _ in range(5):
        cases.to("handling")
    with CaptureQueriesContext(connection) as more:
        assert client.get("/command/").status_code == 200
    assert len(page) == len(more) == COMMAND_PAGE_QUERIES


def test_a_bulk_load_keeps_the_counters(reference_data):
    """seed_load COPYs its cases with the triggers of other tables off: the counters' triggers still run."""
    from accounts import demo as accounts_demo
    from grids.services.departments import departments_seed_huizhou

    departments_seed_huizhou()
    accounts_demo.seed()
    now = timezone.now()
    call_command("seed_load", cases=300, seed=11, now=now, force=True, batch=120, open_share=0.5, overdue=5)
    assert Case.objects.open().exists()
    assert queue_counts_recount(repair=False).keys == 0
    for instant in (now, now + timedelta(hours=5), now + timedelta(days=30)):
        assert queue_counts_for_user(user=_superuser(), now=instant) == recount(_superuser(), instant)


def _superuser():
    from accounts.models import User

    return User.objects.filter(is_superuser=True).first() or User.objects.create_superuser("counts-admin", "", "x")
