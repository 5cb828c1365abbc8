"""The list of cases behind one figure: the indicator's SQL condition for the unit and period, within scope."""

from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import render

from accounts.models import User
from cases.ids import parse_id
from grids.models import Region

from ..indicators.counts import COUNTS
from ..indicators.rates import INDICATORS
from ..models import POST_SUBJECTS
from ..permissions import departments_readable, post_holders_readable, reads_dashboard, region_readable
from ..selectors import case_list_for_figure, period_source
from .common import explain_url, span_from

PAGE = 50


def unit_key(request, unit, key):
    """The SQL key of the unit (department id, region path prefix, user id) after the scope check."""
    if unit == "department":
        department = departments_readable(request.user).filter(code=key).first()
        if department is None:
            raise Http404
        return department.pk, str(department)
    if not reads_dashboard(request.user):
        raise PermissionDenied
    if unit == "region":
        region = Region.objects.defer("geom").filter(code=key).first()
        if region is None or not region_readable(request.user, region.path):
            raise Http404
        return region.path + "%", str(region)
    if unit == "post":
        user = User.objects.filter(username=key).first()
        role = request.GET.get("role")
        if user is None or role not in POST_SUBJECTS:
            raise Http404
        span = span_from(request)
        people = post_holders_readable(request.user, role, first=span.first, last=span.last)
        if people is not None and user.pk not in people:
            raise Http404
        return user.pk, str(user)
    raise Http404


@login_required
def case_list(request):
    unit, key = request.GET.get("unit", ""), request.GET.get("key", "")
    indicator = INDICATORS.get(request.GET.get("indicator", ""))
    if indicator is None:
        raise Http404
    sql_key, unit_name = unit_key(request, unit, key)
    span = span_from(request)
    names = indicator.case_counts
    chosen = request.GET.get("count") if request.GET.get("count") in names else names[0]
    results = period_source(span=span)
    run = results.run
    cases = case_list_for_figure(
        user=request.user,
        span=span,
        run=run,
        unit_kind=unit,
        key=sql_key,
        role=request.GET.get("role"),
        count=COUNTS[chosen],
    )
    before = parse_id(request.GET.get("before"))
    if before is not None:
        cases = cases.filter(pk__lt=before)
    page = list(cases[: PAGE + 1])
    more = len(page) > PAGE
    page = page[:PAGE]
    base = {k: v for k, v in request.GET.items() if k not in ("count", "before")}
    tabs = [
        {"name": n, "label": COUNTS[n].label, "current": n == chosen, "url": "?" + urlencode({**base, "count": n})}
        for n in names
    ]
    context = {
        "span": span,
        "results": results,
        "run": run,
        "unit": unit,
        "unit_name": unit_name,
        "indicator": indicator,
        "count": COUNTS[chosen],
        "tabs": tabs,
        "cases": page,
        "next_url": "?" + urlencode({**base, "count": chosen, "before": page[-1].pk}) if more else "",
        "explain_url": explain_url(span, unit, key, indicator.name, request.GET.get("role", "")),
    }
    return render(request, "assessment/cases.html", context)
