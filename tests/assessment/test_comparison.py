"""环比/同比: rates in percentage points, counts in percent, scores in points, blank when the base is empty."""

from decimal import Decimal

import pytest
from django.utils import translation

from assessment.comparison import PERCENT, POINTS, SCORE, compare
from assessment.templatetags.assessment_tags import signed, trend_class

pytestmark = pytest.mark.django_db  # the suite's fixtures open the test database


def test_a_rate_is_compared_in_percentage_points():
    change = compare(85.5, 80.25, "%")
    assert change.value == Decimal("5.25") and change.unit == POINTS and change.better


def test_a_count_is_compared_in_percent():
    # 968 cases against 285: +239.65 %, not the raw difference "+683.00".
    change = compare(968, 285, "count")
    assert change.value == Decimal("239.65") and change.unit == PERCENT
    assert compare(100, 200, "count").value == Decimal("-50.00")


def test_a_score_is_compared_in_points():
    change = compare(Decimal("82.50"), Decimal("85.00"), "score")
    assert change.value == Decimal("-2.50") and change.unit == SCORE and change.better is False


def test_no_base_no_comparison():
    assert compare(12, 0, "count") is None  # from nothing: no percentage, neither infinite nor zero
    assert compare(12, None, "count") is None
    assert compare(None, 50, "%") is None
    assert compare(50, None, "%") is None
    assert compare(0, 0, "%").value == Decimal("0.00")  # two rates of 0 %: no change


def test_lower_is_better_for_rates_like_rework():
    assert compare(5, 10, "%", higher_is_better=False).better is True
    assert trend_class(compare(5, 10, "%", higher_is_better=False)) == "better"
    assert trend_class(compare(10, 5, "%", higher_is_better=False)) == "worse"


def test_the_pages_show_the_sign_and_the_unit_in_both_languages():
    with translation.override("en"):
        assert signed(compare(85.5, 80.25, "%")) == "+5.25 pp"
        assert signed(compare(Decimal("80"), Decimal("82.5"), "score")) == "−2.50 pts"
    with translation.override("zh-hans"):
        assert signed(compare(85.5, 80.25, "%")) == "+5.25 个百分点"
        assert signed(compare(Decimal("80"), Decimal("82.5"), "score")) == "−2.50 分"
    assert signed(compare(968, 285, "count")) == "+239.65%"
    assert signed(compare(12, 0, "count")) == "—"
