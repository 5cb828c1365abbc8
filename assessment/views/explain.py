"""How a figure is made (its formula, its inputs and the cases behind each), and the schemes the assessed read."""

from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse

from ..indicators.counts import COUNTS
from ..indicators.rates import INDICATORS
from ..models import Subject
from ..ranking import min_cases
from ..selectors import period_results, scheme_overview, trend
from .cases import unit_key
from .common import span_from
from .units import score_components

SUBJECT_OF_UNIT = {"department": Subject.DEPARTMENT, "region": Subject.REGION}


def _terms(names, counts, base):
    """[{sign, name, label, value, url}] of a formula's inputs, each linked to the cases it counted."""
    terms = []
    cases = reverse("assessment:cases")
    for name in names:
        count = COUNTS[name.lstrip("-")]
        terms.append(
            {
                "sign": "−" if name.startswith("-") else "+",
                "name": count.name,
                "label": count.label,
                "condition": count.sql,
                "value": counts.get(count.name, 0),
                "url": "" if count.summed else cases + "?" + urlencode({**base, "count": count.name}),
            }
        )
    return terms


@login_required
def explain(request):
    unit, key, role = request.GET.get("unit", ""), request.GET.get("key", ""), request.GET.get("role", "")
    indicator = INDICATORS.get(request.GET.get("indicator", ""))
    if indicator is None:
        raise Http404
    _sql_key, unit_name = unit_key(request, unit, key)
    subject = SUBJECT_OF_UNIT.get(unit, role)
    span = span_from(request)
    results = period_results(span=span, subjects=[subject])
    row = results.one(subject, key)
    counts = row.counts if row is not None else {}
    base = {"period": span.key, "unit": unit, "key": key, "indicator": indicator.name}
    if role:
        base["role"] = role
    version, parts = score_components(row, span, subject, role)
    component = next((c for c in (version.components if version else []) if c["indicator"] == indicator.name), None)
    context = {
        "span": span,
        "results": results,
        "unit_name": unit_name,
        "indicator": indicator,
        "row": row,
        "value": indicator.value(counts) if row is not None else None,
        "numerator": _terms(indicator.numerator, counts, base),
        "denominator": _terms(indicator.denominator, counts, base),
        "version": version,
        "component": component,
        "component_value": row.components.get(indicator.name) if row is not None and component else None,
        "parts": parts,
        "trend": trend(span=span, subject=subject, key=key, names=[indicator.name], periods=12),
        "trend_names": {indicator.name: str(indicator.label)},
    }
    return render(request, "assessment/explain.html", context)


@login_required
def schemes(request):
    """Every active scheme's rules in force and its history: weights, thresholds, grades and the ranking rule.

    Open to every signed-in user: the assessed read the rules they are scored by."""
    context = {"schemes": scheme_overview(), "min_cases": min_cases(), "indicators": INDICATORS}
    return render(request, "assessment/schemes.html", context)
