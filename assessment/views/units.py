"""A page per department and per region (drill-down district → street → community), and the posts' rankings."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import render

from grids.models import Level, Region

from ..indicators.rates import DEPARTMENT_INDICATORS, INDICATORS, POST_INDICATORS, REGION_INDICATORS
from ..models import POST_SUBJECTS, SchemeVersion, Subject
from ..permissions import departments_readable, post_holders_readable, reads_dashboard, region_readable
from ..selectors import period_results, runs_of_period, trend
from .common import cells, chart_of, compare_cells, explain_url, headers, ranking, span_from
from .dashboard import score_map_url

TREND = ["handling_rate", "on_time_handling_rate", "close_rate", "rework_rate"]
CHILD_COLUMNS = ["filed", "due", "close_rate", "on_time_close_rate", "public_report_rate"]
CHILD_LEVEL = {Level.CITY: Level.DISTRICT, Level.DISTRICT: Level.STREET, Level.STREET: Level.COMMUNITY}


def score_components(row, span, subject, role=""):
    """The score's parts: each component's indicator, weight, mode and 0–100 value, linked to its explanation."""
    if row is None or not row.scheme_version_id:
        return None, []
    version = SchemeVersion.objects.select_related("scheme").get(pk=row.scheme_version_id)
    parts = []
    for component in version.components:
        name = component["indicator"]
        parts.append(
            {
                "label": INDICATORS[name].label,
                "weight": round(100 * float(component["weight"]), 1),
                "mode": component.get("mode", "rate"),
                "value": row.components.get(name),
                "explain": explain_url(span, subject if subject in ("department", "region") else "post", row.key,
                                       name, role),
            }
        )  # fmt: skip
    return version, parts


def _unit_context(request, subject, key, names, region_levels=None):
    """The unit's figures in the period, against the previous one and a year before; `region_levels`: the region
    levels the page shows (period_results), read for all three periods."""
    span = span_from(request)
    current, previous_results, year_ago_results = (
        period_results(span=s, subjects=[subject], region_levels=region_levels)
        for s in (span, span.previous(), span.year_before())
    )
    row = current.one(subject, key)
    previous = previous_results.one(subject, key)
    year_ago = year_ago_results.one(subject, key)
    figures = compare_cells(cells(row, names, span, subject) if row else [], previous, year_ago)
    version, parts = score_components(row, span, subject)
    return {
        "span": span,
        "results": current,
        "previous_results": previous_results,
        "year_ago_results": year_ago_results,
        "row": row,
        "previous": previous,
        "year_ago": year_ago,
        "score_mom": _score_change(row, previous),
        "score_yoy": _score_change(row, year_ago),
        "figures": figures,
        "version": version,
        "parts": parts,
        "trend": trend(span=span, subject=subject, key=key, names=TREND, region_levels=region_levels),
        "trend_names": {n: str(h.label) for n, h in zip(TREND, headers(TREND), strict=True)},
        "runs": runs_of_period(span),
    }


def _score_change(row, other):
    from ..comparison import compare

    return compare(row.score if row else None, other.score if other else None, "score")


@login_required
def department_page(request, code):
    department = departments_readable(request.user).filter(code=code).first()
    if department is None:
        raise Http404
    context = _unit_context(request, Subject.DEPARTMENT, code, DEPARTMENT_INDICATORS)
    context.update(
        unit=department,
        subject="department",
        top_categories=context["results"].top_categories(department_id=department.pk),
        reader=reads_dashboard(request.user),
    )
    return render(request, "assessment/unit.html", context)


@login_required
def region_page(request, code):
    if not reads_dashboard(request.user):
        raise PermissionDenied
    region = Region.objects.defer("geom").select_related("parent").filter(code=code).first()
    if region is None or not region_readable(request.user, region.path) or region.level == Level.UNIT:
        raise Http404
    child_level = CHILD_LEVEL.get(region.level)
    levels = {region.level, child_level} if child_level else {region.level}
    context = _unit_context(request, Subject.REGION, code, REGION_INDICATORS, region_levels=levels)
    span = context["span"]
    children = []
    if child_level:
        all_rows = context["results"].of(Subject.REGION, child_level)
        children = ranking(
            [r for r in all_rows if r.parent_code == region.code],
            CHILD_COLUMNS,
            span,
            "region",
            context["previous_results"].of(Subject.REGION, child_level),
            context["year_ago_results"].of(Subject.REGION, child_level),
        )
    parent = region.parent if region.parent_id and region_readable(request.user, region.parent.path) else None
    context.update(
        unit=region,
        subject="region",
        parent=parent,
        children=children,
        child_headers=headers(CHILD_COLUMNS),
        ranking_chart=chart_of(children),
        score_map_url=score_map_url(region, span),
        top_categories=context["results"].top_categories(region_path=region.path),
        reader=True,
    )
    return render(request, "assessment/unit.html", context)


@login_required
def posts_page(request, role):
    if not reads_dashboard(request.user):
        raise PermissionDenied
    if role not in POST_SUBJECTS:
        raise Http404
    span = span_from(request)
    current = period_results(span=span, subjects=[role])
    names = POST_INDICATORS[role]
    people = post_holders_readable(request.user, role, first=span.first, last=span.last)
    table = ranking(
        [r for r in current.of(role) if people is None or r.obj_id in people],
        names,
        span,
        "post",
        period_results(span=span.previous(), subjects=[role]).of(role),
        period_results(span=span.year_before(), subjects=[role]).of(role),
        role=role,
    )
    context = {
        "span": span,
        "results": current,
        "role": role,
        "role_label": Subject(role).label,
        "roles": [(s, Subject(s).label) for s in POST_SUBJECTS],
        "headers": headers(names),
        "table": table,
        "ranking_chart": chart_of(table),
    }
    return render(request, "assessment/posts.html", context)
