"""Formatting of assessment figures and the period picker's links in templates."""

from urllib.parse import urlencode

from django import template
from django.utils.translation import gettext as _

from ..comparison import PERCENT, POINTS, SCORE, Change
from ..periods import KINDS

register = template.Library()

# The query fields that say which period a page shows; everything else (unit, indicator, scheme, role…) is kept
# when the period changes.
PERIOD_FIELDS = ("period", "kind", "day", "first", "last", "before")


@register.filter
def figure(value, unit="%"):
    """85.2 → "85.20%", a count as a whole number, hours with one decimal; missing → "—"."""
    if value is None or value == "":
        return "—"
    if unit == "count":
        return f"{int(value):,}"
    if unit == "h":
        return f"{float(value):.1f} h"
    return f"{float(value):.2f}%"


def _number(value):
    value = float(value)
    if value > 0:
        return f"+{value:.2f}"
    if value < 0:
        return f"−{abs(value):.2f}"
    return "0.00"


@register.filter
def signed(value):
    """A change with its sign and unit (+1.20 个百分点 / −12.50% / +3.00 分); no comparison → "—"."""
    if value is None:
        return "—"
    if not isinstance(value, Change):
        return _number(value)
    number = _number(value.value)
    if value.unit == POINTS:
        return _("%(value)s pp") % {"value": number}
    if value.unit == SCORE:
        return _("%(value)s pts") % {"value": number}
    if value.unit == PERCENT:
        return f"{number}%"
    return number


@register.filter
def trend_class(value):
    """ "better"/"worse" for a comparison (by whether higher is better), "up"/"down" for a plain number."""
    if value is None:
        return ""
    if isinstance(value, Change):
        return "" if value.better is None else ("better" if value.better else "worse")
    return "up" if float(value) > 0 else ("down" if float(value) < 0 else "")


@register.simple_tag
def period_kinds():
    """[(kind, label)] for the picker."""
    return list(KINDS.items())


@register.simple_tag(takes_context=True)
def period_url(context, span):
    """This page for another period, keeping the rest of the query (unit, indicator, scheme, role…)."""
    return "?" + urlencode([*period_kept(context), ("period", span.key)])


@register.simple_tag(takes_context=True)
def period_kept(context):
    """[(name, value)] of the query fields the picker's form passes on unchanged: the view's `query_kept` when it
    gives them (a page shared by many readers keeps only the fields it understood), else the request's."""
    kept = context.get("query_kept")
    if kept is not None:
        return kept
    request = context["request"]
    return [(k, v) for k, v in request.GET.items() if k not in PERIOD_FIELDS]


@register.simple_tag
def ranking_minimum():
    """The fewest cases a unit needs to be ranked (the setting)."""
    from ..ranking import min_cases

    return min_cases()
