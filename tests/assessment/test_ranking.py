"""Fair rankings: a minimum sample to be ranked, the sample beside every score, the Wilson lower bound as order."""

from decimal import Decimal

import pytest

from assessment.compute import UnitRow
from assessment.defaults import GRADES, SCHEMES
from assessment.indicators.rates import DEPARTMENT_INDICATORS, indicator_values
from assessment.ranking import rank_rows, sample_size, wilson_lower
from assessment.scoring import score_unit

DEPARTMENT = next(s for s in SCHEMES if s["code"] == "department-standard")
RULES = {"components": DEPARTMENT["components"], "thresholds": DEPARTMENT["thresholds"], "grades": GRADES}


def department(key, *, due, good):
    """A department with `due` cases due, `good` of them handled on time and closed, none reworked."""
    counts = {
        "dispatched": due,
        "handled": due,
        "handled_on_time": good,
        "closed": good,
        "closed_on_time": good,
        "overdue_open": 0,
    }
    values = indicator_values(counts, DEPARTMENT_INDICATORS)
    score, grade, parts = score_unit(RULES, values, counts, days=30)
    row = UnitRow(subject="department", key=key, name=key, counts=counts, values=values, score=score, grade=grade)
    row.sample = sample_size(RULES, counts)
    return row


def test_the_sample_is_the_largest_denominator_of_the_schemes_rates():
    assert sample_size(RULES, {"handled": 7, "overdue_open": 3, "dispatched": 500}) == 10  # 应处置数, not 派遣数
    region = next(s for s in SCHEMES if s["code"] == "region-standard")
    # 监督举报率 is over 立案数, the closing rates over 应处置数: the larger of the two.
    assert sample_size({"components": region["components"]}, {"filed": 40, "handled": 12, "overdue_open": 3}) == 40
    assert sample_size(RULES, {}) == 0


def test_the_wilson_lower_bound_approaches_the_score_as_the_sample_grows():
    assert wilson_lower(100, 2) == pytest.approx(34.24, abs=0.01)
    assert wilson_lower(100, 2000) == pytest.approx(99.81, abs=0.01)
    assert wilson_lower(97, 2000) < 97 < wilson_lower(97, 2000) + 1
    assert wilson_lower(50, 0) is None and wilson_lower(None, 10) is None
    assert wilson_lower(0, 10) == 0


def test_two_perfect_cases_do_not_outrank_two_thousand_good_ones():
    lucky = department("lucky", due=2, good=2)
    steady = department("steady", due=2000, good=1960)
    assert lucky.score > steady.score
    ranked = rank_rows([lucky, steady], minimum=1)
    assert [r.key for r in ranked] == ["steady", "lucky"]
    assert (steady.rank, lucky.rank) == (1, 2)
    assert steady.bound > lucky.bound


def test_units_below_the_minimum_keep_their_score_but_are_not_ranked():
    few = department("few", due=4, good=4)
    many = department("many", due=40, good=30)
    idle = UnitRow(subject="department", key="idle", name="idle", counts={}, values={})
    ranked = rank_rows([idle, few, many], minimum=10)
    assert [r.key for r in ranked] == ["many", "few", "idle"]
    assert many.rank == 1 and few.rank is None and few.score == Decimal("100.00") and few.sample == 4
    assert idle.rank is None and idle.score is None


def test_the_minimum_is_a_setting(settings):
    settings.ASSESSMENT_MIN_CASES = 3
    rows = rank_rows([department("a", due=2, good=2), department("b", due=3, good=3)])
    assert {r.key: r.rank for r in rows} == {"b": 1, "a": None}


def test_with_large_samples_the_order_is_the_order_of_the_scores():
    rows = [department(f"d{good}", due=1000, good=good) for good in (700, 990, 850, 920)]
    ranked = rank_rows(rows, minimum=10)
    assert [r.key for r in ranked] == ["d990", "d920", "d850", "d700"]
    assert [r.rank for r in ranked] == [1, 2, 3, 4]
    assert all(r.bound < r.score for r in ranked)


def test_equal_bounds_share_a_rank():
    rows = [department("x", due=50, good=40), department("y", due=50, good=40), department("z", due=50, good=20)]
    ranked = rank_rows(rows, minimum=10)
    assert [(r.key, r.rank) for r in ranked] == [("x", 1), ("y", 1), ("z", 3)]


@pytest.mark.django_db
def test_a_period_is_ranked_by_the_bound_and_only_on_enough_cases(settings, world):
    """Through the real computation: ranks follow the Wilson bound; above every sample, nobody is ranked."""
    import random
    from datetime import date

    from assessment.periods import span_containing
    from assessment.selectors import period_results

    from .histories import histories_write

    rnd = random.Random(3)
    histories_write(lambda n: rnd.randrange(n) if n > 1 else 0, world, 200)
    quarter = span_containing("quarter", date(2026, 2, 1))

    settings.ASSESSMENT_MIN_CASES = 5
    rows = period_results(span=quarter, subjects=["department"]).of("department")
    ranked = [r for r in rows if r.rank is not None]
    assert len(ranked) >= 2 and all(r.sample >= 5 for r in ranked)
    assert [r.bound for r in ranked] == sorted((r.bound for r in ranked), reverse=True)
    assert [r.rank for r in ranked] == sorted(r.rank for r in ranked)

    settings.ASSESSMENT_MIN_CASES = max(r.sample for r in rows) + 1
    again = {r.key: r for r in period_results(span=quarter, subjects=["department"]).of("department")}
    assert all(r.rank is None for r in again.values())
    assert {r.key: (r.score, r.sample) for r in ranked} == {
        r.key: (again[r.key].score, again[r.key].sample) for r in ranked
    }
