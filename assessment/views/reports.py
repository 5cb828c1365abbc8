"""Exports (CSV, XLSX), the printable monthly bulletin (通报) and the hot-spot map."""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.models import Source
from grids.models import Level, Region

from ..exports import export_table, to_csv, to_xlsx
from ..indicators.rates import DEPARTMENT_INDICATORS, POST_INDICATORS, REGION_INDICATORS
from ..models import POST_SUBJECTS, Subject
from ..permissions import departments_readable, reads_dashboard, region_readable
from ..selectors import period_results, period_source, score_map_features
from .common import cells, chart_of, compare_cells, headers, ranking, span_from
from .dashboard import in_subtree, reader_root, score_map_url
from .units import CHILD_LEVEL

BULLETIN_TOTALS = ["accepted", "filed", "due", "closed", "close_rate", "on_time_close_rate", "handling_rate"]
BULLETIN_REGION = ["filed", "due", "closed", "close_rate", "on_time_close_rate"]
BULLETIN_DEPARTMENT = ["dispatched", "due", "handled", "close_rate", "on_time_handling_rate", "rework_rate"]


def _reader(request):
    if not reads_dashboard(request.user):
        raise PermissionDenied


def _sections(request, span):
    results = period_results(span=span)
    root = reader_root(request.user)
    codes = set(departments_readable(request.user).values_list("code", flat=True))
    regions = in_subtree(results.of(Subject.REGION), root)
    sections = [
        (_("Departments"), *export_table(
            [r for r in results.of(Subject.DEPARTMENT) if r.key in codes], DEPARTMENT_INDICATORS, "department"
        )),
        (_("Regions"), *export_table(regions, REGION_INDICATORS, "region")),
    ]  # fmt: skip
    if root is not None and root.level == Level.CITY:
        for role in POST_SUBJECTS:
            sections.append((str(Subject(role).label), *export_table(results.of(role), POST_INDICATORS[role], role)))
    return sections


@login_required
def export(request, fmt):
    _reader(request)
    span = span_from(request)
    sections = _sections(request, span)
    name = f"assessment-{span.label}"
    if fmt == "csv":
        response = HttpResponse(to_csv(sections), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
        return response
    if fmt == "xlsx":
        response = HttpResponse(
            to_xlsx(sections), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        )
        response["Content-Disposition"] = f'attachment; filename="{name}.xlsx"'
        return response
    raise Http404


@login_required
def bulletin(request):
    """The printable monthly bulletin: totals with 环比/同比, splits, rankings, 高发问题, manhole covers by owner."""
    _reader(request)
    span = span_from(request, default_kind="month")
    if not request.GET.get("period") and not request.GET.get("kind"):
        span = span.previous()  # without a chosen period the bulletin is about the month that ended
    subjects = [Subject.DEPARTMENT, Subject.REGION]
    current = period_results(span=span, subjects=subjects)
    previous = period_results(span=span.previous(), subjects=subjects)
    year_ago = period_results(span=span.year_before(), subjects=subjects)
    root = reader_root(request.user)
    top = current.one(Subject.REGION, root.code) if root else None
    totals = cells(top, BULLETIN_TOTALS, span, "region") if top else []
    compare_cells(
        totals,
        previous.one(Subject.REGION, root.code) if root else None,
        year_ago.one(Subject.REGION, root.code) if root else None,
    )
    child_level = {Level.CITY: Level.DISTRICT, Level.DISTRICT: Level.STREET}.get(
        root.level if root else "", Level.STREET
    )
    regions = in_subtree(current.of(Subject.REGION, child_level), root)
    codes = set(departments_readable(request.user).values_list("code", flat=True))
    departments = [r for r in current.of(Subject.DEPARTMENT) if r.key in codes and r.score is not None]
    splits = current.splits(region_path=root.path if root else "")
    sources = dict(Source.choices)
    splits = {
        **splits,
        "by_source": [{**r, "label": sources.get(r["case__source"], r["case__source"])} for r in splits["by_source"]],
    }
    context = {
        "span": span,
        "results": current,
        "root": root,
        "totals": totals,
        "splits": splits,
        "region_headers": headers(BULLETIN_REGION),
        "regions": ranking(
            regions, BULLETIN_REGION, span, "region",
            previous.of(Subject.REGION, child_level), year_ago.of(Subject.REGION, child_level),
        ),
        "department_headers": headers(BULLETIN_DEPARTMENT),
        "departments": ranking(
            departments, BULLETIN_DEPARTMENT, span, "department",
            previous.of(Subject.DEPARTMENT), year_ago.of(Subject.DEPARTMENT),
        ),
        "top_categories": current.top_categories(region_path=root.path if root else ""),
        "printed_at": timezone.now(),
        "score_map_url": score_map_url(root, span),
    }  # fmt: skip
    context["region_chart"] = chart_of(context["regions"])
    context["department_chart"] = chart_of(context["departments"])
    return render(request, "assessment/bulletin.html", context)


def _map_region(request):
    code = request.GET.get("region")
    root = reader_root(request.user)
    if not code:
        return root
    region = Region.objects.defer("geom").filter(code=code).first()
    if region is None or not region_readable(request.user, region.path):
        raise Http404
    return region


@login_required
def hotspot_map(request):
    _reader(request)
    span = span_from(request)
    region = _map_region(request)
    context = {
        "span": span,
        "results": period_source(span=span),
        "region": region,
        "tile_url": settings.LEAFLET_TILE_URL,
        "data_url_query": request.GET.urlencode(),
    }
    return render(request, "assessment/map.html", context)


@login_required
def hotspot_data(request):
    _reader(request)
    span = span_from(request)
    region = _map_region(request)
    if region is None:
        raise Http404
    return JsonResponse(period_source(span=span).hotspots(region=region))


@login_required
def score_map_data(request):
    """GeoJSON of the regions one level under `region` with their scores in the period (the score map)."""
    _reader(request)
    span = span_from(request)
    region = _map_region(request)
    if region is None:
        raise Http404
    # The children's level only: a street's map does not need every region's row of the period.
    levels = {CHILD_LEVEL[region.level]} if region.level in CHILD_LEVEL else set()
    results = period_results(span=span, subjects=[Subject.REGION], region_levels=levels)
    return JsonResponse(score_map_features(results=results, region=region))
