"""Formatting of assessment figures in templates."""

from django import template

register = template.Library()


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


@register.filter
def signed(value):
    """A change with its sign (+1.20 / −0.50); missing → "—"."""
    if value is None:
        return "—"
    value = float(value)
    if value > 0:
        return f"+{value:.2f}"
    if value < 0:
        return f"−{abs(value):.2f}"
    return "0.00"


@register.filter
def trend_class(value):
    if value is None:
        return ""
    return "up" if float(value) > 0 else ("down" if float(value) < 0 else "")
