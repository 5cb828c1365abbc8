"""Scores and grades from indicator values and a scheme version's rules (plain data, no database)."""

from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from .indicators.rates import INDICATORS

MODES = ("rate", "inverse", "count")


def count_score(count, thresholds, area_class="", grids=1, days=30):
    """The score of a count: the first [bound, score] whose bound the count does not exceed, else "above".

    Region schemes may hold lists per area class ("1" 一类, "2" 二类) and compare the count per grid
    (community) when "per_grid" is set; anything else uses "default". Bounds hold for "period_days" days
    (when set): the count of a period of `days` days is scaled to that length first.
    """
    bands = thresholds.get(str(area_class)) or thresholds.get("default") or []
    value = count / max(grids, 1) if thresholds.get("per_grid") else count
    if thresholds.get("period_days"):
        value = value * float(thresholds["period_days"]) / max(days, 1)
    for bound, score in bands:
        if value <= bound:
            return float(score)
    return float(thresholds.get("above", 0))


def component_value(component, values, counts, thresholds, area_class="", grids=1, days=30):
    """A component's 0–100 value; None when its indicator does not apply (a rate over nothing)."""
    indicator = INDICATORS[component["indicator"]]
    mode = component.get("mode", "rate")
    if mode == "count":
        number = indicator.value(counts)
        return count_score(number or 0, thresholds, area_class, grids, days)
    rate = values.get(indicator.name)
    if rate is None:
        return None
    rate = min(max(float(rate), 0.0), 100.0)
    return 100.0 - rate if mode == "inverse" else rate


def score_unit(rules, values, counts, area_class="", grids=1, days=30):
    """(score, grade, {indicator: component value}) of a unit under a version's rules.

    Components whose indicator does not apply are left out and the others' weights scaled up to 1, so a
    department without due cases is scored on what it did. A unit none of whose rates applies (nothing
    happened that the rates measure) has no score: a count score alone would rank idle units first.
    """
    parts, total, weight_used, rated = {}, 0.0, 0.0, False
    for component in rules["components"]:
        value = component_value(component, values, counts, rules.get("thresholds") or {}, area_class, grids, days)
        parts[component["indicator"]] = value
        if value is not None:
            total += float(component["weight"]) * value
            weight_used += float(component["weight"])
            rated = rated or component.get("mode", "rate") != "count"
    if weight_used <= 0 or not rated:
        return None, "", parts
    score = Decimal(str(total / weight_used)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return score, grade_of(score, rules["grades"]), parts


def grade_of(score, grades):
    for grade, minimum in grades:
        if score >= Decimal(str(minimum)):
            return grade
    return grades[-1][0] if grades else ""


def rules_validate(*, components, thresholds, grades):
    """Check a scheme version's rules; raises ValidationError with field messages."""
    errors = {}
    if not isinstance(components, list) or not components:
        errors["components"] = [_("List at least one component.")]
    else:
        problems = []
        for c in components:
            if not isinstance(c, dict) or c.get("indicator") not in INDICATORS:
                problems.append(_("Unknown indicator in %(c)s.") % {"c": c})
            elif c.get("mode", "rate") not in MODES:
                problems.append(_("Mode must be one of rate, inverse, count (%(c)s).") % {"c": c})
            elif not isinstance(c.get("weight"), int | float) or c["weight"] <= 0:
                problems.append(_("Each weight must be a positive number (%(c)s).") % {"c": c})
        if not problems and abs(sum(float(c["weight"]) for c in components) - 1) > 1e-6:
            problems.append(_("The weights must add up to 1."))
        if problems:
            errors["components"] = problems
    if not isinstance(thresholds, dict) or any(
        not isinstance(v, list) or any(not (isinstance(b, list) and len(b) == 2) for b in v)
        for k, v in thresholds.items()
        if k not in ("above", "per_grid", "period_days")
    ):
        errors["thresholds"] = [_('Give the count thresholds as {"default": [[50, 100], …], "above": 0}.')]
    if (
        not isinstance(grades, list)
        or not grades
        or any(not (isinstance(g, list) and len(g) == 2) for g in grades)
        or [g[1] for g in grades] != sorted((g[1] for g in grades), reverse=True)
    ):
        errors["grades"] = [_('Give the grades from best to worst as [["A", 90], ["B", 75], …].')]
    if errors:
        raise ValidationError(errors)
