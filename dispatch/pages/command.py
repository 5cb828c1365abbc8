"""The command centre (/command/): queue tabs with live counts, the filtered list, the map and the case panel."""

from django.conf import settings
from django.contrib.gis.db.models import Extent
from django.http import HttpResponse, HttpResponseBadRequest, JsonResponse
from django.shortcuts import render
from django.urls import Resolver404, resolve, reverse
from django.utils import timezone
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.scope import user_scope
from cases.clock import light_of_row
from cases.filters import parse_bbox
from cases.ids import parse_id
from cases.models import Category, Light, Status
from cases.selectors import case_detail_for_user, sensing_may_review, sensing_waiting_count_for_user
from cases.worktime import calendar_coverage_warning_for
from dispatch.pages.forms import OrderIssueForm, command_filter_form
from dispatch.pages.selectors import (
    MAP_MARKERS,
    PAGE_SIZE,
    QUEUES,
    command_case_page,
    command_queue_counts,
    departments_for_filter,
    grid_boundaries_geojson,
    map_cases_for_user,
    map_cells_for_user,
    regions_for_filter,
)
from dispatch.selectors import event_feed_start
from dispatch.services.orders import order_issue
from grids.models import Level, Region

from .access import command_required, page
from .callbacks import is_operator
from .intake import may_take_calls
from .panel import (
    Outcome,
    act_response,
    panel_answer,
    panel_call,
    panel_context,
    panel_not_found,
    panel_response,
)

FEED_PATH = "/api/v1/events/"
GRID_LEVELS = (Level.DISTRICT, Level.STREET, Level.COMMUNITY, Level.UNIT)
# Unit grids are asked for only at street zoom: a box at most this wide and high (degrees, about 6 km), so one
# answer holds a few thousand cells at most.
UNIT_GRID_MAX_BOX = 0.06


def _filter_form(request):
    return command_filter_form(request)


def feed_available():
    """Whether the live event feed is installed (it is built alongside these pages); otherwise counts are polled."""
    try:
        resolve(FEED_PATH)
    except Resolver404:
        return False
    return True


def feed_config():
    """What a page that follows the feed needs (static/cityops/feed.js): the stream, the poll for when the stream
    is not available, and the cursor at render time, so that nothing between the render and the stream is missed."""
    if not feed_available():
        return {"feedUrl": "", "streamUrl": "", "feedCursor": None}
    return {"feedUrl": FEED_PATH, "streamUrl": reverse("live-events"), "feedCursor": event_feed_start()}


def _feed_with_counts():
    """The feed, its stream asked to carry the tab counts (dispatch.live.stream), so no screen asks for them."""
    config = feed_config()
    if config["streamUrl"]:
        config["streamUrl"] += "?counts=1"
    return config


def _map_view(user):
    """The box of the user's grids, so the map opens on what they work over (one query)."""
    scope = user_scope(user)
    regions = Region.objects.all() if scope.everything else Region.objects.filter(path__in=scope.region_paths())
    extent = regions.filter(geom__isnull=False).aggregate(box=Extent("geom"))["box"]
    return list(extent) if extent else None


def _list_context(request, form, now):
    case_page = command_case_page(
        user=request.user,
        queue=form.current_queue,
        filters=form.filters(),
        level=form.cleaned_data.get("level") or "",
        cursor=form.cleaned_data.get("cursor"),
        now=now,
        size=form.cleaned_data.get("size") or PAGE_SIZE,
    )
    query = request.GET.copy()
    query.pop("cursor", None)
    query.pop("size", None)
    query.pop("case", None)
    return {"page": case_page, "now": now, "form": form, "query": query.urlencode(), "statuses": Status}


INDENT = "\u3000"  # an ideographic space before a sub-category or a street in the filters' lists
SELECTED = mark_safe(" selected")  # noqa: S308 - a constant attribute


def _options(choices, selected):
    """The <option>s of one filter, (value, label) each, the chosen one marked. Built here: as template loops the
    three lists (about 300 choices) took half the page's CPU."""
    return format_html_join(
        "", '<option value="{}"{}>{}</option>', ((v, SELECTED if v == selected else "", label) for v, label in choices)
    )


def _filter_options(user, data):
    """The category, region and department filters' options for the user, with the request's choices marked."""
    categories = Category.objects.filter(active=True).order_by("kind", "code").values_list("kind", "code", "name")
    return {
        "category_options": _options(
            ((kind + code, f"{INDENT if len(code) > 2 else ''}{kind}{code} {name}") for kind, code, name in categories),
            data.get("category"),
        ),
        "region_options": _options(
            (
                (code, f"{INDENT if level == Level.STREET else ''}{name}")
                for code, name, level in regions_for_filter(user=user)
            ),
            data.get("region"),
        ),
        "department_options": _options(departments_for_filter(user=user), data.get("department")),
    }


@command_required
@page
@require_GET
def command_centre(request):
    now = timezone.now()
    form = _filter_form(request)
    counts = command_queue_counts(user=request.user, now=now)
    panel = None
    case_id = parse_id(request.GET.get("case"))
    if case_id is not None:
        case = case_detail_for_user(user=request.user, case_id=case_id)
        if case is not None:
            panel = panel_context(request=request, case=case, surface="command", now=now)
    context = {
        **_list_context(request, form, now),
        "queues": [{"key": q.key, "label": q.label, "light": q.light, "count": counts[q.key]} for q in QUEUES],
        "current_queue": form.current_queue,
        **_filter_options(request.user, form.data),
        "calendar_warning": calendar_coverage_warning_for(request.user, now=now),
        "may_take_calls": may_take_calls(request.user),
        "may_call_back": is_operator(request.user),
        "sensing_waiting": (
            sensing_waiting_count_for_user(user=request.user) if sensing_may_review(request.user) else None
        ),
        "panel": panel,
        "grid_levels": [(level, Level(level).label) for level in GRID_LEVELS],
        "config": {
            "tiles": settings.LEAFLET_TILE_URL,
            "center": list(settings.LEAFLET_CONFIG["DEFAULT_CENTER"]),
            "zoom": settings.LEAFLET_CONFIG["DEFAULT_ZOOM"],
            "bounds": _map_view(request.user),
            "casesUrl": reverse("command-map-cases"),
            "gridsUrl": reverse("command-map-grids"),
            "patrolsUrl": reverse("command-map-patrols"),
            "countsUrl": reverse("command-counts"),
            "listUrl": reverse("command-cases"),
            "panelUrl": reverse("command-panel", args=[0]),
            **_feed_with_counts(),
            "pollSeconds": 15,
            "lights": {light.value: str(light.label) for light in Light},
            "text": {
                "open": _("Open case"),
                "changed": _("This case was changed by someone else."),
                "reload": _("Reload"),
                "updated": _("Queue counts updated:"),
                "cells": _("%(n)s cases in view, counted per area: click a count or zoom in to see them."),
                "noTiles": _("No base map configured: grids and cases only."),
                "onPatrol": _("On patrol"),
                "minutesAgo": _("last position {m} min ago"),
                "outOfTouch": _("out of touch"),
            },
        },
    }
    return render(request, "command/centre.html", context)


@command_required
@require_GET
def command_cases(request):
    """The list for the chosen tab and filters (htmx), or its next page after the cursor."""
    now = timezone.now()
    form = _filter_form(request)
    context = _list_context(request, form, now)
    template = "command/_case_rows.html" if form.cleaned_data.get("cursor") else "command/_case_list.html"
    return render(request, template, context)


@command_required
@require_GET
def command_counts(request):
    """Every tab's count, for the live refresh (one aggregate query)."""
    counts = command_queue_counts(user=request.user, now=timezone.now())
    return JsonResponse({"counts": counts, "at": timezone.now().isoformat()})


def _bbox(request):
    return parse_bbox(request.GET.get("bbox", ""))


@command_required
@require_GET
def command_map_cases(request):
    """The chosen tab's cases inside the visible box: each one with its light, or, when there are more than
    MAP_MARKERS, all of them counted per cell (the map zooms into a cell when it is clicked)."""
    bbox = _bbox(request)
    if bbox is None:
        return HttpResponseBadRequest(_("Give bbox=minlon,minlat,maxlon,maxlat."))
    now = timezone.now()
    form = _filter_form(request)
    query = {"user": request.user, "queue": form.current_queue, "filters": form.filters(), "bbox": bbox, "now": now}
    cells = map_cells_for_user(**query)
    total = sum(cell["count"] for cell in cells)
    if total > MAP_MARKERS:
        return JsonResponse({"cases": [], "cells": cells, "total": total, "truncated": False})
    statuses = dict(Status.choices)
    markers = []
    for row in map_cases_for_user(**query):
        light = light_of_row(row, now)
        markers.append(
            {
                "id": row["pk"],
                "number": row["number"],
                "status": str(statuses.get(row["status"], row["status"])),
                "category": row["category__name"],
                "address": row["address"],
                "light": light or "",
                "lon": round(row["point"].x, 6),
                "lat": round(row["point"].y, 6),
            }
        )
    return JsonResponse({"cases": markers, "cells": [], "total": len(markers), "truncated": False})


@command_required
@require_GET
def command_map_grids(request):
    """Simplified boundaries of one grid level inside the visible box, only regions in the user's scope."""
    bbox = _bbox(request)
    level = request.GET.get("level", Level.DISTRICT)
    if bbox is None or level not in GRID_LEVELS:
        return HttpResponseBadRequest(_("Give bbox=minlon,minlat,maxlon,maxlat and a grid level."))
    if level == Level.UNIT and max(bbox[2] - bbox[0], bbox[3] - bbox[1]) > UNIT_GRID_MAX_BOX:
        return HttpResponseBadRequest(_("Unit grids are shown at street zoom only: zoom in."))
    # About one screen pixel at the box's width: invisible simplification, a fraction of the vertices.
    tolerance = max((bbox[2] - bbox[0]) / 1500, 0.00001)
    body = grid_boundaries_geojson(user=request.user, bbox=bbox, level=level, tolerance=tolerance)
    return HttpResponse(body, content_type="application/geo+json")


@command_required
@require_POST
def command_order_issue(request, pk):
    """A leader's supervision order (督办) on the case, through the orders service."""
    form = OrderIssueForm(request.POST)
    if not form.is_valid():
        invalid = Outcome(None, 422)
        return panel_answer(
            request, pk, surface="command", outcome=invalid, issue_errors=form.errors, issue_data=request.POST
        )
    outcome = panel_call(
        lambda: order_issue(case_id=pk, actor=request.user, **form.cleaned_data),
        success=_("The supervision order has been issued."),
    )
    if outcome is None:
        return panel_not_found(request)
    errors = outcome.error.message_dict if outcome.error else {}
    return panel_answer(
        request, pk, surface="command", outcome=outcome, issue_errors=errors, issue_data=request.POST if errors else {}
    )


@command_required
def command_panel(request, pk):
    return panel_response(request, pk, surface="command")


@command_required
def command_act(request, pk, action):
    return act_response(request, pk, action, surface="command")
