"""The intake desk (/command/intake/): an operator or shift lead takes a hotline call or a visitor at the counter.

One server-rendered form that works without JavaScript (the "look up" button re-renders it with the search
results, the located grid, possible duplicates and the filing conditions), and with htmx the same parts refresh
as the operator types (`command-intake-categories`, `-places`, `-check`). Saving goes through
`cases.services.desk.case_intake`: the usual case creation, then accept and register when asked and allowed.
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.gis.geos import Point
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from accounts.scope import user_scope
from cases.catalogue import category_search
from cases.catalogue.selectors import filing_conditions_with_limits
from cases.models import CategoryKind
from cases.photos import PhotoError
from cases.selectors import case_address_search, case_duplicate_candidates
from cases.services.desk import case_intake, desk_steps_for
from cases.services.intake import DESK
from grids.selectors import facility_nearest, region_locate, region_search_for_user
from huizhou_cityops.errors import ConflictError

from .access import _role_required, page
from .intake_form import ACCEPT, CHECK, FILE, IntakeForm, category_from_code, point_from_place
from .selectors import QUEUES

RESULTS = 8


def may_take_calls(user) -> bool:
    """Whether the user works the intake desk (an operator or shift lead; cases.services.intake.DESK)."""
    return user.is_authenticated and bool(user_scope(user).roles & DESK)


desk_required = _role_required(may_take_calls, lambda: _("The intake desk is for operators and shift leads."))


def _may_file(user) -> bool:
    return desk_steps_for(user) == ("accept", "register")


def _may_accept(user) -> bool:
    return "accept" in desk_steps_for(user)


# ---- the parts that refresh as the operator types ----


def _categories(query):
    if not (query or "").strip():
        return []
    return list(category_search(query=query)[:RESULTS])


def _places(user, query):
    """The gazetteer: streets and communities by name, then known addresses of earlier cases."""
    rows = [
        {
            "label": f"{r.name} · {r.parent.name}" if r.parent_id else r.name,
            "kind": r.get_level_display(),
            "address": r.name,
            "lon": round(r.inside.x, 6),
            "lat": round(r.inside.y, 6),
        }
        for r in region_search_for_user(user=user, query=query, limit=RESULTS)
    ]
    rows += [
        {"label": address, "kind": _("Known address"), "address": address, "lon": round(p.x, 6), "lat": round(p.y, 6)}
        for address, p in case_address_search(user=user, query=query, limit=RESULTS)
    ]
    for row in rows:
        row["value"] = f"{row['lon']},{row['lat']}"
    return rows[: RESULTS * 2]


def _check(user, *, lon, lat, category, urgency, now):
    """The located grid, the possible duplicates and the class's filing conditions with their limits there."""
    region = None if lon is None or lat is None else region_locate(lon=lon, lat=lat)
    scope = user_scope(user)
    inside = region is not None and any(scope.covers_path(region.path, role) for role in DESK)
    duplicates, conditions, facilities = [], [], []
    if category is not None and region is not None:
        point = Point(lon, lat, srid=4326)
        duplicates = case_duplicate_candidates(category=category, point=point, user=user, now=now)
        if category.kind == CategoryKind.COMPONENT:
            facilities = facility_nearest(lon=lon, lat=lat, class_code=category.code, user=user)
    if category is not None:
        conditions = filing_conditions_with_limits(
            category_id=category.pk, area_class=region.area_class if region is not None else None
        )
    return {
        "has_point": lon is not None and lat is not None,
        "region": region,
        "inside": inside,
        "category": category,
        "duplicates": duplicates,
        "facilities": facilities,
        "conditions": conditions,
        "urgency": urgency,
    }


def _lenient(parse, value):
    """A partial's parameter: the parsed value, or None when it does not parse (the form says why on saving)."""
    try:
        return parse(value)
    except ValidationError:
        return None


def _point_of(query):
    try:
        lon, lat = float(query.get("lon", "")), float(query.get("lat", ""))
    except ValueError:
        return _lenient(point_from_place, query.get("place")) or (None, None)
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        return None, None
    return lon, lat


@desk_required
@require_GET
def intake_categories(request):
    """Matching minor classes for the picker (the phone's search: Chinese name, code or pinyin initials)."""
    query = request.GET.get("category_q", "")[:40]
    return render(request, "command/_intake_categories.html", {"categories": _categories(query), "query": query})


@desk_required
@require_GET
def intake_places(request):
    """Gazetteer matches: streets, communities and known addresses, each with a point."""
    query = request.GET.get("place_q", "")[:60]
    places = _places(request.user, query) if query.strip() else []
    return render(request, "command/_intake_places.html", {"places": places, "query": query})


@desk_required
@require_GET
def intake_check(request):
    """The located grid, possible duplicates (50 m, 7 days) and the filing conditions with their limits."""
    lon, lat = _point_of(request.GET)
    category = _lenient(category_from_code, request.GET.get("category"))
    check = _check(
        request.user, lon=lon, lat=lat, category=category, urgency=request.GET.get("urgency"), now=timezone.now()
    )
    chosen = request.GET.get("filing_condition", "")
    context = {
        "check": check,
        "may_file": _may_file(request.user),
        "chosen_condition": chosen,
        "chosen_facility": request.GET.get("facility", ""),
    }
    return render(request, "command/_intake_check.html", context)


# ---- the page ----


def _page(request, form, status=200):
    data = form.cleaned_data if form.is_bound and hasattr(form, "cleaned_data") else {}
    raw = form.data if form.is_bound else {}
    lon, lat = data.get("lon"), data.get("lat")
    category = data.get("category") or _lenient(category_from_code, raw.get("category"))
    context = {
        "form": form,
        "may_file": _may_file(request.user),
        "may_accept": _may_accept(request.user),
        "categories": _categories(raw.get("category_q", "")),
        "places": _places(request.user, raw.get("place_q", "")) if raw.get("place_q", "").strip() else [],
        "check": _check(
            request.user, lon=lon, lat=lat, category=category, urgency=raw.get("urgency"), now=timezone.now()
        ),
        "chosen_condition": raw.get("filing_condition", ""),
        "chosen_facility": raw.get("facility", ""),
        "chosen_category": category,
        "max_photos": settings.CASE_PHOTOS_MAX,
        "config": {
            "tiles": settings.LEAFLET_TILE_URL,
            "center": list(settings.LEAFLET_CONFIG["DEFAULT_CENTER"]),
            "zoom": settings.LEAFLET_CONFIG["DEFAULT_ZOOM"],
            "gridsUrl": reverse("command-map-grids"),
            "text": {"pin": _("The place of the problem"), "noTiles": _("No base map configured.")},
        },
    }
    return render(request, "command/intake.html", context, status=status)


def _done_message(case, steps):
    if "register" in steps:
        text = _("Case %(number)s was entered, accepted and filed.")
    elif "accept" in steps:
        text = _("Case %(number)s was entered and accepted.")
    else:
        text = _("Case %(number)s was entered; it waits for acceptance.")
    return text % {"number": case.number}


def _save(request, form):
    """Run the desk's service for a valid form; the redirect to the new case, or None with the errors on the form."""
    file_it = form.step == FILE and form.file_allowed
    register = {"filing_condition": form.cleaned_data["filing_condition"], "urgency": form.cleaned_data["urgency"]}
    try:
        case, steps = case_intake(
            actor=request.user,
            report=form.report(photos=form.cleaned_data["photos"] or ()),
            accept=form.step in (ACCEPT, FILE),
            register=register if file_it else None,
        )
    except ValidationError as exc:
        form.add_service_errors(exc)
    except PhotoError as exc:
        form.add_error("photos", exc.message)
    except (PermissionDenied, ConflictError, Http404) as exc:
        form.add_error(None, str(getattr(exc, "message", "") or exc) or _("This is not yours to do."))
    else:
        messages.success(request, _done_message(case, steps))
        # The tab of the case's status now (auto-dispatch may move it on later; it stays under "all open").
        queue = case.status if case.status in {q.key for q in QUEUES} else "all"
        return redirect(f"{reverse('command-centre')}?queue={queue}&case={case.pk}")
    return None


@desk_required
@page
@require_http_methods(["GET", "POST"])
def intake(request):
    """The intake form: GET a blank one; POST looks up (the "look up" button), or saves and perhaps files."""
    file_allowed = _may_file(request.user)
    if request.method != "POST":
        return _page(request, IntakeForm(file_allowed=file_allowed))
    form = IntakeForm(request.POST, request.FILES, file_allowed=file_allowed)
    if form.step == CHECK:
        form.is_valid()
        return _page(request, form)
    if form.is_valid():
        answer = _save(request, form)
        if answer is not None:
            return answer
    return _page(request, form, status=422)
