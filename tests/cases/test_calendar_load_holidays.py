"""`manage.py load_holidays`: next year's schedule from a CSV file, or a reload from chinesecalendar."""

from datetime import date

import pytest
from django.core.management import CommandError, call_command

from cases.models import CalendarDay, CalendarYear
from cases.worktime import work_calendar

pytestmark = pytest.mark.django_db

SCHEDULE_2027 = """date,kind,name
2027-01-01,holiday,元旦
# Spring Festival
2027-02-06,workday,春节调休
2027-02-08,holiday,春节
2027-02-09,holiday,春节
"""


def write(tmp_path, text):
    path = tmp_path / "2027.csv"
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_a_csv_file_replaces_the_years_days_and_marks_it_loaded(tmp_path):
    CalendarYear.objects.filter(year=2027).delete()
    CalendarDay.objects.create(date=date(2027, 3, 1), kind="holiday", name="guess")
    call_command("load_holidays", write(tmp_path, SCHEDULE_2027), year=2027)
    days = dict(CalendarDay.objects.filter(date__year=2027).values_list("date", "kind"))
    assert days == {
        date(2027, 1, 1): "holiday",
        date(2027, 2, 6): "workday",
        date(2027, 2, 8): "holiday",
        date(2027, 2, 9): "holiday",
    }
    assert CalendarYear.objects.get(year=2027).source == "csv:2027.csv"
    calendar = work_calendar()
    assert 2027 in calendar.known_years and calendar.is_working_day(date(2027, 2, 6))


def test_bad_lines_are_all_listed_and_nothing_is_written(tmp_path):
    CalendarYear.objects.filter(year=2027).delete()
    before = CalendarDay.objects.count()
    bad = (
        SCHEDULE_2027
        + "2027-02-30,holiday,春节\n2026-12-31,holiday,\n2027-02-10,day off,春节\n2027-02-08,holiday,again\n"
    )
    with pytest.raises(CommandError) as error:
        call_command("load_holidays", write(tmp_path, bad), year=2027)
    message = str(error.value)
    assert "4 problem(s); nothing was written" in message
    assert "line 7: '2027-02-30' is not a date" in message
    assert "line 8: 2026-12-31 is not in 2027" in message
    assert "line 9: unknown kind 'day off'" in message
    assert "line 10: 2027-02-08 is already on line 5" in message
    assert CalendarDay.objects.count() == before
    assert not CalendarYear.objects.filter(year=2027).exists()


def test_wrong_field_counts_and_empty_files_are_refused(tmp_path):
    with pytest.raises(CommandError, match="line 1: expected date,kind,name but found 1 fields"):
        call_command("load_holidays", write(tmp_path, "2027-01-01\n"), year=2027)
    with pytest.raises(CommandError, match="no days for 2027"):
        call_command("load_holidays", write(tmp_path, "date,kind,name\n"), year=2027)


def test_usage_errors_are_explained(tmp_path):
    with pytest.raises(CommandError, match="--year YEAR FILE.csv"):
        call_command("load_holidays", write(tmp_path, SCHEDULE_2027))
    with pytest.raises(CommandError, match="Cannot read"):
        call_command("load_holidays", str(tmp_path / "missing.csv"), year=2027)
    with pytest.raises(CommandError, match="does not know 2040"):
        call_command("load_holidays", from_package=True, year=2040)


def test_from_package_reloads_a_year_and_drops_manual_guesses():
    CalendarDay.objects.create(date=date(2026, 11, 30), kind="holiday", name="guess")
    call_command("load_holidays", from_package=True, year=2026)
    assert not CalendarDay.objects.filter(date=date(2026, 11, 30)).exists()
    assert CalendarDay.objects.get(date=date(2026, 10, 10)).kind == "workday"
    assert CalendarYear.objects.get(year=2026).source == "chinese_calendar"
