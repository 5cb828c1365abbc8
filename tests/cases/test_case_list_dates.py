"""The list's report-date filters give exactly the cases whose local (Asia/Shanghai) report date is in range, in the
list's order, whatever the order of report times and ids (imports and backdated reports file old cases with new
ids): the bound on the id that makes them fast must never leave one out."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from rest_framework.test import APIClient

from cases.models import Case
from cases.selectors import case_list_filter, reported_from_q, reported_until_q
from dispatch.queues import command_list_queryset

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
DAY = date(2026, 3, 10)  # the boundary day


def local(day, hour, minute, second=0, micro=0):
    return datetime(day.year, day.month, day.day, hour, minute, second, micro, tzinfo=SHANGHAI)


# Report times in the order the cases are filed (ascending ids): not in time order. The fourth is filed after
# the fifth's day (a backdated report, the largest id of the days before DAY-1); the sixth and seventh sit on
# the boundaries of DAY, the last two are an import of old cases after the newest.
TIMES = [
    local(DAY - timedelta(days=20), 9, 0),
    local(DAY - timedelta(days=1), 23, 59, 59, 999999),
    local(DAY + timedelta(days=3), 8, 0),
    local(DAY + timedelta(days=1), 0, 0),
    local(DAY - timedelta(days=30), 12, 0),  # backdated: an old day, a new id
    local(DAY, 0, 0),
    local(DAY, 23, 59, 59, 999999),
    local(DAY + timedelta(days=40), 10, 0),
    local(DAY - timedelta(days=2), 15, 30),  # imported
    local(DAY - timedelta(days=25), 7, 0),  # imported
]


@pytest.fixture
def filed(cases):
    """The cases of TIMES, ids ascending in that order, with those report times."""
    made = [cases.report() for _ in TIMES]
    for case, at in zip(made, TIMES, strict=True):
        Case.objects.filter(pk=case.pk).update(created_at=at)
    return [case.pk for case in made]


def plain(filters):
    """The filter as a local date compares (no index answers it): what the list must give."""
    qs = Case.objects.all()
    if "created_after" in filters:
        qs = qs.filter(created_at__date__gte=filters["created_after"])
    if "created_before" in filters:
        qs = qs.filter(created_at__date__lte=filters["created_before"])
    return list(qs.order_by("-id").values_list("id", flat=True))


DAYS = [DAY + timedelta(days=k) for k in (-31, -30, -26, -25, -21, -20, -3, -2, -1, 0, 1, 2, 3, 4, 39, 40, 41)]
RANGES = [
    {"created_before": DAY},
    {"created_before": DAY - timedelta(days=1)},
    {"created_after": DAY},
    {"created_after": DAY + timedelta(days=1)},
    {"created_after": DAY, "created_before": DAY},
    {"created_after": DAY - timedelta(days=2), "created_before": DAY + timedelta(days=1)},
    {"created_after": DAY - timedelta(days=30), "created_before": DAY - timedelta(days=20)},
    {"created_before": date.max},
    {"created_after": date.min},
    {"created_after": date.min, "created_before": date.max},
    {"created_before": date(1, 1, 1)},
    {"created_after": date(9999, 12, 31)},
]


def test_the_boundary_day_holds_its_first_and_last_instants_and_nothing_else(filed):
    on_the_day = [filed[6], filed[5]]
    assert plain({"created_after": DAY, "created_before": DAY}) == on_the_day
    qs = Case.objects.filter(reported_from_q(DAY), reported_until_q(DAY)).order_by("-id")
    assert list(qs.values_list("id", flat=True)) == on_the_day
    assert filed[1] in plain({"created_before": DAY - timedelta(days=1)})
    assert filed[3] not in plain({"created_before": DAY})


@pytest.mark.parametrize(
    "filters", [{"created_before": d} for d in DAYS] + [{"created_after": d} for d in DAYS] + RANGES
)
def test_the_date_filters_give_the_plain_filters_rows_in_order(filed, filters):
    qs = case_list_filter(Case.objects.all(), filters=filters).order_by("-id")
    assert list(qs.values_list("id", flat=True)) == plain(filters)


def test_the_bound_of_a_day_is_the_largest_id_of_all_days_up_to_it_not_of_the_latest_report(filed):
    # Up to DAY-1 the latest report is the second case; the largest ids are the imported last two, days older.
    rows = plain({"created_before": DAY - timedelta(days=1)})
    assert rows == [filed[9], filed[8], filed[4], filed[1], filed[0]]
    qs = Case.objects.filter(reported_until_q(DAY - timedelta(days=1))).order_by("-id")
    assert list(qs.values_list("id", flat=True)) == rows


@pytest.mark.parametrize(
    "query",
    [
        {"created_before": DAY},
        {"created_after": DAY - timedelta(days=2)},
        {"created_after": DAY - timedelta(days=30), "created_before": DAY},
        {"created_before": DAY, "status": "reported"},
    ],
)
def test_the_api_walks_the_filtered_list_page_by_page_exactly(filed, personas, query):
    client = APIClient()
    client.force_authenticate(personas["dispatcher"])
    params = {key: str(value) for key, value in query.items()} | {"page_size": 2}
    seen, url = [], "/api/v1/cases/"
    while url:
        response = client.get(url, params) if not seen else client.get(url)
        assert response.status_code == 200, response.content[:300]
        body = response.json()
        seen += [row["id"] for row in body["results"]]
        url = body["next"]
    expected = plain({k: v for k, v in query.items() if k.startswith("created")})
    assert seen == expected and seen


def test_the_command_centres_list_gives_the_same_cases(filed, personas):
    user = personas["dispatcher"]
    filters = {"created_after": DAY - timedelta(days=25), "created_before": DAY}
    qs = command_list_queryset(user=user, queue="all", filters=filters, now=None)
    assert sorted(qs.values_list("id", flat=True)) == sorted(plain(filters))


@pytest.mark.parametrize(
    ("query", "every"),
    [
        ("created_before=9999-12-31", True),
        ("created_after=0001-01-01", True),
        ("created_after=0001-01-01&created_before=9999-12-31", True),
        ("created_before=0001-01-01", False),
        ("created_after=9999-12-31", False),
    ],
)
def test_the_first_and_last_dates_are_answered_not_a_server_error(filed, personas, query, every):
    client = APIClient()
    client.force_authenticate(personas["dispatcher"])
    response = client.get(f"/api/v1/cases/?{query}")
    assert response.status_code == 200
    assert [row["id"] for row in response.json()["results"]] == (sorted(filed, reverse=True) if every else [])
