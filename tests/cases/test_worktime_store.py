"""The calendar is loaded once from the database and reloaded when a calendar row changes."""

from datetime import date, time, timedelta

import pytest
from django.core.cache import cache
from django.db import transaction

from cases.clock import deadline_for
from cases.models import CalendarDay, CalendarYear, DayKind, WorkingPeriod
from cases.worktime import calendar_load, calendar_seed, work_calendar
from cases.worktime.store import _version_key
from tests.cases.test_worktime_arithmetic import at

pytestmark = pytest.mark.django_db
H = timedelta(hours=1)


@pytest.fixture
def seeded():
    for model in (CalendarDay, CalendarYear, WorkingPeriod):
        model.objects.all().delete()
    calendar_seed()


def test_the_store_loads_overrides_periods_and_years(seeded):
    WorkingPeriod.objects.create(valid_from=date(2026, 6, 1), valid_to=date(2026, 9, 30), start=time(8), end=time(12))
    calendar = calendar_load()
    assert 2026 in calendar.known_years and 2027 not in calendar.known_years
    assert not calendar.is_working_day(date(2026, 10, 1)) and calendar.is_working_day(date(2026, 10, 10))
    assert calendar.periods_on(date(2026, 9, 29)) == [(time(8), time(12))]
    assert calendar.day_working_time(date(2026, 10, 8)) == 7 * H


def test_without_any_working_period_the_default_office_hours_apply():
    WorkingPeriod.objects.all().delete()
    assert work_calendar().periods_on(date(2026, 9, 29)) == [(time(8, 30), time(12)), (time(14, 30), time(18))]


def test_deadlines_do_not_query_the_database_once_the_calendar_is_loaded(seeded, django_assert_num_queries):
    work_calendar()
    with django_assert_num_queries(0):
        for day in range(1, 29):
            deadline_for(start=at(2026, 9, day, 10), value=20, unit="working_day", clock="working")


def test_a_holiday_entered_now_moves_the_next_deadline(seeded):
    start = at(2026, 11, 27, 16)  # Friday
    assert deadline_for(start=start, value=1, unit="working_day", clock="working") == at(2026, 11, 30, 16)
    CalendarDay.objects.create(date=date(2026, 11, 30), kind=DayKind.HOLIDAY, name="test")
    assert deadline_for(start=start, value=1, unit="working_day", clock="working") == at(2026, 12, 1, 16)


def test_a_rolled_back_change_is_forgotten(seeded):
    class Rollback(Exception):
        pass

    assert work_calendar().is_working_day(date(2026, 11, 30))
    with pytest.raises(Rollback), transaction.atomic():
        CalendarDay.objects.create(date=date(2026, 11, 30), kind=DayKind.HOLIDAY)
        assert not work_calendar().is_working_day(date(2026, 11, 30))
        raise Rollback
    assert work_calendar().is_working_day(date(2026, 11, 30))


def test_a_committed_change_tells_other_processes_through_the_cache(seeded, django_capture_on_commit_callbacks):
    before = cache.get(_version_key("default"))
    with django_capture_on_commit_callbacks(execute=True):
        WorkingPeriod.objects.create(valid_from=date(2027, 1, 1), start=time(9), end=time(17))
    assert cache.get(_version_key("default")) not in (None, before)


def test_the_seed_is_idempotent_and_keeps_only_exceptions_to_monday_to_friday(seeded):
    counts = (CalendarDay.objects.count(), CalendarYear.objects.count(), WorkingPeriod.objects.count())
    assert "none new" in calendar_seed()
    assert (CalendarDay.objects.count(), CalendarYear.objects.count(), WorkingPeriod.objects.count()) == counts
    assert set(CalendarYear.objects.values_list("year", flat=True)) >= set(range(2004, 2027))
    october = {d.date: (d.kind, d.name) for d in CalendarDay.objects.filter(date__range=("2026-09-19", "2026-10-11"))}
    assert october == {
        date(2026, 9, 20): ("workday", "国庆节调休"),
        date(2026, 9, 25): ("holiday", "中秋"),
        **{date(2026, 10, d): ("holiday", "国庆节") for d in (1, 2, 5, 6, 7)},
        date(2026, 10, 10): ("workday", "国庆节调休"),
    }


def test_the_seed_keeps_an_administrators_periods_and_years(seeded):
    WorkingPeriod.objects.all().delete()
    WorkingPeriod.objects.create(valid_from=date(2026, 1, 1), start=time(9), end=time(17))
    CalendarYear.objects.filter(year=2026).update(source="manual")
    calendar_seed()
    assert list(WorkingPeriod.objects.values_list("start", "end")) == [(time(9), time(17))]
    assert CalendarYear.objects.get(year=2026).source == "manual"
