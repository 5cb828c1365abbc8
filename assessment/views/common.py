"""What the assessment pages share: the period from the query string, figure links, ranking tables."""

from urllib.parse import urlencode

from django.urls import reverse

from ..indicators.rates import INDICATORS
from ..periods import span_parse
from ..selectors import change


def span_from(request, default_kind="month"):
    """The period of the request: the picker's fields (kind, day / first, last) or a `period` key."""
    from ..forms import PeriodForm

    if request.GET.get("kind"):
        form = PeriodForm(request.GET)
        if form.is_valid():
            return form.span()
    return span_parse(request.GET.get("period"), default_kind=default_kind)


def figure_url(span, unit, key, indicator, role=""):
    """The list of cases behind one figure of one unit."""
    query = {"period": span.key, "unit": unit, "key": key, "indicator": indicator}
    if role:
        query["role"] = role
    return reverse("assessment:cases") + "?" + urlencode(query)


def unit_url(subject, key, span):
    if subject == "department":
        return reverse("assessment:department", args=[key]) + "?" + urlencode({"period": span.key})
    if subject == "region":
        return reverse("assessment:region", args=[key]) + "?" + urlencode({"period": span.key})
    return ""


def cells(row, names, span, unit, role=""):
    """[{label, value, unit, url}] for the row's indicators, each linked to the cases behind it."""
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
            }
        )
    return out


def ranking(rows, names, span, unit, previous, year_ago, role=""):
    """Rows of a ranking table: the unit, its score, grade and rank, 环比 and 同比 of the score, linked figures."""
    prev = {r.key: r for r in previous}
    last_year = {r.key: r for r in year_ago}
    table = []
    for row in rows:
        p, y = prev.get(row.key), last_year.get(row.key)
        table.append(
            {
                "row": row,
                "url": unit_url(unit, row.key, span),
                "mom": change(row.score, p.score if p else None),
                "yoy": change(row.score, y.score if y else None),
                "cells": cells(row, names, span, unit, role),
            }
        )
    return table


def headers(names):
    return [INDICATORS[n] for n in names]
