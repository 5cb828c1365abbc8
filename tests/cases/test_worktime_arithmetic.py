"""Working-time arithmetic against hand-computed deadlines around real 2026 holidays (no database)."""

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from cases.clock import deadline_for, elapsed, limit_duration
from cases.worktime import CalendarError, Period, WorkCalendar, holiday_rows_from_package

TZ = ZoneInfo("Asia/Shanghai")
H = timedelta(hours=1)


def at(y, m, d, hh=0, mm=0):
    return datetime(y, m, d, hh, mm, tzinfo=TZ)


def huizhou_2026(**kwargs):
    """08:30–12:00 + 14:30–18:00 (7 h a day) with the State Council's 2026 schedule from chinese_calendar."""
    rows = holiday_rows_from_package(year=2026)
    return WorkCalendar(overrides={r.date: r.kind == "workday" for r in rows}, known_years=[2026], **kwargs)


CAL = huizhou_2026()


def test_the_package_gives_the_2026_national_day_schedule_used_below():
    assert not any(CAL.is_working_day(date(2026, 10, d)) for d in range(1, 8))
    assert CAL.is_working_day(date(2026, 9, 20))  # Sunday, make-up working day
    assert CAL.is_working_day(date(2026, 10, 10))  # Saturday, make-up working day
    assert not CAL.is_working_day(date(2026, 10, 11))
    assert not CAL.is_working_day(date(2026, 9, 25))  # Mid-autumn Festival, a Friday


def test_three_working_days_from_the_eve_of_national_day_end_on_the_make_up_saturday():
    # 30 Sep 16:00–18:00 = 2 h; 1–7 Oct off; 8 Oct 7 h (9); 9 Oct 7 h (16); Sat 10 Oct: 08:30–12:00 (19.5),
    # then 1.5 h from 14:30 = 16:00.
    start = at(2026, 9, 30, 16)
    deadline = deadline_for(start=start, value=3, unit="working_day", clock="working", calendar=CAL)
    assert deadline == at(2026, 10, 10, 16)
    assert CAL.working_time_between(start, deadline) == 21 * H


def test_two_working_days_across_mid_autumn_festival():
    # Thu 24 Sep 15:00–18:00 = 3 h; Fri 25 Sep holiday, weekend; Mon 28 Sep 7 h (10); Tue 29 Sep 3.5 h + 0.5 h.
    assert CAL.add_working_time(at(2026, 9, 24, 15), 14 * H) == at(2026, 9, 29, 15)


def test_two_working_days_across_spring_festival_with_its_make_up_saturday():
    # Fri 13 Feb 17:00–18:00 = 1 h; Sat 14 Feb make-up 7 h (8); 15–23 Feb off; Tue 24 Feb 3.5 h + 2.5 h = 17:00.
    start = at(2026, 2, 13, 17)
    assert deadline_for(start=start, value=2, unit="working_day", clock="working", calendar=CAL) == at(2026, 2, 24, 17)


def test_twenty_working_hours_from_the_day_before_spring_festival():
    # 13 Feb 10:00 → 5.5 h that day; 14 Feb 7 h (12.5); 24 Feb 7 h (19.5); 25 Feb 0.5 h → 09:00.
    assert CAL.add_working_time(at(2026, 2, 13, 10), 20 * H) == at(2026, 2, 25, 9)
    assert CAL.working_time_between(at(2026, 2, 13, 10), at(2026, 2, 25, 9)) == 20 * H


def test_a_deadline_on_a_period_end_stays_there():
    assert CAL.add_working_time(at(2026, 9, 30, 8, 30), 7 * H) == at(2026, 9, 30, 18)
    assert CAL.add_working_time(at(2026, 9, 30, 8, 30), 3.5 * H) == at(2026, 9, 30, 12)


def test_counting_outside_working_periods_begins_at_the_next_period_start():
    assert CAL.add_working_time(at(2026, 9, 30, 19), H) == at(2026, 10, 8, 9, 30)
    assert CAL.add_working_time(at(2026, 9, 29, 12, 30), H) == at(2026, 9, 29, 15, 30)
    assert CAL.add_working_time(at(2026, 9, 29, 6), H) == at(2026, 9, 29, 9, 30)
    assert CAL.next_working_instant(at(2026, 10, 3, 10)) == at(2026, 10, 8, 8, 30)
    assert CAL.next_working_instant(at(2026, 9, 29, 10, 15)) == at(2026, 9, 29, 10, 15)


def test_a_zero_duration_leaves_the_start_alone():
    assert CAL.add_working_time(at(2026, 10, 3, 10), timedelta(0)) == at(2026, 10, 3, 10)


def test_working_time_between_is_signed():
    a, b = at(2026, 9, 30, 16), at(2026, 10, 10, 16)
    assert CAL.working_time_between(a, b) == 21 * H
    assert CAL.working_time_between(b, a) == -21 * H
    assert CAL.working_time_between(a, a) == timedelta(0)
    assert CAL.working_time_between(at(2026, 10, 1), at(2026, 10, 7, 23)) == timedelta(0)


def test_inputs_in_utc_give_the_same_answer():
    start = datetime(2026, 9, 30, 8, 0, tzinfo=UTC)  # 16:00 in Huizhou
    assert CAL.add_working_time(start, 21 * H) == at(2026, 10, 10, 16)


def test_minutes_and_fractions_are_exact():
    start = at(2026, 9, 29, 11, 59)
    assert CAL.add_working_time(start, timedelta(minutes=2)) == at(2026, 9, 29, 14, 31)
    value = Decimal("1.25")
    assert deadline_for(start=start, value=value, unit="working_hour", clock="working", calendar=CAL) == at(
        2026, 9, 29, 15, 44
    )


def test_natural_clock_is_plain_arithmetic():
    start = at(2026, 10, 1, 3)
    assert deadline_for(start=start, value=2, unit="natural_hour", clock="working", calendar=CAL) == at(2026, 10, 1, 5)
    assert deadline_for(start=start, value=3, unit="working_hour", clock="natural") == at(2026, 10, 1, 6)
    assert deadline_for(start=start, value=1, unit="working_day", clock="natural") == at(2026, 10, 2, 3)
    assert elapsed(start=start, now=at(2026, 10, 2, 4), clock="natural") == 25 * H
    assert elapsed(start=start, now=at(2026, 10, 2, 4), clock="working", calendar=CAL) == timedelta(0)


def test_a_working_day_starting_on_a_holiday_is_the_length_of_the_day_counting_begins_on():
    start = at(2026, 10, 1, 9)
    assert limit_duration(start=start, value=1, unit="working_day", clock="working", calendar=CAL) == 7 * H
    assert deadline_for(start=start, value=1, unit="working_day", clock="working", calendar=CAL) == at(2026, 10, 8, 18)
    assert CAL.working_day_minutes(date(2026, 10, 1)) == 7 * 60


def test_seasonal_hours_replace_the_all_year_set_on_their_dates():
    summer = [
        Period(start=time(8, 0), end=time(12, 0), valid_from=date(2026, 6, 1), valid_to=date(2026, 9, 30)),
        Period(start=time(15, 0), end=time(18, 30), valid_from=date(2026, 6, 1), valid_to=date(2026, 9, 30)),
    ]
    cal = huizhou_2026(periods=[*WorkCalendar().periods, *summer])
    assert cal.periods_on(date(2026, 9, 29)) == [(time(8, 0), time(12, 0)), (time(15, 0), time(18, 30))]
    assert cal.periods_on(date(2026, 10, 8)) == [(time(8, 30), time(12, 0)), (time(14, 30), time(18, 0))]
    # 29 Sep 17:00–18:30 = 1.5 h; 30 Sep summer 7.5 h (9); 8 Oct 08:30 + 1 h.
    assert cal.add_working_time(at(2026, 9, 29, 17), 10 * H) == at(2026, 10, 8, 9, 30)
    assert limit_duration(start=at(2026, 9, 29, 9), value=2, unit="working_day", clock="working", calendar=cal) == (
        15 * H
    )


def test_overlapping_periods_are_not_counted_twice():
    cal = WorkCalendar(periods=[Period(start=time(9), end=time(12)), Period(start=time(11), end=time(13))])
    assert cal.day_working_time(date(2026, 9, 29)) == 4 * H


def test_naive_datetimes_negative_durations_and_empty_calendars_are_refused():
    with pytest.raises(CalendarError):
        CAL.add_working_time(datetime(2026, 9, 29, 9), H)
    with pytest.raises(CalendarError):
        CAL.add_working_time(at(2026, 9, 29, 9), -H)
    ended = WorkCalendar(periods=[Period(start=time(9), end=time(17), valid_to=date(2020, 1, 1))])
    with pytest.raises(CalendarError):
        ended.add_working_time(at(2026, 9, 29, 9), H)
    with pytest.raises(CalendarError):
        deadline_for(start=at(2026, 9, 29, 9), value=1, unit="fortnight", clock="working", calendar=CAL)


def test_a_twenty_working_day_deadline_takes_well_under_a_millisecond():
    import time as clock

    start = at(2026, 9, 1, 10)
    deadline_for(start=start, value=20, unit="working_day", clock="working", calendar=CAL)
    began = clock.perf_counter()
    for _ in range(1000):
        deadline = deadline_for(start=start, value=20, unit="working_day", clock="working", calendar=CAL)
    assert (clock.perf_counter() - began) / 1000 < 0.001
    # 2–4, 7–11, 14–18 Sep, Sunday 20 Sep (make-up), 21–24 Sep, (25 Sep Mid-autumn), 28 and 29 Sep.
    assert deadline == at(2026, 9, 29, 10)
