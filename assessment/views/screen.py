"""The big screen (/screen/, 大屏): a dark wall page of the viewer's city or district, and the JSON behind it.

The page is rendered empty and filled from `screen-data` (the figures, cached per scope) and `screen-grid` (the
community polygons); it follows the live feed for its ticker and asks for the figures again when cases change.
"""

from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from cases.models import Light
from cases.workflow import ACTIONS, REPORT_EVENT
from dispatch.events import OVERLAY_LABELS, event_label
from dispatch.pages.access import page, screen_required
from dispatch.pages.command import feed_config

from ..selectors.screen import screen_communities_geojson, screen_figures_cached, screen_scope_for_user

# How often the figures are asked for again without any event (the lights turn with time alone); with events,
# at most once per REFRESH_MIN_SECONDS.
REFRESH_SECONDS = 60
REFRESH_MIN_SECONDS = 5


def _scope_or_404(request):
    code = (request.GET.get("region") or "").strip()[:15]
    scope = screen_scope_for_user(user=request.user, code=code)
    if scope is None:
        raise Http404
    return scope, code


def _labels():
    names = [REPORT_EVENT, *ACTIONS, *OVERLAY_LABELS]
    return {name: str(event_label(name)) for name in names}


@screen_required
@page
@require_GET
def screen(request):
    scope, code = _scope_or_404(request)
    query = f"?region={code}" if code else ""
    config = {
        "dataUrl": reverse("screen-data") + query,
        "gridUrl": reverse("screen-grid") + query,
        **feed_config(),
        "pollSeconds": 15,
        "refreshSeconds": REFRESH_SECONDS,
        "refreshMinSeconds": REFRESH_MIN_SECONDS,
        "lights": {light.value: str(light.label) for light in Light} | {"none": _("No clock")},
        "actions": _labels(),
        "text": {
            "received": _("Received"),
            "closed": _("Closed"),
            "open": _("open cases"),
            "hours": _("h overdue"),
            "stopped": _("clock stopped"),
            "live": _("Live"),
            "polling": _("Polling"),
            "offline": _("Figures not updated"),
            "noRows": _("None"),
        },
    }
    return render(request, "assessment/screen.html", {"scope": scope, "config": config})


@screen_required
@require_GET
def screen_data(request):
    scope, _code = _scope_or_404(request)
    return JsonResponse(screen_figures_cached(scope))


@screen_required
@require_GET
def screen_grid(request):
    scope, _code = _scope_or_404(request)
    return HttpResponse(screen_communities_geojson(scope), content_type="application/geo+json")
