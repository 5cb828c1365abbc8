"""One stage clock, exact to the second: every consumer (service, sweep, panel, list, API, map) reads the same."""

from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from rest_framework.test import APIClient

from cases.clock import (
    Light,
    elapsed,
    hours_duration,
    is_overdue_at,
    light_at,
    light_q,
    overdue_q,
    remaining_at,
    stage_begin,
)
from cases.models import Case
from cases.selectors import case_list_for_user
from cases.worktime import work_calendar
from dispatch.models import TimerMark
from dispatch.services.timers import timers_sweep
from dispatch.templatetags.cityops_pages import case_clock

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")
US = timedelta(microseconds=1)


def at(*args):
    return datetime(*args, tzinfo=SH)


def _seven_minutes(case, start):
    """The case's stage restarted at `start` on a 7-minute working-time budget."""
    stage_begin(case, start, timedelta(minutes=7), "working")
    case.save()
    return Case.objects.get(pk=case.pk)


def test_a_seven_minute_limit_warns_at_5_min_36_s_in_every_consumer(cases, personas):
    start = at(2026, 11, 25, 10, 0, 0)  # a Wednesday morning, inside working hours
    case = _seven_minutes(cases.report(now=start), start)
    assert case.stage_warn_at == at(2026, 11, 25, 10, 5, 36) and case.stage_deadline == at(2026, 11, 25, 10, 7)
    before, warned = at(2026, 11, 25, 10, 5, 35), at(2026, 11, 25, 10, 5, 36)
    assert (light_at(case, before), light_at(case, warned)) == (Light.GREEN, Light.YELLOW)
    assert case_clock(case, warned)["light"] == Light.YELLOW and case_clock(case, before)["light"] == Light.GREEN
    yellow = case_list_for_user(user=personas["operator"], filters={"light": Light.YELLOW}, now=warned)
    assert list(yellow.values_list("pk", flat=True)) == [case.pk]
    assert not case_list_for_user(user=personas["operator"], filters={"light": Light.YELLOW}, now=before).exists()

    api = APIClient()
    api.force_authenticate(personas["operator"])
    deadlines = api.get(f"/api/v1/cases/{case.pk}/").json()["deadlines"]
    assert datetime.fromisoformat(deadlines["warn_at"]) == warned and deadlines["budget_seconds"] == 420

    timers_sweep(now=before)
    assert not TimerMark.objects.filter(case=case).exists()
    timers_sweep(now=warned)
    mark = TimerMark.objects.get(case=case)
    assert (mark.level, mark.due_at) == ("warning", warned)


@pytest.mark.parametrize(
    ("hours", "deadline", "expected"),
    [
        # 11:30 + 1.01 h: 30 min to noon, lunch, then 30 min 36 s from 14:30.
        (Decimal("1.01"), at(2026, 11, 27, 11, 30), at(2026, 11, 27, 15, 0, 36)),
        # Friday 17:00 + 2.5 h: 1 h to 18:00, the weekend, then 1.5 h from Monday 08:30.
        (Decimal("2.5"), at(2026, 11, 27, 17, 0), at(2026, 11, 30, 10, 0)),
        # Friday 11:00 + 2.5 h across lunch: 1 h to noon, 1.5 h from 14:30.
        (Decimal("2.5"), at(2026, 11, 27, 11, 0), at(2026, 11, 27, 16, 0)),
    ],
)
def test_an_extension_moves_the_deadline_by_exactly_its_working_hours(cases, hours, deadline, expected):
    approved_at = at(2026, 11, 27, 9, 0)
    case = cases.to("handling", now=approved_at - timedelta(hours=1))
    budget = case.stage_budget
    Case.objects.filter(pk=case.pk).update(stage_deadline=deadline, stage_warn_at=deadline - timedelta(minutes=5))
    cases.act(case, "handler", "request_extension", note="需更多时间", hours=str(hours), now=approved_at)
    case = cases.act(case, "dispatcher", "approve_extension", now=approved_at)
    assert case.stage_deadline == expected
    exact = timedelta(seconds=int(hours * 3600))  # 1.01 h = 3636 s
    assert hours_duration(hours) == exact
    assert work_calendar().working_time_between(deadline, case.stage_deadline) == exact
    assert case.stage_budget == budget + exact


@pytest.mark.parametrize("overdue", [False, True])
def test_suspend_then_resume_keeps_the_remaining_time_to_the_second(cases, overdue):
    start = at(2026, 11, 23, 9, 0)  # Monday
    case = cases.to("handling", now=start)
    paused_at = (case.stage_deadline + timedelta(hours=26, seconds=37) if overdue else start) + timedelta(
        seconds=20, microseconds=500_000
    )
    expected = elapsed(start=paused_at, now=case.stage_deadline, clock=case.stage_clock)
    cases.act(case, "handler", "request_suspension", note="等待产权单位", now=paused_at)
    case = cases.act(case, "dispatcher", "approve_suspension", now=paused_at)
    assert case.stage_remaining == expected and (expected < timedelta(0)) == overdue
    assert expected % timedelta(minutes=1) != timedelta(0)  # not a whole number of minutes: nothing to floor away
    resumed_at = paused_at + timedelta(days=7, seconds=13)
    case = cases.act(case, "dispatcher", "resume", now=resumed_at)
    assert elapsed(start=resumed_at, now=case.stage_deadline, clock=case.stage_clock) == expected
    assert remaining_at(case, resumed_at) == expected


def test_a_suspended_overdue_case_is_red_in_the_panel_the_list_the_api_and_the_map(cases, personas):
    start = at(2026, 11, 23, 9, 0)
    case = cases.to("handling", now=start)
    late = case.stage_deadline + timedelta(days=1)
    cases.act(case, "handler", "request_suspension", note="等待产权单位", now=late)
    case = cases.act(case, "dispatcher", "approve_suspension", now=late)
    assert case.stage_deadline is None and case.stage_remaining < timedelta(0)

    dispatcher = Client(HTTP_ACCEPT_LANGUAGE="en")
    dispatcher.force_login(personas["dispatcher"])
    assert 'class="clock clock-red"' in dispatcher.get(f"/command/cases/{case.pk}/").content.decode()
    box = f"{cases.lon - 0.01},{cases.lat - 0.01},{cases.lon + 0.01},{cases.lat + 0.01}"
    markers = dispatcher.get(f"/command/map/cases/?bbox={box}").json()["cases"]
    assert [(m["id"], m["light"]) for m in markers] == [(case.pk, "red")]

    api = APIClient()
    api.force_authenticate(personas["operator"])
    listed = api.get("/api/v1/cases/?light=red").json()["results"]
    assert [(c["id"], c["light"], c["overdue"]) for c in listed] == [(case.pk, "red", True)]
    assert api.get(f"/api/v1/cases/{case.pk}/").json()["light"] == "red"
    assert not api.get("/api/v1/cases/?light=green").json()["results"]


def _row(case, **fields):
    Case.objects.filter(pk=case.pk).update(**fields)
    return Case.objects.get(pk=case.pk)


def test_the_python_light_and_the_queryset_filters_agree_on_every_kind_of_clock(cases):
    now = at(2026, 11, 25, 10, 0)
    minute = timedelta(minutes=1)
    running = {"stage_remaining": None, "overdue": False}
    made = {
        "running": _row(cases.report(), stage_deadline=now + 9 * minute, stage_warn_at=now + minute, **running),
        "warned": _row(cases.report(), stage_deadline=now + minute, stage_warn_at=now - minute, **running),
        "warning now": _row(cases.report(), stage_deadline=now + minute, stage_warn_at=now, **running),
        "due now": _row(cases.report(), stage_deadline=now, stage_warn_at=now - minute, **running),
        "overdue": _row(cases.report(), stage_deadline=now - US, stage_warn_at=now - minute, **running),
        "overdue, flag kept": _row(
            cases.report(),
            stage_deadline=now - minute,
            stage_warn_at=now - 2 * minute,
            stage_remaining=None,
            overdue=True,
        ),
        "suspended in time": _row(
            cases.report(), status="suspended", stage_deadline=None, stage_warn_at=None, stage_remaining=minute
        ),
        "suspended overdue": _row(
            cases.report(),
            status="suspended",
            stage_deadline=None,
            stage_warn_at=None,
            stage_remaining=-minute,
            overdue=True,
        ),
        "suspended after hours past the deadline": _row(
            cases.report(), stage_deadline=None, stage_warn_at=None, stage_remaining=timedelta(0), overdue=True
        ),
        "stopped": _row(cases.report(), stage="", stage_deadline=None, stage_warn_at=None, stage_remaining=None),
    }
    expected = {
        "running": Light.GREEN,
        "warned": Light.YELLOW,
        "warning now": Light.YELLOW,
        "due now": Light.YELLOW,
        "overdue": Light.RED,
        "overdue, flag kept": Light.RED,
        "suspended in time": None,
        "suspended overdue": Light.RED,
        "suspended after hours past the deadline": Light.RED,
        "stopped": None,
    }
    assert {name: light_at(case, now) for name, case in made.items()} == expected
    ids = [case.pk for case in made.values()]
    for light in Light:
        filtered = set(Case.objects.filter(pk__in=ids).filter(light_q(light, now)).values_list("pk", flat=True))
        assert filtered == {case.pk for case in made.values() if light_at(case, now) == light}, light
    overdue = set(Case.objects.filter(pk__in=ids).filter(overdue_q(now)).values_list("pk", flat=True))
    assert overdue == {case.pk for case in made.values() if is_overdue_at(case, now)}
