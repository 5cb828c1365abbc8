"""A stage's clock: suspension (挂账) stops it, extensions add working time, and the light follows the share used."""

from datetime import timedelta

from cases.worktime import Light, StageClock
from tests.cases.test_worktime_arithmetic import CAL, at

H = timedelta(hours=1)
START = at(2026, 9, 29, 8, 30)
SUSPENDED = (at(2026, 9, 29, 10), at(2026, 10, 8, 10))


def test_four_working_hours_from_tuesday_morning():
    clock = StageClock.for_limit(started_at=START, value=4, unit="working_hour", clock="working", calendar=CAL)
    assert clock.deadline(calendar=CAL) == at(2026, 9, 29, 15)
    assert clock.warning_at(calendar=CAL) == at(2026, 9, 29, 11, 42)  # 80 % of 4 h = 3 h 12 min


def test_a_suspension_across_national_day_stops_the_clock_and_it_resumes_where_it_stopped():
    # 1.5 h used before 10:00 on 29 Sep; 2.5 h left after resuming at 10:00 on 8 Oct: 2 h to noon, 0.5 h after lunch.
    clock = StageClock(started_at=START, limit=4 * H, suspensions=(SUSPENDED,))
    assert clock.deadline(calendar=CAL) == at(2026, 10, 8, 15)
    assert clock.warning_at(calendar=CAL) == at(2026, 10, 8, 11, 42)
    assert clock.used(now=at(2026, 10, 5), calendar=CAL) == 1.5 * H


def test_the_light_is_green_below_80_percent_yellow_to_100_and_red_beyond():
    clock = StageClock(started_at=START, limit=4 * H, suspensions=(SUSPENDED,))
    assert clock.status(now=at(2026, 10, 8, 11), calendar=CAL).light == Light.GREEN  # 2.5 h = 62.5 %
    status = clock.status(now=at(2026, 10, 8, 11, 45), calendar=CAL)  # 3.25 h = 81 %
    assert (status.light, round(status.fraction, 4)) == (Light.YELLOW, 0.8125)
    assert clock.status(now=at(2026, 10, 8, 15), calendar=CAL).light == Light.YELLOW  # exactly 100 %
    late = clock.status(now=at(2026, 10, 8, 15, 1), calendar=CAL)
    assert (late.light, late.overdue, late.remaining) == (Light.RED, True, -timedelta(minutes=1))


def test_after_hours_past_the_deadline_is_red_although_no_working_time_passes():
    clock = StageClock(started_at=START, limit=7 * H, suspensions=(SUSPENDED,))
    assert clock.deadline(calendar=CAL) == at(2026, 10, 8, 18)
    assert clock.status(now=at(2026, 10, 8, 18), calendar=CAL).light == Light.YELLOW
    status = clock.status(now=at(2026, 10, 8, 18, 30), calendar=CAL)
    assert status.used == status.budget and status.light == Light.RED and status.overdue


def test_while_suspended_there_is_no_deadline_and_the_light_holds():
    clock = StageClock(started_at=START, limit=4 * H, suspensions=((at(2026, 9, 29, 10), None),))
    status = clock.status(now=at(2026, 9, 30, 17), calendar=CAL)
    assert status.paused and status.deadline is None and status.warning_at is None
    assert (status.used, status.remaining, status.light) == (1.5 * H, 2.5 * H, Light.GREEN)


def test_a_case_overdue_before_its_suspension_stays_red():
    clock = StageClock(started_at=START, limit=H, suspensions=((at(2026, 9, 29, 10), None),))
    status = clock.status(now=at(2026, 10, 1), calendar=CAL)
    assert status.deadline == at(2026, 9, 29, 9, 30)
    assert status.light == Light.RED and status.paused


def test_overlapping_and_early_suspensions_count_once():
    clock = StageClock(
        started_at=START,
        limit=4 * H,
        suspensions=((at(2026, 9, 28, 9), at(2026, 9, 29, 9)), SUSPENDED, (at(2026, 9, 30, 9), at(2026, 10, 8, 9))),
    )
    # Paused 08:30–09:00 and 10:00 (29 Sep)–10:00 (8 Oct): 1 h used before, 3 h from 10:00 on 8 Oct.
    assert clock.deadline(calendar=CAL) == at(2026, 10, 8, 15, 30)


def test_an_approved_extension_adds_working_time():
    clock = StageClock(started_at=START, limit=4 * H, suspensions=(SUSPENDED,), extensions=(2 * H,))
    assert clock.deadline(calendar=CAL) == at(2026, 10, 8, 17)
    assert clock.status(now=at(2026, 10, 8, 15, 30), calendar=CAL).light == Light.GREEN  # 4.5 of 6 h = 75 %


def test_a_natural_hour_limit_runs_7x24_and_needs_no_calendar():
    start = at(2026, 10, 1, 3)
    clock = StageClock.for_limit(
        started_at=start,
        value=2,
        unit="natural_hour",
        clock="working",
        suspensions=[(at(2026, 10, 1, 3, 30), at(2026, 10, 1, 4))],
    )
    assert clock.clock == "natural"
    assert clock.deadline() == at(2026, 10, 1, 5, 30)
    assert clock.status(now=at(2026, 10, 1, 5)).light == Light.GREEN  # 1.5 h = 75 %
    assert clock.status(now=at(2026, 10, 1, 5, 10)).light == Light.YELLOW
    assert clock.status(now=at(2026, 10, 1, 5, 31)).light == Light.RED


def test_working_day_limits_become_working_time_from_the_start():
    clock = StageClock.for_limit(
        started_at=at(2026, 9, 30, 16), value=3, unit="working_day", clock="working", calendar=CAL
    )
    assert clock.limit == 21 * H
    assert clock.deadline(calendar=CAL) == at(2026, 10, 10, 16)
