"""The facility inventory in the pages: a facility's page with its case history, its photo, the map layer."""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpResponseBadRequest, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from cases.filters import parse_bbox
from cases.models import Case, Category, CategoryKind
from grids.models import FacilityState
from grids.selectors import facility_detail_for_user, facility_list_for_map

from .access import command_required
from .selectors import has_command_role, has_handler_role

HISTORY_LIMIT = 50


def _case_link_name(user):
    """Where a case of the history opens for this user: the command centre's panel, the workspace's, or nowhere."""
    if has_command_role(user):
        return "command-panel"
    if has_handler_role(user):
        return "dept-panel"
    return None


@login_required
@require_GET
def facility_detail(request, code):
    """One facility: class, owner, maintainer, state, photo, its place on a small map and the cases about it."""
    facility = facility_detail_for_user(user=request.user, code=code)
    if facility is None:
        raise Http404(_("No such facility."))
    history = Case.objects.visible_to(request.user).for_list().filter(facility=facility).order_by("-created_at", "-id")
    rows = list(history[: HISTORY_LIMIT + 1])
    config = {
        "lon": facility.point.x,
        "lat": facility.point.y,
        "state": facility.state,
        "tileUrl": settings.LEAFLET_TILE_URL,
    }
    category = Category.objects.filter(kind=CategoryKind.COMPONENT, code=facility.class_code, parent__isnull=False)
    context = {
        "facility": facility,
        "category": category.select_related("parent").first(),
        "cases": rows[:HISTORY_LIMIT],
        "more_cases": len(rows) > HISTORY_LIMIT,
        "case_link": _case_link_name(request.user),
        "photo_url": facility.attributes.get("photo_url", "") if isinstance(facility.attributes, dict) else "",
        "attributes": sorted(
            (k, v) for k, v in (facility.attributes or {}).items() if k != "photo_url" and not isinstance(v, dict)
        ),
        "config": config,
    }
    return render(request, "facilities/detail.html", context)


@login_required
@require_GET
def facility_photo(request, code):
    """The facility's photo, to those who may see the facility (never under /media/)."""
    facility = facility_detail_for_user(user=request.user, code=code)
    if facility is None or not facility.photo:
        raise Http404(_("No photo."))
    try:
        handle = facility.photo.open("rb")
    except (FileNotFoundError, OSError) as exc:
        raise Http404(_("No photo.")) from exc
    response = FileResponse(handle)
    response["Cache-Control"] = "private, max-age=3600"
    return response


@command_required
@require_GET
def command_map_facilities(request):
    """Facilities inside the visible box (the map asks from street zoom on), with their state, at most 2,000."""
    bbox = parse_bbox(request.GET.get("bbox", ""))
    if bbox is None:
        return HttpResponseBadRequest(_("Give bbox=minlon,minlat,maxlon,maxlat."))
    rows, truncated = facility_list_for_map(user=request.user, bbox=bbox)
    states = dict(FacilityState.choices)
    features = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [round(r["point"].x, 7), round(r["point"].y, 7)]},
            "properties": {
                "code": r["code"],
                "class_code": r["class_code"],
                "name": r["name"],
                "state": r["state"],
                "state_display": str(states.get(r["state"], r["state"])),
            },
        }
        for r in rows
    ]
    return JsonResponse({"type": "FeatureCollection", "features": features, "truncated": truncated})
