"""Property-based tests of the working-time arithmetic (in-memory calendar, no database)."""

from datetime import date, datetime, time, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from cases.clock import deadline_for, elapsed, is_overdue_at, stage_extend, used_at
from cases.worktime import WorkCalendar
from tests.cases.test_worktime_arithmetic import CAL, TZ
from tests.cases.test_worktime_stage_clock import running

EXAMPLES = settings(max_examples=150, deadline=None, database=None)
US = timedelta(microseconds=1)

days = st.dates(min_value=date(2025, 12, 20), max_value=date(2026, 12, 31))
boundaries = st.sampled_from([time(8, 30), time(12, 0), time(14, 30), time(18, 0), time(0, 0)])
any_time = st.times()


@st.composite
def instants(draw):
    """Period boundaries, instants inside periods, and any instant at all."""
    day = draw(days)
    moment = draw(st.one_of(boundaries, any_time))
    return datetime.combine(day, moment, tzinfo=TZ)


durations = st.one_of(
    st.integers(min_value=0, max_value=40 * 7 * 60).map(lambda minutes: timedelta(minutes=minutes)),
    st.integers(min_value=0, max_value=10**11).map(lambda us: timedelta(microseconds=us)),
)


@EXAMPLES
@given(start=instants(), duration=durations)
def test_adding_then_measuring_gives_the_duration_back(start, duration):
    assert CAL.working_time_between(start, CAL.add_working_time(start, duration)) == duration


@EXAMPLES
@given(start=instants(), duration=durations.filter(bool))
def test_the_deadline_is_the_earliest_instant_with_that_much_working_time(start, duration):
    deadline = CAL.add_working_time(start, duration)
    assert deadline > start
    assert CAL.working_time_between(start, deadline - US) < duration
    local = deadline.astimezone(TZ)
    assert any(s < local.time() <= e for s, e in CAL.periods_on(local.date()))


@EXAMPLES
@given(start=instants(), a=durations, b=durations)
def test_adding_is_monotonic_and_additive(start, a, b):
    short, long = sorted([a, b])
    assert CAL.add_working_time(start, short) <= CAL.add_working_time(start, long)
    assert CAL.add_working_time(CAL.add_working_time(start, a), b) == CAL.add_working_time(start, a + b)


@EXAMPLES
@given(first=instants(), second=instants(), duration=durations)
def test_a_later_start_never_gives_an_earlier_deadline(first, second, duration):
    early, late = sorted([first, second])
    assert CAL.add_working_time(early, duration) <= CAL.add_working_time(late, duration)


@EXAMPLES
@given(a=instants(), b=instants(), c=instants())
def test_between_is_antisymmetric_additive_and_at_most_the_wall_time(a, b, c):
    assert CAL.working_time_between(a, b) == -CAL.working_time_between(b, a)
    assert CAL.working_time_between(a, b) + CAL.working_time_between(b, c) == CAL.working_time_between(a, c)
    if a <= b:
        assert timedelta(0) <= CAL.working_time_between(a, b) <= b - a


@EXAMPLES
@given(start=instants(), hours=st.decimals(min_value=0, max_value=500, places=2), now=instants())
def test_the_natural_clock_is_plain_arithmetic(start, hours, now):
    expected = start + timedelta(microseconds=int(hours * 3_600_000_000))
    assert deadline_for(start=start, value=hours, unit="natural_hour", clock="working", calendar=CAL) == expected
    assert deadline_for(start=start, value=hours, unit="working_hour", clock="natural") == expected
    assert elapsed(start=start, now=now, clock="natural") == now - start


@EXAMPLES
@given(start=instants(), days_=st.integers(min_value=1, max_value=30))
def test_working_days_are_days_of_working_periods(start, days_):
    deadline = deadline_for(start=start, value=days_, unit="working_day", clock="working", calendar=CAL)
    assert CAL.working_time_between(start, deadline) == days_ * CAL.working_day_length_at(start)


@EXAMPLES
@given(start=instants(), pause=st.tuples(instants(), instants()), hours=st.integers(1, 200), now=instants())
def test_a_suspension_subtracts_exactly_its_working_time(start, pause, hours, now):
    paused_from, paused_to = sorted(pause)
    paused_from, paused_to = max(paused_from, start), max(paused_to, start)
    budget = timedelta(hours=hours)
    plain = running(budget, start=start)
    suspended = running(budget, start=start, suspensions=[(paused_from, paused_to)])
    lost = CAL.working_time_between(paused_from, paused_to)
    # Resumed exactly where it stopped, overdue or not: the deadline moves by the suspension's working time.
    assert CAL.working_time_between(plain.stage_deadline, suspended.stage_deadline) == lost
    assert suspended.stage_deadline == CAL.shift(plain.stage_deadline, lost)
    if now >= paused_to:
        assert used_at(suspended, now, calendar=CAL) == used_at(plain, now, calendar=CAL) - lost


@EXAMPLES
@given(start=instants(), hours=st.integers(1, 200), extra=durations, now=instants())
def test_an_extension_moves_the_deadline_by_its_working_time(start, hours, extra, now):
    now = max(now, start)
    plain = running(timedelta(hours=hours), start=start)
    extended = running(timedelta(hours=hours), start=start)
    stage_extend(extended, now, extra, calendar=CAL)
    assert extended.stage_deadline == CAL.extend(plain.stage_deadline, extra)
    assert extended.stage_budget == timedelta(hours=hours) + extra
    assert is_overdue_at(extended, now) == extended.overdue == (now > extended.stage_deadline)


def test_the_calendar_is_usable_from_plain_lists_without_a_database():
    cal = WorkCalendar(overrides=[(date(2026, 10, 10), True)], known_years=[2026])
    assert cal.is_working_day(date(2026, 10, 10)) and 2026 in cal.known_years
