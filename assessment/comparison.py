"""环比 and 同比: how a figure compares with the previous period or the same period last year.

A rate (a percentage) is compared in percentage points (本期 − 上期); a count or a duration as a relative change
in percent ((本期 − 上期) / 上期); a score in points. A comparison with nothing is no comparison: when the base is
missing, or a count's base is zero (a change "from nothing" has no percentage), the change is None and the pages
leave it blank rather than showing an infinite or a zero change.
"""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

POINTS = "pp"  # percentage points, for rates
PERCENT = "%"  # relative change, for counts and durations
SCORE = "pts"  # score points


@dataclass(frozen=True)
class Change:
    """A signed change with its unit; `better` says whether it is an improvement (None: neither)."""

    value: Decimal
    unit: str
    better: bool | None = None

    @property
    def sign(self) -> int:
        return (self.value > 0) - (self.value < 0)


def _decimal(value) -> Decimal:
    return Decimal(str(value))


def _round(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def compare(current, base, unit="%", higher_is_better=True) -> Change | None:
    """The change of `current` against `base` for a figure of `unit` ("%", "count", "h" or "score")."""
    if current is None or base is None:
        return None
    now, then = _decimal(current), _decimal(base)
    if unit == "%":
        change = Change(_round(now - then), POINTS)
    elif unit == "score":
        change = Change(_round(now - then), SCORE)
    else:
        if then == 0:
            return None
        change = Change(_round((now - then) / abs(then) * 100), PERCENT)
    if change.sign == 0:
        return change
    return Change(change.value, change.unit, (change.sign > 0) == higher_is_better)
