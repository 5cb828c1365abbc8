"""The mobile pages of grid workers (/m/): the report form, my tasks, my reports, and the offline service worker.

The pages are rendered here; everything they change goes through the REST API from the browser (reports with an
Idempotency-Key, 核实/核查 through the transitions endpoint), so the rules stay in one place.
"""

import hashlib
import json
import uuid
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.contrib.staticfiles import finders
from django.http import Http404, HttpResponse, JsonResponse
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from accounts.models import Role
from accounts.scope import user_scope
from cases.clock import light_at
from cases.ids import parse_id
from cases.models import PhotoKind
from cases.permissions import case_allowed_actions
from cases.workflow import ACTIONS, ASSIGNEE
from grids.duty_selectors import patrol_attendance_for_worker
from grids.models import PatrolSession

from .mobile_selectors import (
    REPORTS_PAGE_SIZE,
    case_count_for_my_tasks,
    case_list_for_my_reports,
    case_list_for_my_tasks,
    category_list_for_picker,
    is_grid_worker,
    region_list_for_grid_worker,
    region_outline_geojson,
)
from .mobile_strings import js_strings

ZERO_UUID = uuid.UUID(int=0)
# Photos are shrunk in the browser before upload (and before waiting offline): long side 1600 px, JPEG.
PHOTO_MAX_SIDE = 1600
PHOTO_QUALITY = 0.85
# Queued reports are retried on the online event, on every page load and this often while a page is open.
RETRY_SECONDS = 30
# The on-site tasks of /m/tasks/: the actions a grid worker takes on a case assigned to them.
TASK_ACTIONS = tuple(name for name, spec in ACTIONS.items() if spec.scope == ASSIGNEE)

# What the service worker keeps for offline use: our files and Leaflet (from django-leaflet's static files).
SHELL_STATIC = (
    "cityops/site.css",
    "mobile/mobile.css",
    "mobile/app.js",
    "mobile/report.js",
    "mobile/tasks.js",
    "mobile/patrol.js",
    "mobile/icon.svg",
    "leaflet/leaflet.css",
    "leaflet/leaflet.js",
)
SHELL_PAGES = ("mobile-report", "mobile-tasks", "mobile-reports", "mobile-patrols")


def _not_a_grid_worker(request):
    """Other roles get a page that says what /m/ is for (403, so nothing caches it as the app)."""
    roles = sorted(str(Role(role).label) for role in user_scope(request.user).roles if role in Role.values)
    return render(request, "mobile/not_grid_worker.html", {"roles": roles}, status=403)


def _config(request, **extra):
    """What every mobile page's script needs: URLs, the user, the CSRF cookie, retry and photo settings."""
    get_token(request)  # make sure the csrftoken cookie is set for the API calls
    config = {
        "user": request.user.get_username(),
        "language": get_language(),
        "csrfCookie": settings.CSRF_COOKIE_NAME,
        "api": {
            "cases": reverse("case-list"),
            "transitions": reverse("case-transitions", args=[0]).replace("/0/", "/{id}/"),
            "categories": reverse("api-category-list"),
            "locate": reverse("api-region-locate"),
            "facilitiesNearby": reverse("api-facility-nearby"),
        },
        "pages": {"report": reverse("mobile-report"), "reports": reverse("mobile-reports")},
        "serviceWorker": reverse("mobile-sw"),
        "scope": reverse("mobile-report"),
        "loginUrl": f"{reverse('login')}?{urlencode({'next': request.path})}",
        "retrySeconds": RETRY_SECONDS,
        "maxPhotos": settings.CASE_PHOTOS_MAX,
        "photoMaxSide": PHOTO_MAX_SIDE,
        "photoQuality": PHOTO_QUALITY,
        "patrol": _patrol_config(request.user),
    }
    config.update(extra)
    return config


def _patrol_config(user):
    """What the patrol card's script needs: the API, the recording intervals and the patrol open on the server."""
    open_ = PatrolSession.objects.filter(user=user, ended_at__isnull=True).values("client_id", "started_at").first()
    return {
        "start": reverse("api-patrol-start"),
        "track": reverse("api-patrol-track", args=[ZERO_UUID]).replace(str(ZERO_UUID), "{id}"),
        "end": reverse("api-patrol-end", args=[ZERO_UUID]).replace(str(ZERO_UUID), "{id}"),
        "seconds": settings.PATROL_TRACK_SECONDS,
        "lowBatterySeconds": max(settings.PATROL_TRACK_LOW_BATTERY_SECONDS, settings.PATROL_TRACK_SECONDS),
        "batchMax": settings.PATROL_TRACK_BATCH_MAX,
        "open": None
        if open_ is None
        else {"client_id": str(open_["client_id"]), "started_at": open_["started_at"].isoformat()},
    }


def _context(request, page, config, task_count=None, **extra):
    if task_count is None:
        task_count = case_count_for_my_tasks(user=request.user)
    return {"page": page, "m_config": config, "m_strings": js_strings(), "task_count": task_count, **extra}


@login_required
def report(request):
    """The report form: category, location (GPS pin or typed address), photos, description; works offline."""
    if not is_grid_worker(request.user):
        return _not_a_grid_worker(request)
    regions = region_list_for_grid_worker(user=request.user)
    outlines = [
        {"code": r.code, "name": r.name, "geometry": region_outline_geojson(r)} for r in regions if r.geom is not None
    ]
    fallback = regions[0].geom.point_on_surface if regions and regions[0].geom is not None else None
    config = _config(
        request,
        outlines=outlines,
        fallbackPoint=None if fallback is None else [round(fallback.y, 7), round(fallback.x, 7)],
        tileUrl=settings.LEAFLET_TILE_URL,
        tileAttribution="&copy; OpenStreetMap" if settings.LEAFLET_TILE_URL else "",
    )
    context = _context(
        request,
        "report",
        config,
        regions=regions,
        categories=category_list_for_picker(),
    )
    return render(request, "mobile/report.html", context)


@login_required
def tasks(request):
    """核实 and 核查 tasks assigned to this grid worker, before and after photos side by side, with the actions."""
    if not is_grid_worker(request.user):
        return _not_a_grid_worker(request)
    now = timezone.now()
    rows = []
    for case in case_list_for_my_tasks(user=request.user):
        allowed = [a for a in case_allowed_actions(user=request.user, case=case) if a in TASK_ACTIONS]
        spec = ACTIONS[allowed[0]] if allowed else None
        rows.append(
            {
                "case": case,
                "action": spec,
                "outcome": spec.outcome if spec else None,
                "light": light_at(case, now),
                "before": [p for p in case.task_photos if p.kind == PhotoKind.BEFORE],
                "after": [p for p in case.task_photos if p.kind == PhotoKind.AFTER],
            }
        )
    context = _context(request, "tasks", _config(request), task_count=len(rows), tasks=rows)
    return render(request, "mobile/tasks.html", context)


@login_required
def reports(request):
    """This grid worker's reports with their status and light, and the ones still waiting in the phone."""
    if not is_grid_worker(request.user):
        return _not_a_grid_worker(request)
    before = request.GET.get("before", "")
    before_id = parse_id(before)
    if before and before_id is None:
        raise Http404
    rows = case_list_for_my_reports(user=request.user, before_id=before_id)
    page, more = rows[:REPORTS_PAGE_SIZE], len(rows) > REPORTS_PAGE_SIZE
    now = timezone.now()
    items = [{"case": case, "light": light_at(case, now), "final": case.is_final} for case in page]
    context = _context(
        request,
        "reports",
        _config(request),
        reports=items,
        next_before=page[-1].pk if more else None,
    )
    return render(request, "mobile/reports.html", context)


@login_required
def patrols(request):
    """The worker's attendance: today's patrols (上岗 … 下岗), time on duty and distance, and the patrol card."""
    if not is_grid_worker(request.user):
        return _not_a_grid_worker(request)
    now = timezone.now()
    attendance = patrol_attendance_for_worker(user=request.user, day=timezone.localdate(now), now=now)
    hours, rest = divmod(attendance.seconds // 60, 60)
    context = _context(
        request, "patrols", _config(request), attendance=attendance, on_duty_hm=f"{hours}:{rest:02d}", now=now
    )
    return render(request, "mobile/patrols.html", context)


@require_GET
@never_cache
def service_worker(request):
    """The service worker script from /m/, so its scope is /m/; public (the browser fetches it on its own)."""
    source, version = _service_worker_source()
    shell = {
        "version": version,
        "static": [static(path) for path in SHELL_STATIC],
        "pages": [reverse(name) for name in SHELL_PAGES],
        "staticPrefix": settings.STATIC_URL,
        # The scoped photo views' common prefix ("/photos/"): the task list's thumbnails are kept offline.
        "photoPrefix": reverse("case-photo", args=[0]).removesuffix("0/"),
        "scope": reverse("mobile-report"),
    }
    body = f"self.CITYOPS_SHELL = {json.dumps(shell)};\n{source}"
    response = HttpResponse(body, content_type="text/javascript; charset=utf-8")
    response["Service-Worker-Allowed"] = reverse("mobile-report")
    return response


@require_GET
def manifest(request):
    """The web app manifest: installable to the home screen, opening the report form."""
    scope = reverse("mobile-report")
    data = {
        "name": _("Huizhou CityOps · Mobile reports"),
        "short_name": _("CityOps reports"),
        "lang": get_language(),
        "start_url": scope,
        "scope": scope,
        "display": "standalone",
        "orientation": "portrait",
        "background_color": "#f4f6f9",
        "theme_color": "#0b5cad",
        "icons": [{"src": static("mobile/icon.svg"), "sizes": "any", "type": "image/svg+xml", "purpose": "any"}],
    }
    response = JsonResponse(data, json_dumps_params={"ensure_ascii": False})
    response["Content-Type"] = "application/manifest+json; charset=utf-8"
    return response


def _service_worker_source():
    """sw.js and a version that changes whenever a shell file changes (so phones pick up the new files)."""
    paths = [finders.find("mobile/sw.js"), *(finders.find(p) for p in SHELL_STATIC)]
    stamps = tuple((p, Path(p).stat().st_mtime_ns) for p in paths if p)
    return _read_and_hash(stamps)


@lru_cache(maxsize=4)
def _read_and_hash(stamps):
    digest = hashlib.sha256()
    for path, _mtime in stamps:
        digest.update(Path(path).read_bytes())
    source = Path(stamps[0][0]).read_text(encoding="utf-8")
    return source, digest.hexdigest()[:16]
