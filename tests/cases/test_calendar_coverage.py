"""Missing holiday data is said loudly: in the admin, at /healthz, and to whoever asks about a deadline."""

from datetime import date

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from cases.models import CalendarDay, CalendarYear
from cases.worktime import WorkCalendar, calendar_coverage_warning, holidays_known_until, missing_holiday_years
from tests.cases.test_worktime_arithmetic import at

KNOWN_2026 = WorkCalendar(known_years=range(2004, 2027))


def test_no_warning_while_the_next_30_days_are_covered():
    assert calendar_coverage_warning(now=at(2026, 11, 25), calendar=KNOWN_2026) is None


def test_the_next_30_days_reaching_an_unknown_year_warn():
    warning = calendar_coverage_warning(now=at(2026, 12, 5), calendar=KNOWN_2026)
    assert "2027 holiday schedule has not been entered" in warning
    assert "deadlines after 2026-12-31 assume Monday–Friday" in warning


def test_a_deadline_in_an_unknown_year_warns_for_every_missing_year_up_to_it():
    assert missing_holiday_years(now=at(2026, 6, 1), deadline=at(2028, 1, 5), calendar=KNOWN_2026) == [2027, 2028]
    assert "2027, 2028" in calendar_coverage_warning(now=at(2026, 6, 1), deadline=at(2028, 1, 5), calendar=KNOWN_2026)
    assert calendar_coverage_warning(now=at(2026, 6, 1), deadline=at(2026, 12, 31, 17), calendar=KNOWN_2026) is None


def test_holidays_are_known_until_the_end_of_the_unbroken_run_of_loaded_years():
    assert holidays_known_until(today=date(2026, 11, 25), calendar=KNOWN_2026) == date(2026, 12, 31)
    assert holidays_known_until(today=date(2027, 1, 4), calendar=KNOWN_2026) == date(2026, 12, 31)
    assert holidays_known_until(today=date(2029, 1, 4), calendar=KNOWN_2026) is None


@pytest.mark.django_db
def test_healthz_reports_the_coverage_and_stays_200_without_holiday_data(client):
    CalendarYear.objects.all().delete()
    body = client.get("/healthz", HTTP_ACCEPT_LANGUAGE="en").json()
    assert client.get("/healthz", HTTP_ACCEPT_LANGUAGE="en").status_code == 200
    assert body["calendar"]["ok"] is True
    assert body["calendar"]["holidays_known_until"] is None
    assert "holiday schedule has not been entered" in body["calendar"]["warning"]


@pytest.mark.django_db
def test_healthz_gives_the_last_covered_day(client):
    CalendarYear.objects.all().delete()
    this_year = timezone.localdate().year
    CalendarYear.objects.bulk_create([CalendarYear(year=this_year), CalendarYear(year=this_year + 1)])
    CalendarDay.objects.create(date=date(this_year, 12, 31), kind="holiday")  # any change reloads the calendar
    assert (
        client.get("/healthz", HTTP_ACCEPT_LANGUAGE="en").json()["calendar"]["holidays_known_until"]
        == f"{this_year + 1}-12-31"
    )


@pytest.fixture
def admin_client(client, db):
    client.force_login(get_user_model().objects.create_superuser(username="calendar-admin", password="kapok-1919"))
    return client


def test_the_calendar_day_list_shows_the_warning(admin_client):
    CalendarYear.objects.all().delete()
    page = admin_client.get("/admin/cases/calendarday/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "holiday schedule has not been entered" in page


def test_admins_enter_next_years_days_and_mark_the_year_loaded(admin_client):
    response = admin_client.post(
        "/admin/cases/calendarday/add/", {"date": "2031-01-01", "kind": "holiday", "name": "元旦", "source": "manual"}
    )
    assert response.status_code == 302
    day = CalendarDay.objects.get(date=date(2031, 1, 1))
    response = admin_client.post(
        "/admin/cases/calendarday/",
        {"action": "mark_years_loaded", "_selected_action": [day.pk]},
        follow=True,
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert "Marked 2031 as loaded." in response.content.decode()
    assert CalendarYear.objects.get(year=2031).source == "manual"
    assert admin_client.get("/admin/cases/workingperiod/add/").status_code == 200
    assert admin_client.get("/admin/cases/calendaryear/").status_code == 200
