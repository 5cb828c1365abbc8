"""Case deadlines against hand-computed examples on the real 2026 calendar (7-hour working day)."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from cases.clock import light_at
from cases.models import Category, FilingCondition

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")


def at(*args):
    return datetime(*args, tzinfo=SH)


def test_penalty_limit_runs_across_national_day_and_its_make_up_saturday(cases, personas):
    """私搭乱建 · 立案处罚: 7 working days = 49 working hours, dispatched Wed 2026-09-30 16:00.

    By hand: 2 h on 09-30; 10-01..10-07 holiday; 10-08 Thu 7 h (9), 10-09 Fri 7 h (16), 10-10 Sat is the
    make-up working day 7 h (23); 10-11 Sun off; 10-12 (30), 10-13 (37), 10-14 (44); the last 5 h end on
    Thu 10-15 at 16:00. The warning at 80 % (39 h 12 min) falls on 10-14 at 10:42.
    """
    category = Category.objects.get(kind="E", code="0101")
    condition = FilingCondition.objects.get(category=category, name="立案处罚")
    start = at(2026, 9, 30, 9, 0)
    case = cases.to("to_register", case=cases.report(category=category, now=start), now=start)
    case = cases.act(case, "shift_lead", "register", filing_condition=condition.pk, urgency="normal", now=start)
    case = cases.act(
        case, "dispatcher", "dispatch", lead_department=personas["handler_department"].code, now=at(2026, 9, 30, 16, 0)
    )
    assert case.region.area_class == "1"
    assert case.stage == "handling" and case.stage_budget == timedelta(hours=49)
    assert case.stage_deadline == at(2026, 10, 15, 16, 0)
    assert case.stage_warn_at == at(2026, 10, 14, 10, 42)
    assert light_at(case, at(2026, 10, 14, 10, 41)) == "green"
    assert light_at(case, at(2026, 10, 14, 10, 42)) == "yellow"
    assert light_at(case, at(2026, 10, 15, 16, 1)) == "red"


def test_acceptance_step_reported_after_hours_is_due_next_morning(cases):
    """受理 0.5 working hour, reported Wed 2026-11-25 17:50: 10 min today, 20 min from 08:30 Thursday."""
    case = cases.report(now=at(2026, 11, 25, 17, 50))
    assert case.stage == "accept" and case.stage_deadline == at(2026, 11, 26, 8, 50)


def test_missing_manhole_cover_runs_on_natural_hours(cases, personas):
    category = Category.objects.get(kind="C", code="0101")
    condition = FilingCondition.objects.filter(category=category, clock="natural").first()
    saturday_night = at(2026, 11, 28, 22, 0)
    case = cases.to("to_register", case=cases.report(category=category, now=saturday_night), now=saturday_night)
    case = cases.act(
        case, "shift_lead", "register", filing_condition=condition.pk, urgency="normal", now=saturday_night
    )
    case = cases.act(
        case, "dispatcher", "dispatch", lead_department=personas["handler_department"].code, now=saturday_night
    )
    assert case.stage_clock == "natural"
    assert case.stage_deadline == at(2026, 11, 29, 0, 0)
