"""/api/v1/calendar/ and /api/v1/categories/{code}/: the working calendar by year (administrators replace a year)
and one class of the catalogue by its code."""

from datetime import date

import pytest

from cases.models import CalendarDay, CalendarYear
from cases.worktime import work_calendar

pytestmark = pytest.mark.django_db
URL = "/api/v1/calendar/"


def test_a_year_lists_its_holidays_make_up_days_and_working_periods(api, dispatcher, catalogue):
    data = api(dispatcher).get(f"{URL}2026/").json()
    assert data["year"] == 2026 and data["loaded"] is True
    days = {d["date"]: d for d in data["days"]}
    assert days["2026-10-01"]["kind"] == "holiday"
    assert any(d["kind"] == "workday" for d in data["days"])
    assert data["working_periods"] and {"start", "end", "valid_from", "valid_to"} <= set(data["working_periods"][0])
    years = [row["year"] for row in api(dispatcher).get(URL).json()]
    assert 2026 in years


def test_an_administrator_replaces_a_year_and_deadlines_follow(api, administrator, catalogue):
    body = {"days": [{"date": "2031-01-01", "kind": "holiday", "name": "元旦"},
                     {"date": "2031-01-04", "kind": "workday", "name": "元旦调休"}]}  # fmt: skip
    response = api(administrator).put(f"{URL}2031/", body, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["loaded"] is True and len(response.json()["days"]) == 2
    assert CalendarYear.objects.get(year=2031).source == "api"
    calendar = work_calendar()
    assert not calendar.is_working_day(date(2031, 1, 1)) and calendar.is_working_day(date(2031, 1, 4))


def test_others_may_not_replace_a_year(api, dispatcher, leader, catalogue):
    before = CalendarDay.objects.filter(date__year=2026).count()
    for user in (dispatcher, leader):
        assert api(user).put(f"{URL}2026/", {"days": []}, format="json").status_code == 403
    assert CalendarDay.objects.filter(date__year=2026).count() == before


@pytest.mark.parametrize(
    "days, message",
    [
        ([{"date": "2030-01-01", "kind": "holiday"}], "is not in 2031"),
        ([{"date": "2031-01-01", "kind": "holiday"}, {"date": "2031-01-01", "kind": "workday"}], "given twice"),
        ([{"date": "2031-02-30", "kind": "holiday"}], "Date has wrong format"),
        ([{"date": "2031-01-02", "kind": "party"}], "is not a valid choice"),
    ],
)
def test_a_bad_year_is_refused_whole(api, administrator, catalogue, days, message):
    response = api(administrator).put(f"{URL}2031/", {"days": days}, format="json")
    assert response.status_code == 400
    assert message in str(response.json()["days"])
    assert not CalendarDay.objects.filter(date__year=2031).exists() and not CalendarYear.objects.filter(year=2031)


def test_years_outside_the_calendar_are_not_found(api, administrator, catalogue):
    assert api(administrator).get(f"{URL}1999/").status_code == 404
    assert api(administrator).put(f"{URL}2100/", {"days": []}, format="json").status_code == 404


def test_a_category_by_code_carries_its_conditions_limits_and_public_flag(api, dispatcher, catalogue):
    row = api(dispatcher).get("/api/v1/categories/e0102/").json()
    assert row["display_code"] == "E0102" and row["public"] is True
    assert row["filing_conditions"] and row["filing_conditions"][0]["time_limits"]
    assert api(dispatcher).get("/api/v1/categories/E0502/").json()["public"] is False
    assert api(dispatcher).get("/api/v1/categories/E9999/").status_code == 404
    assert api(dispatcher).get("/api/v1/categories/x/").status_code == 404
    assert api().get("/api/v1/categories/E0102/").status_code == 401
