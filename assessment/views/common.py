"""What the assessment pages share: the period from the query string, figure links, ranking tables."""

from urllib.parse import urlencode

from django.urls import reverse

from ..comparison import compare
from ..indicators.rates import INDICATORS
from ..periods import span_parse


def span_from(request, default_kind="month"):
    """The period of the request: the picker's fields (kind, day / first, last) or a `period` key."""
    from ..forms import PeriodForm

    if request.GET.get("kind"):
        form = PeriodForm(request.GET)
        if form.is_valid():
            return form.span()
    return span_parse(request.GET.get("period"), default_kind=default_kind)


def _query(span, unit, key, indicator, role=""):
    query = {"period": span.key, "unit": unit, "key": key, "indicator": indicator}
    if role:
        query["role"] = role
    return urlencode(query)


def figure_url(span, unit, key, indicator, role=""):
    """The list of cases behind one figure of one unit."""
    return reverse("assessment:cases") + "?" + _query(span, unit, key, indicator, role)


def explain_url(span, unit, key, indicator, role=""):
    """How one figure of one unit is made: its formula, its inputs and the cases behind each input."""
    return reverse("assessment:explain") + "?" + _query(span, unit, key, indicator, role)


def unit_url(subject, key, span):
    if subject == "department":
        return reverse("assessment:department", args=[key]) + "?" + urlencode({"period": span.key})
    if subject == "region":
        return reverse("assessment:region", args=[key]) + "?" + urlencode({"period": span.key})
    return ""


def cells(row, names, span, unit, role=""):
    """[{label, value, unit, url, explain}] for the row's indicators, each linked to the cases behind it."""
    out = []
    for name in names:
        indicator = INDICATORS[name]
        out.append(
            {
                "name": name,
                "label": indicator.label,
                "value": row.values.get(name) if row else None,
                "unit": indicator.unit,
                "url": figure_url(span, unit, row.key, name, role) if row else "",
                "explain": explain_url(span, unit, row.key, name, role) if row else "",
            }
        )
    return out


def compare_cells(figures, previous_row, year_row):
    """Add 环比 (`mom`) and 同比 (`yoy`) to each cell: points for rates, percent for counts, blank without a base."""
    for cell in figures:
        indicator = INDICATORS[cell["name"]]
        for field, other in (("mom", previous_row), ("yoy", year_row)):
            base = other.values.get(cell["name"]) if other is not None else None
            cell[field] = compare(cell["value"], base, indicator.unit, indicator.higher_is_better)
            cell["previous" if field == "mom" else "year_ago"] = base
    return figures


def ranking(rows, names, span, unit, previous, year_ago, role=""):
    """Rows of a ranking table: the unit, its score, sample, grade and rank, 环比 and 同比 of the score, figures."""
    prev = {r.key: r for r in previous}
    last_year = {r.key: r for r in year_ago}
    table = []
    for row in rows:
        p, y = prev.get(row.key), last_year.get(row.key)
        table.append(
            {
                "row": row,
                "url": unit_url(unit, row.key, span),
                "mom": compare(row.score, p.score if p else None, "score"),
                "yoy": compare(row.score, y.score if y else None, "score"),
                "cells": cells(row, names, span, unit, role),
            }
        )
    return table


def chart_of(table, limit=20):
    """The ranking bar chart's data: ranked units, best first, with score, sample and the ranking bound."""
    rows = [item["row"] for item in table if item["row"].rank is not None]
    return [{"name": r.name, "score": float(r.score), "n": r.sample, "bound": r.bound} for r in rows[:limit]]


def headers(names):
    return [INDICATORS[n] for n in names]
