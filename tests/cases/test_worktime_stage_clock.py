"""A stage's clock: suspension (挂账) stops it, extensions add working time, and the light follows the share used."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from cases.clock import (
    NATURAL,
    WORKING,
    Light,
    clock_of,
    deadline_for,
    light_at,
    limit_duration,
    remaining_at,
    stage_begin,
    stage_extend,
    stage_pause,
    stage_resume,
    used_at,
)
from tests.cases.test_worktime_arithmetic import CAL, at

H = timedelta(hours=1)
START = at(2026, 9, 29, 8, 30)
SUSPENDED = (at(2026, 9, 29, 10), at(2026, 10, 8, 10))


@dataclass
class Row:
    """The clock's fields of a case, without a database."""

    stage_clock: str = WORKING
    stage_budget: timedelta | None = None
    stage_deadline: datetime | None = None
    stage_warn_at: datetime | None = None
    stage_remaining: timedelta | None = None
    timer_due_at: datetime | None = None
    overdue: bool = False


def running(budget, *, start=START, clock=WORKING, suspensions=(), calendar=CAL):
    row = Row()
    stage_begin(row, start, budget, clock, calendar=calendar)
    for paused, resumed in suspensions:
        stage_pause(row, paused, calendar=calendar)
        if resumed is not None:
            stage_resume(row, resumed, calendar=calendar)
    return row


def test_four_working_hours_from_tuesday_morning():
    budget = limit_duration(start=START, value=4, unit="working_hour", clock="working", calendar=CAL)
    row = running(budget)
    assert row.stage_deadline == at(2026, 9, 29, 15)
    assert row.stage_warn_at == row.timer_due_at == at(2026, 9, 29, 11, 42)  # 80 % of 4 h = 3 h 12 min


def test_a_suspension_across_national_day_stops_the_clock_and_it_resumes_where_it_stopped():
    # 1.5 h used before 10:00 on 29 Sep; 2.5 h left after resuming at 10:00 on 8 Oct: 2 h to noon, 0.5 h after lunch.
    paused = running(4 * H, suspensions=[(SUSPENDED[0], None)])
    assert used_at(paused, at(2026, 10, 5), calendar=CAL) == 1.5 * H
    row = running(4 * H, suspensions=[SUSPENDED])
    assert row.stage_deadline == at(2026, 10, 8, 15)
    assert row.stage_warn_at == at(2026, 10, 8, 11, 42)


def test_the_light_is_green_below_80_percent_yellow_to_100_and_red_beyond():
    row = running(4 * H, suspensions=[SUSPENDED])
    assert light_at(row, at(2026, 10, 8, 11)) == Light.GREEN  # 2.5 h = 62.5 %
    assert light_at(row, at(2026, 10, 8, 11, 45)) == Light.YELLOW  # 3.25 h = 81 %
    assert used_at(row, at(2026, 10, 8, 11, 45), calendar=CAL) / row.stage_budget == 0.8125
    assert light_at(row, at(2026, 10, 8, 15)) == Light.YELLOW  # exactly 100 %
    late = at(2026, 10, 8, 15, 1)
    assert (light_at(row, late), remaining_at(row, late, calendar=CAL)) == (Light.RED, -timedelta(minutes=1))


def test_after_hours_past_the_deadline_is_red_although_no_working_time_passes():
    row = running(7 * H, suspensions=[SUSPENDED])
    assert row.stage_deadline == at(2026, 10, 8, 18)
    assert light_at(row, at(2026, 10, 8, 18)) == Light.YELLOW
    evening = at(2026, 10, 8, 18, 30)
    assert used_at(row, evening, calendar=CAL) == row.stage_budget and light_at(row, evening) == Light.RED


def test_while_suspended_there_is_no_deadline_and_no_running_light():
    row = running(4 * H, suspensions=[(at(2026, 9, 29, 10), None)])
    now = at(2026, 9, 30, 17)
    assert row.stage_deadline is None and row.stage_warn_at is None and row.timer_due_at is None
    assert (used_at(row, now, calendar=CAL), remaining_at(row, now), light_at(row, now)) == (1.5 * H, 2.5 * H, None)


def test_a_case_overdue_before_its_suspension_stays_red():
    row = running(H, suspensions=[(at(2026, 9, 29, 10), None)])
    assert row.stage_remaining == -0.5 * H and row.overdue
    assert light_at(row, at(2026, 10, 1)) == Light.RED


def test_a_case_past_its_deadline_after_hours_is_red_while_suspended_with_nothing_negative_left():
    row = running(7 * H, start=at(2026, 9, 29, 8, 30), suspensions=[(at(2026, 9, 29, 19), None)])
    assert row.stage_remaining == timedelta(0) and light_at(row, at(2026, 9, 30, 9)) == Light.RED


def test_two_suspensions_add_up():
    # Paused 08:30–09:00 and 10:00 (29 Sep)–10:00 (8 Oct): 1 h used before, 3 h from 10:00 on 8 Oct.
    row = running(4 * H, suspensions=[(START, at(2026, 9, 29, 9)), SUSPENDED])
    assert row.stage_deadline == at(2026, 10, 8, 15, 30)


def test_an_approved_extension_adds_working_time():
    row = running(4 * H, suspensions=[SUSPENDED])
    stage_extend(row, SUSPENDED[1], 2 * H, calendar=CAL)
    assert row.stage_budget == 6 * H and row.stage_deadline == at(2026, 10, 8, 17)
    assert light_at(row, at(2026, 10, 8, 15, 30)) == Light.GREEN  # 4.5 of 6 h = 75 %


def test_a_natural_hour_limit_runs_7x24_and_needs_no_calendar():
    start = at(2026, 10, 1, 3)
    clock = clock_of(unit="natural_hour", clock="working")
    budget = limit_duration(start=start, value=2, unit="natural_hour", clock=clock)
    row = running(budget, start=start, clock=clock, suspensions=[(at(2026, 10, 1, 3, 30), at(2026, 10, 1, 4))])
    assert clock == NATURAL
    assert row.stage_deadline == at(2026, 10, 1, 5, 30)
    assert light_at(row, at(2026, 10, 1, 5)) == Light.GREEN  # 1.5 h = 75 %
    assert light_at(row, at(2026, 10, 1, 5, 10)) == Light.YELLOW
    assert light_at(row, at(2026, 10, 1, 5, 31)) == Light.RED


def test_working_day_limits_become_working_time_from_the_start():
    start = at(2026, 9, 30, 16)
    budget = limit_duration(start=start, value=3, unit="working_day", clock="working", calendar=CAL)
    assert budget == 21 * H
    assert running(budget, start=start).stage_deadline == at(2026, 10, 10, 16)
    assert deadline_for(start=start, value=3, unit="working_day", clock="working", calendar=CAL) == at(2026, 10, 10, 16)
