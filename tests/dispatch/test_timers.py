"""The timer sweep fires warning, overdue and each escalation step once, at the right instants, as overlays.

Hand-computed on the real 2026 calendar (working periods 08:30–12:00 and 14:30–18:00): 暴露垃圾 (E0102),
normal urgency, area class 1, has 4 working hours. Dispatched Tue 2026-11-24 09:00, the handling stage runs
09:00–12:00 (3 h) and 14:30–15:30: deadline 15:30. The warning at 80 % (3 h 12 min) is at 14:42. The ladder
adds 50 % (2 h) → 17:30 the same day, and 100 % (4 h) → 15:30–18:00 plus 1 h 30 min → Wed 11-25 10:00.
"""

import json
from datetime import datetime, timedelta
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cases.clock import light_at, overdue_q
from cases.models import Case, CaseEvent, CaseTimer, Light
from dispatch.models import EscalationStep, TimerMark
from dispatch.services import timers
from dispatch.services.timers import timers_sweep
from dispatch.signals import timers_fired

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")
TIMER_ACTIONS = ["timer_warning", "timer_overdue", "timer_escalation"]

DISPATCHED = datetime(2026, 11, 24, 9, 0, tzinfo=SH)
WARNING_AT = datetime(2026, 11, 24, 14, 42, tzinfo=SH)
DEADLINE = datetime(2026, 11, 24, 15, 30, tzinfo=SH)
PLUS_50 = datetime(2026, 11, 24, 17, 30, tzinfo=SH)
PLUS_100 = datetime(2026, 11, 25, 10, 0, tzinfo=SH)
SECOND = timedelta(seconds=1)


def default_ladder():
    """The seeded ladder (+50 %: department leader and district; +100 %: city, lift, propose 督办).

    Transactional tests empty every table, the migration's seed included, so tests put it back themselves.
    """
    EscalationStep.objects.all().delete()
    EscalationStep.objects.create(percent=50, tell_department_leader=True, tell_district_command=True)
    EscalationStep.objects.create(percent=100, tell_city_command=True, lift_to_city=True, propose_supervision=True)


@pytest.fixture
def ladder(db):
    default_ladder()


@pytest.fixture
def handling(cases, ladder):
    """A case in handling since DISPATCHED, with the hand-computed clock above."""
    case = cases.to("handling", now=DISPATCHED)
    assert (case.stage_warn_at, case.stage_deadline, case.timer_due_at) == (WARNING_AT, DEADLINE, WARNING_AT)
    return case


def next_timer(case):
    """Where the sweep stands for the case: its timer's next instant (None when all fired or no clock runs)."""
    return CaseTimer.objects.filter(case_id=case.pk).values_list("due_at", flat=True).first()


def timer_events(case):
    return list(CaseEvent.objects.filter(case=case, action__in=TIMER_ACTIONS).order_by("id"))


def test_nothing_fires_before_the_warning_point(handling):
    result = timers_sweep(now=WARNING_AT - SECOND)
    assert result.cases == 0 and not result.fired
    assert timer_events(handling) == []


def test_warning_overdue_and_each_step_fire_once_at_their_instants(handling):
    expected = [
        (WARNING_AT, "warning", DEADLINE),
        (DEADLINE, "overdue", PLUS_50),
        (PLUS_50, "escalation-50", PLUS_100),
        (PLUS_100, "escalation-100", None),
    ]
    for now, level, next_due in expected:
        assert timers_sweep(now=now - SECOND).fired == {}
        result = timers_sweep(now=now)
        assert (result.cases, dict(result.fired)) == (1, {level: 1})
        assert next_timer(handling) == next_due
        assert timers_sweep(now=now).cases == 0  # idempotent: the timer moved on

    events = timer_events(handling)
    assert [e.data["level"] for e in events] == ["warning", "overdue", "escalation-50", "escalation-100"]
    assert [e.action for e in events] == ["timer_warning", "timer_overdue", "timer_escalation", "timer_escalation"]
    assert [e.at for e in events] == [WARNING_AT, DEADLINE, PLUS_50, PLUS_100]
    assert [e.data["percent"] for e in events] == [80, 100, 150, 200]
    for event in events:
        assert (event.from_status, event.to_status) == ("handling", "handling")
        assert (event.actor, event.actor_role) == (None, "system")
        assert (event.stage, event.stage_deadline, event.stage_met) == ("handling", DEADLINE, None)
        assert event.department == handling.lead_department
    assert events[2].data["notify"] == ["department_leader", "district_command"]
    assert events[3].data | {"notify": ["city_command"], "lift_to_city": True, "propose_supervision": True} == (
        events[3].data
    )
    marks = TimerMark.objects.filter(case=handling).order_by("id")
    assert [(m.level, m.due_at, m.event_id) for m in marks] == [(e.data["level"], e.at, e.pk) for e in events]
    assert {m.stage_started_at for m in marks} == {DISPATCHED}


def timer_overdue(case):
    return CaseTimer.objects.get(case_id=case.pk).overdue


def test_overdue_sets_the_timer_flag_but_never_touches_the_case_row(handling):
    before = Case.objects.values().get(pk=handling.pk)
    timers_sweep(now=WARNING_AT)
    assert timer_overdue(handling) is False
    timers_sweep(now=DEADLINE)
    assert timer_overdue(handling) is True
    assert Case.objects.values().get(pk=handling.pk) == before  # status, flag, updated_at: all the clock's
    # Every reader takes overdue from the running clock: red from the deadline on, in Python and as a filter.
    case = Case.objects.get(pk=handling.pk)
    assert (light_at(case, DEADLINE - SECOND), light_at(case, DEADLINE + SECOND)) == (Light.YELLOW, Light.RED)
    assert Case.objects.filter(overdue_q(DEADLINE + SECOND), pk=case.pk).exists()


def test_a_late_sweep_fires_every_missed_level_once_in_order(handling):
    result = timers_sweep(now=PLUS_100 + timedelta(days=3))
    assert dict(result.fired) == {"warning": 1, "overdue": 1, "escalation-50": 1, "escalation-100": 1}
    assert [e.data["level"] for e in timer_events(handling)] == [
        "warning",
        "overdue",
        "escalation-50",
        "escalation-100",
    ]
    due = [datetime.fromisoformat(e.data["due_at"]) for e in timer_events(handling)]
    assert due == [WARNING_AT, DEADLINE, PLUS_50, PLUS_100]
    assert next_timer(handling) is None
    assert timers_sweep(now=PLUS_100 + timedelta(days=4)).cases == 0


def test_a_second_sweep_finds_nothing_in_one_query(handling):
    timers_sweep(now=DEADLINE)
    with CaptureQueriesContext(connection) as queries:
        result = timers_sweep(now=DEADLINE)
    assert result.cases == 0
    # The claim, on a partial index; no ladder read when nothing is due (announcing is the follow-ups' work).
    assert len([q for q in queries if not q["sql"].startswith(("SAVEPOINT", "RELEASE"))]) == 1


def test_an_inactive_step_does_not_fire(handling):
    EscalationStep.objects.filter(percent=50).update(active=False)
    result = timers_sweep(now=PLUS_100)
    assert dict(result.fired) == {"warning": 1, "overdue": 1, "escalation-100": 1}


def test_a_stale_timer_fires_nothing_for_the_stage_the_case_has_left(handling, cases):
    case = cases.to("to_check", case=handling, now=WARNING_AT - timedelta(minutes=30))  # feedback at 14:12
    assert case.stage == "check"
    check_warning = case.stage_warn_at
    # As if a sweep had read the old handling timer: it points at the handling warning, the stage has moved on.
    Case.objects.filter(pk=case.pk).update(timer_due_at=WARNING_AT)
    result = timers_sweep(now=WARNING_AT)
    assert result.cases == 1 and not result.fired
    assert not TimerMark.objects.filter(case=case, stage="handling").exists()
    assert next_timer(case) == check_warning
    # The check stage's own timer still fires, for the check stage.
    timers_sweep(now=check_warning)
    assert [(m.stage, m.level) for m in TimerMark.objects.filter(case=case)] == [("check", "warning")]


def test_suspension_stops_the_timer_and_resume_restarts_it_without_repeating_the_warning(handling, cases):
    timers_sweep(now=WARNING_AT)
    case = cases.act(handling, "handler", "request_suspension", note="管线施工，需等待", now=WARNING_AT)
    case = cases.act(case, "dispatcher", "approve_suspension", now=WARNING_AT + timedelta(minutes=5))
    assert case.status == "suspended" and case.timer_due_at is None
    assert not CaseTimer.objects.filter(case_id=case.pk).exists()  # no clock runs: no timer row
    assert timers_sweep(now=PLUS_100 + timedelta(days=10)).cases == 0

    resumed_at = datetime(2026, 12, 7, 9, 0, tzinfo=SH)  # Monday; 43 working minutes were left
    case = cases.act(case, "dispatcher", "resume", now=resumed_at)
    assert case.timer_due_at == case.stage_warn_at == next_timer(case) == resumed_at  # past 80 %: due at once
    result = timers_sweep(now=resumed_at)
    assert result.cases == 1 and not result.fired  # the warning of this stage run fired before the suspension
    assert next_timer(case) == case.stage_deadline == datetime(2026, 12, 7, 9, 43, tzinfo=SH)
    assert dict(timers_sweep(now=case.stage_deadline).fired) == {"overdue": 1}


def test_an_extension_clears_overdue_and_the_new_deadline_raises_it_again_without_a_second_event(handling, cases):
    timers_sweep(now=DEADLINE)
    case = cases.act(handling, "handler", "request_extension", note="需要吊车", hours="2", now=DEADLINE)
    case = cases.act(case, "dispatcher", "approve_extension", now=DEADLINE)
    assert (case.overdue, case.stage_deadline) == (False, PLUS_50)
    assert timers_sweep(now=PLUS_50).fired == {}  # warning and overdue of this stage run happened already
    assert timer_overdue(case) is True
    assert [e.data["level"] for e in timer_events(case)] == ["warning", "overdue"]


def test_the_sweep_moves_the_timer_row_on_and_leaves_the_case_row_to_the_clock(handling, cases):
    timers_sweep(now=WARNING_AT)
    assert next_timer(handling) == DEADLINE
    assert Case.objects.get(pk=handling.pk).timer_due_at == WARNING_AT  # the clock's first instant, untouched
    # A transition that leaves the clock alone saves the case with its timer_due_at: the progress stays.
    case = cases.act(handling, "handler", "request_extension", note="需要吊车", hours="2", now=WARNING_AT)
    assert (case.stage_deadline, next_timer(case)) == (DEADLINE, DEADLINE)
    assert timers_sweep(now=WARNING_AT).cases == 0
    # A new stage sets the clock again: the timer starts over at the new stage's warning point.
    case = cases.act(case, "dispatcher", "reject_extension", note="不予延期", now=WARNING_AT)
    case = cases.to("to_check", case=case, now=DEADLINE - SECOND)
    assert case.stage == "check" and next_timer(case) == case.stage_warn_at


def test_an_ended_case_with_a_leftover_timer_is_dropped_from_the_sweep(handling):
    Case.objects.filter(pk=handling.pk).update(status="closed", stage="", stage_deadline=None, stage_warn_at=None)
    result = timers_sweep(now=PLUS_100)
    assert result.cases == 1 and not result.fired
    assert next_timer(handling) is None


def test_each_fired_level_is_announced_after_commit_and_the_last_step_lifts_the_case(
    handling, monkeypatch, django_capture_on_commit_callbacks
):
    received, lifted = [], []
    monkeypatch.setattr(
        "dispatch.services.routing.routing_escalate_many_to_city",
        lambda *, case_ids: lifted.extend(case_ids) or set(case_ids),
    )

    def receiver(sender, *, marks, **kwargs):
        received.extend(marks)

    timers_fired.connect(receiver, dispatch_uid="test-timer-fired")
    try:
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            timers_sweep(now=PLUS_100)
        assert received == []  # nothing before the commit
        for callback in callbacks:
            callback()
    finally:
        timers_fired.disconnect(dispatch_uid="test-timer-fired")
    assert [(r["level"], r["stage"], r["percent"]) for r in received] == [
        ("warning", "handling", 80),
        ("overdue", "handling", 100),
        ("escalation-50", "handling", 150),
        ("escalation-100", "handling", 200),
    ]
    assert [r["event_id"] for r in received] == [e.pk for e in timer_events(handling)]
    assert {r["case_id"] for r in received} == {handling.pk}
    assert received[2]["notify"] == ("department_leader", "district_command")
    assert (received[3]["lift_to_city"], received[3]["propose_supervision"]) == (True, True)
    assert lifted == [handling.pk]
    assert not TimerMark.objects.filter(case=handling, announced_at__isnull=True).exists()


def test_sweep_timers_command_prints_what_it_did(handling):
    out = StringIO()
    call_command("sweep_timers", "--now", DEADLINE.isoformat(), stdout=out)
    text = out.getvalue()
    assert "1 cases in 1 batches" in text
    assert "warning: 1" in text and "overdue: 1" in text
    out = StringIO()
    call_command("sweep_timers", "--now", DEADLINE.isoformat(), stdout=out)
    assert "nothing fired" in out.getvalue()


def test_beat_runs_the_sweep_task_every_timer_sweep_seconds_without_eta(settings, handling):
    from huizhou_cityops.celery import app

    entry = settings.CELERY_BEAT_SCHEDULE["dispatch-timers-sweep"]
    assert entry["task"] == "dispatch.timers_sweep" and entry["schedule"] == settings.TIMER_SWEEP_SECONDS
    assert "countdown" not in entry.get("options", {}) and "eta" not in entry.get("options", {})
    app.loader.import_default_modules()
    task = app.tasks["dispatch.timers_sweep"]
    summary = task.apply().get()  # runs in this process, as of the real now: every level of the case is due
    assert summary["cases"] == 1 and summary["fired"]["overdue"] == 1


def test_the_ladder_is_edited_in_the_admin(admin_client, ladder):
    page = admin_client.get("/admin/dispatch/escalationstep/")
    assert page.status_code == 200
    assert "+50 %" in page.content.decode() and "+100 %" in page.content.decode()


def test_the_event_data_text_is_what_json_would_write(ladder):
    """The sweep writes each event's data as text without encoding a dict per event: the same text, to the byte."""
    steps = list(EscalationStep.objects.order_by("percent"))
    odd_instant = datetime(2026, 11, 24, 15, 30, 0, 123, tzinfo=SH)
    levels = [
        timers.Level("warning", WARNING_AT, 80),
        timers.Level("overdue", odd_instant, 100),
        *(timers.Level(step.level, PLUS_50, 100 + step.percent, step) for step in steps),
    ]
    for level in levels:
        assert timers._event_json(level) == json.dumps(timers._event_data(level))
        assert json.loads(timers._event_json(level))["level"] == level.name
        due_at = timers._Instants()[level.due_at][1:-1]
        assert timers._event_json(level, due_at) == timers._event_json(level)


def test_the_batch_values_come_back_from_their_array_literals_unchanged():
    """The sweep sends each column as one array literal: quotes, backslashes, NULLs and instants survive it."""
    texts = ["plain", 'with "quotes"', "back\\slash", "/4413/441302/", "{braces},comma", "", "NULL", "空格 中文"]
    instants = [datetime(2026, 11, 24, 15, 30, 0, 123, tzinfo=SH), None, WARNING_AT]
    numbers = [1, None, 2**40]
    data = [json.dumps({"note": 'say "hi"\\', "n": 1})]
    element = timers._Instants()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT %s::varchar[], %s::timestamptz[], %s::bigint[], %s::jsonb[]",
            [
                timers._array(map(timers._text, texts)),
                timers._array(element[value] for value in instants),
                timers._array(map(timers._int, numbers)),
                timers._array(map(timers._text, data)),
            ],
        )
        got_texts, got_instants, got_numbers, got_data = cursor.fetchone()
    assert (got_texts, got_instants, got_numbers) == (texts, instants, numbers)
    assert [json.loads(value) for value in got_data] == [json.loads(data[0])]
