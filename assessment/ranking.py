"""Fair rankings: a unit is ranked only on enough cases, and ordered by how sure its score is, not by luck.

A score is a weighted mean of rates (0–100). A unit that handled 2 cases well may score 100 by chance; one that
handled 2,000 scores 97 with little doubt. So:

- The **sample** of a unit is the largest denominator among its scheme's rate components (the number of cases
  behind its best-supported rate: 应处置数 for a department, the larger of 立案数 and 应处置数 for a region, …).
- A unit with fewer cases than `ASSESSMENT_MIN_CASES` is shown with its score and sample but **not ranked**.
- The others are ordered by the **lower bound of the Wilson score interval** (95 %, z = 1.96) of score / 100
  with n = sample: the score the unit reaches with 97.5 % confidence. With many cases the bound is close to
  the score; with few it is pulled down. Ties (equal bounds to 0.01) share a rank.
"""

import math

from django.conf import settings

from .indicators.rates import INDICATORS

Z = 1.96  # 95 % two-sided: the usual confidence of published rankings


def min_cases() -> int:
    """The minimum sample a unit needs to be ranked (the setting ASSESSMENT_MIN_CASES)."""
    return int(getattr(settings, "ASSESSMENT_MIN_CASES", 10))


def sample_size(rules, counts) -> int:
    """The largest denominator among the rate components of the scheme: how many cases the score rests on."""
    sizes = [0]
    for component in (rules or {}).get("components", []):
        indicator = INDICATORS.get(component.get("indicator"))
        if indicator is None or component.get("mode", "rate") == "count" or not indicator.denominator:
            continue
        sizes.append(sum(counts.get(name, 0) for name in indicator.denominator))
    return max(sizes)


def wilson_lower(score, n) -> float | None:
    """The lower bound (0–100) of the Wilson interval of score/100 over n cases; None without cases or score."""
    if score is None or not n:
        return None
    p = min(max(float(score) / 100, 0.0), 1.0)
    z2 = Z * Z
    centre = p + z2 / (2 * n)
    margin = Z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n))
    return round(100 * (centre - margin) / (1 + z2 / n), 2)


def rank_rows(rows, minimum=None):
    """Rank scored units with enough cases by their Wilson lower bound, best first; ties share a rank.

    Rows keep their score; `bound` is set on each scored row. Units below the minimum sample come next, by
    score, unranked; units without a score last.
    """
    minimum = min_cases() if minimum is None else minimum
    for row in rows:
        row.bound = wilson_lower(row.score, row.sample)
    eligible = [r for r in rows if r.score is not None and r.sample >= max(minimum, 1)]
    eligible.sort(key=lambda r: (-r.bound, -r.score, r.key))
    previous, rank = None, 0
    for position, row in enumerate(eligible, start=1):
        if row.bound != previous:
            rank, previous = position, row.bound
        row.rank = rank
    chosen = {id(r) for r in eligible}
    few = sorted((r for r in rows if r.score is not None and id(r) not in chosen), key=lambda r: (-r.score, r.key))
    for row in few:
        row.rank = None
    return eligible + few + sorted((r for r in rows if r.score is None), key=lambda r: r.key)
