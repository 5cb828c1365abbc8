"""The figures of a month walked through the real services match what a person counts by hand."""

from datetime import date

import pytest
from django.utils import timezone

from assessment.indicators.sql import unit_counts
from assessment.periods import span_containing
from assessment.selectors import period_results

from .scenario import EXPECTED, october

pytestmark = pytest.mark.django_db
OCTOBER = span_containing("month", date(2026, 10, 1))


def test_a_department_month_counted_by_hand(cases):
    october(cases)
    department = cases.p["handler_department"]
    departments, leaves = unit_counts(start=OCTOBER.start, end=OCTOBER.end, bound=timezone.now())
    counts = departments[department.pk]
    assert {name: counts[name] for name in EXPECTED} == EXPECTED
    # The grid's figures: every case of the month lies in 东湖社区.
    community = leaves[cases.community.path]
    assert community["filed"] == 5 and community["accepted"] == 5 and community["dispatched"] == 5


def test_the_department_is_scored_with_the_standard_scheme(cases):
    october(cases)
    row = period_results(span=OCTOBER, subjects=["department"]).one("department", cases.p["handler_department"].code)
    assert row.values["due"] == 5
    assert row.values["close_rate"] == 60.0  # 3 closed / 5 due
    assert row.values["on_time_handling_rate"] == 60.0  # 3 on time / 5 due
    assert row.values["rework_rate"] == 20.0  # 1 rework / 5 due
    # 立案数分值 100 (5 cases ≤ 50) × 10 % + 60 × 30 % + 60 × 30 % + 80 × 30 %
    assert float(row.score) == 70.0 and row.grade == "C"


def test_the_region_rolls_up_from_community_to_city(cases):
    october(cases)
    results = period_results(span=OCTOBER, subjects=["region"])
    codes = [cases.community.code, cases.community.code[:9], cases.community.code[:6], "4413"]
    assert [results.one("region", code).counts["filed"] for code in codes] == [5, 5, 5, 5]
    assert results.one("region", "441303").counts["filed"] == 0
