"""The dashboard: rankings of departments, districts and streets, totals with 环比/同比, trend, 高发问题."""

import hashlib
from dataclasses import replace
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Max
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from grids.models import Level, Region
from huizhou_cityops.singleflight import cached_once

from ..indicators import INDICATORS
from ..livecache import _cache_get, _cache_set, _live_cache_seconds
from ..models import AssessmentRun, Scheme, Subject
from ..permissions import departments_readable, reader_region_roots, reads_dashboard
from ..rollups.read import rollup_version
from ..selectors import period_results, scheme_versions_in_force, schemes_for_subject, trend
from .common import cells, chart_of, compare_cells, headers, ranking, span_from

RANKED_DEPARTMENT = ["dispatched", "due", "handling_rate", "on_time_handling_rate", "close_rate", "rework_rate"]
RANKED_REGION = ["filed", "due", "public_report_rate", "close_rate", "on_time_close_rate"]
TOTALS = ["accepted", "filed", "due", "handled", "closed", "close_rate", "on_time_close_rate", "handling_rate"]
RANKED_LEVELS = (Level.DISTRICT, Level.STREET)
TREND = ["close_rate", "on_time_close_rate", "on_time_handling_rate", "rework_rate"]


def reader_root(user):
    """The region at the top of what the user reads: the city, or the highest region they are posted to."""
    roots = reader_region_roots(user)
    regions = Region.objects.defer("geom")
    if roots == ["/"]:
        return regions.filter(level=Level.CITY).order_by("code").first()
    return regions.filter(path__in=roots).order_by("depth", "code").first()


def in_subtree(rows, root):
    if root is None:
        return []
    under = _ids_under(root, frozenset(r.level for r in rows))
    return [r for r in rows if r.key == root.code or r.obj_id in under]


def _ids_under(root, levels):
    """The ids of the regions under `root` at `levels` (those of the rows asked about, not the unit grids')."""
    known = root.__dict__.setdefault("_ids_under", {})
    if levels not in known:
        regions = Region.objects.filter(path__startswith=root.path, level__in=levels)
        known[levels] = set(regions.values_list("id", flat=True))
    return known[levels]


def department_columns(scheme):
    """The department ranking's figures: the standard ones, then those the chosen scheme weighs that are not among
    them (e.g. 督办 and enforcement rates under 执法与督办评价)."""
    if not scheme:
        return RANKED_DEPARTMENT
    version = scheme_versions_in_force(overrides={Subject.DEPARTMENT: scheme}).get(Subject.DEPARTMENT)
    weighed = [c["indicator"] for c in (version.components if version else [])]
    return RANKED_DEPARTMENT + [n for n in weighed if n in INDICATORS and n not in RANKED_DEPARTMENT]


@login_required
def dashboard(request):
    if not reads_dashboard(request.user):
        raise PermissionDenied
    span = span_from(request)
    scheme = request.GET.get("scheme") or ""
    if scheme and not Scheme.objects.filter(code=scheme, subject=Subject.DEPARTMENT, active=True).exists():
        # An unknown or retired scheme: the standard one is shown, and the reader is told so.
        messages.warning(request, _("There is no active department scheme “%(code)s”; the standard one is shown.")
                         % {"code": scheme[:40]})  # fmt: skip
        scheme = ""
    key = body_cache_key(request, span, scheme)
    # The figures are shared by every reader of the scope: their links carry only what was understood.
    context = {"span": span, "query_kept": [("scheme", scheme)] if scheme else []}

    def compute():
        body = render_to_string(
            "assessment/_dashboard_body.html", {**context, **dashboard_context(request, span, scheme)}, request
        )
        if key:
            _cache_set(key, body, _live_cache_seconds())
        return body

    # Readers of one scope who miss the cache together wait for one computation (about 11 MB at its peak) instead of
    # each running their own in the same worker (huizhou_cityops.singleflight).
    body = cached_once(key, lambda: _cache_get(key), compute) if key else compute()
    context["body"] = mark_safe(body)  # noqa: S308 - rendered above by the template engine, escaped there
    return render(request, "assessment/dashboard.html", context)


def body_cache_key(request, span, scheme):
    """The key of the dashboard's rendered figures: what the reader may see (root region and departments), the
    language, the period and scheme, the daily roll-ups' version, the newest run and the current time bucket. Every
    reader of the same scope shares one rendering per bucket; a new roll-up or a freeze makes a new one."""
    seconds = _live_cache_seconds()
    if not seconds:
        return ""
    root = reader_root(request.user)
    codes = sorted(departments_readable(request.user).values_list("code", flat=True))
    scope = hashlib.sha256(",".join(codes).encode()).hexdigest()[:16]
    newest_run = AssessmentRun.objects.aggregate(m=Max("id"))["m"]
    bucket = int(timezone.now().timestamp()) // seconds
    return ":".join(
        [
            "assessment:dashboard",
            span.key,
            scheme,
            get_language() or "",
            root.code if root else "-",
            scope,
            rollup_version(),
            str(newest_run),
            str(bucket),
        ]
    )


def shown_levels(root):
    """The region levels the dashboard shows or compares: the districts and streets it ranks and the reader's root's.
    Only their rows are read or computed: the communities' (about 1,400 of some 1,500 rows, 4–5 MB a period at city
    scale) never are, unless the reader's root is one."""
    return frozenset(RANKED_LEVELS) | ({root.level} if root is not None else set())


def shown_rows(results, root):
    """`results` with only the region rows the dashboard shows or compares: the districts and streets it ranks and
    the reader's root (the others of the root's level, when it is a community, are dropped as soon as a period is
    read, so a worker does not hold three periods of them at once)."""
    kept = [
        r for r in results.of(Subject.REGION) if r.level in RANKED_LEVELS or (root is not None and r.key == root.code)
    ]
    return replace(results, rows={**results.rows, Subject.REGION: kept})


def dashboard_context(request, span, scheme):
    """Everything the dashboard's figures show, computed (or read from the live results' cache)."""
    overrides = {Subject.DEPARTMENT: scheme} if scheme else None
    subjects = [Subject.DEPARTMENT, Subject.REGION]
    root = reader_root(request.user)
    levels = shown_levels(root)
    current, previous, year_ago = (
        shown_rows(period_results(span=s, subjects=subjects, overrides=overrides, region_levels=levels), root)
        for s in (span, span.previous(), span.year_before())
    )
    codes = set(departments_readable(request.user).values_list("code", flat=True))
    departments = [r for r in current.of(Subject.DEPARTMENT) if r.key in codes]
    regions = in_subtree(current.of(Subject.REGION), root)
    top = next((r for r in regions if root and r.key == root.code), None)
    totals = cells(top, TOTALS, span, "region") if top else []
    prev_top = previous.one(Subject.REGION, root.code) if root else None
    year_top = year_ago.one(Subject.REGION, root.code) if root else None
    compare_cells(totals, prev_top, year_top)
    columns = department_columns(scheme)
    context = {
        "span": span,
        "results": current,
        "root": root,
        "top": top,
        "totals": totals,
        "schemes": schemes_for_subject(Subject.DEPARTMENT),
        "scheme": scheme,
        "department_headers": headers(columns),
        "departments": ranking(
            [r for r in departments if r.score is not None or r.counts.get("dispatched")],
            columns,
            span,
            "department",
            previous.of(Subject.DEPARTMENT),
            year_ago.of(Subject.DEPARTMENT),
        ),
        "region_headers": headers(RANKED_REGION),
        "districts": ranking(
            [r for r in regions if r.level == Level.DISTRICT], RANKED_REGION, span, "region",
            previous.of(Subject.REGION, Level.DISTRICT), year_ago.of(Subject.REGION, Level.DISTRICT),
        ),
        "streets": ranking(
            [r for r in regions if r.level == Level.STREET], RANKED_REGION, span, "region",
            previous.of(Subject.REGION, Level.STREET), year_ago.of(Subject.REGION, Level.STREET),
        ),
        # The period's own point from the results above (they keep the root's row): the live month's full results
        # are not read again for one row.
        "trend": trend(
            span=span, subject=Subject.REGION, key=root.code, names=TREND, known=[current], region_levels=levels
        ) if root else [],
        "trend_names": {n: str(h.label) for n, h in zip(TREND, headers(TREND), strict=True)},
        "top_categories": current.top_categories(region_path=root.path if root else ""),
    }  # fmt: skip
    context["category_chart"] = [{"name": t["category"].name, "count": t["count"]} for t in context["top_categories"]]
    context["ranking_chart"] = chart_of(context["departments"])
    context["score_map_url"] = score_map_url(root, span, scheme="")
    return context


def score_map_url(root, span, scheme=""):
    """The choropleth data of the scores one level under the reader's root (districts or streets)."""
    if root is None or root.level not in (Level.CITY, Level.DISTRICT):
        return ""
    query = {"period": span.key, "region": root.code}
    return reverse("assessment:map-scores") + "?" + urlencode(query)
