"""Scores, grades and count scores from a scheme version's rules; the default schemes are DOMAIN §8's."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from assessment.defaults import GRADES, SCHEMES
from assessment.indicators.rates import INDICATORS, indicator_values
from assessment.scoring import count_score, grade_of, rules_validate, score_unit

DEPARTMENT = next(s for s in SCHEMES if s["code"] == "department-standard")
DAILY = next(s for s in SCHEMES if s["code"] == "department-daily-100")
REGION = next(s for s in SCHEMES if s["code"] == "region-standard")


def rules(spec):
    return {"components": spec["components"], "thresholds": spec["thresholds"], "grades": GRADES}


@pytest.mark.parametrize(
    ("count", "score"), [(0, 100), (50, 100), (51, 90), (100, 90), (200, 75), (500, 60), (1000, 40), (1001, 0)]
)
def test_the_department_count_score_follows_the_domain_bands(count, score):
    assert count_score(count, DEPARTMENT["thresholds"]) == score


def test_count_bands_hold_for_thirty_days_and_scale_with_the_period():
    # 20 cases in 3 days is a rate of 200 per 30 days.
    assert count_score(20, DEPARTMENT["thresholds"], days=3) == 75


def test_region_count_bands_are_per_grid_and_differ_between_area_classes():
    thresholds = REGION["thresholds"]
    # 60 cases over 4 communities is 15 per grid: class 1 allows 20 for full marks, class 2 only 10.
    assert count_score(60, thresholds, area_class="1", grids=4) == 100
    assert count_score(60, thresholds, area_class="2", grids=4) == 90


def test_the_department_score_is_the_domain_formula():
    counts = {"dispatched": 40, "handled": 90, "overdue_open": 10, "handled_on_time": 70, "closed": 80, "reworked": 10}
    values = indicator_values(counts)
    assert values["close_rate"] == 80 and values["on_time_handling_rate"] == 70 and values["rework_rate"] == 10
    score, grade, parts = score_unit(rules(DEPARTMENT), values, counts)
    # 100 × 10 % + 80 × 30 % + 70 × 30 % + (100 − 10) × 30 %
    assert score == Decimal("82.00") and grade == "B"
    assert parts == {"dispatched": 100.0, "close_rate": 80.0, "on_time_handling_rate": 70.0, "rework_rate": 90.0}


def test_the_daily_100_point_scheme():
    counts = {"handled": 95, "overdue_open": 5, "handled_on_time": 90, "reworked": 2, "extended": 10}
    values = indicator_values(counts)
    score, grade, _parts = score_unit(rules(DAILY), values, counts)
    # 95 × 0.3 + 90 × 0.2 + (100 − 2) × 0.2 + (100 − 5) × 0.2 + (100 − 10) × 0.1
    assert score == Decimal("94.10") and grade == "A"


def test_a_rate_over_nothing_is_left_out_and_the_other_weights_scaled_up():
    counts = {"filed": 10, "public_verified": 1}
    values = indicator_values(counts)
    assert values["close_rate"] is None
    score, _grade, parts = score_unit(rules(REGION), values, counts, area_class="2", grids=1)
    # Only (100 − 10) × 0.1 and the count score 100 × 0.2 apply: 29 / 0.3.
    assert parts["close_rate"] is None
    assert score == Decimal("96.67")


def test_a_unit_where_no_rate_applies_has_no_score():
    score, grade, _parts = score_unit(rules(DEPARTMENT), indicator_values({}), {})
    assert score is None and grade == ""


@pytest.mark.parametrize(("score", "grade"), [(90, "A"), (89.99, "B"), (75, "B"), (60, "C"), (40, "D"), (39.9, "E")])
def test_grades_follow_the_bands(score, grade):
    assert grade_of(Decimal(str(score)), GRADES) == grade


def test_every_default_scheme_is_valid_and_names_known_indicators():
    for spec in SCHEMES:
        rules_validate(components=spec["components"], thresholds=spec["thresholds"], grades=GRADES)
        assert all(c["indicator"] in INDICATORS for c in spec["components"])


@pytest.mark.parametrize(
    ("components", "field"),
    [
        ([{"indicator": "close_rate", "weight": 0.5}], "components"),
        ([{"indicator": "nonsense", "weight": 1}], "components"),
        ([{"indicator": "close_rate", "weight": 1, "mode": "sideways"}], "components"),
    ],
)
def test_bad_rules_are_refused_with_field_messages(components, field):
    with pytest.raises(ValidationError) as caught:
        rules_validate(components=components, thresholds={}, grades=GRADES)
    assert field in caught.value.message_dict
