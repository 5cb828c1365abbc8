"""The GeoReport v2 endpoints. Interfaces only: parse the parameters, call one selector or service, render.

Reading is open to anyone; POST requests needs a client's api_key. Every refusal is the specification's error
document in the requested format, with the HTTP status of its code; nothing here answers 500 for bad input.
"""

from functools import wraps

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from accounts.security.clientip import client_ip
from accounts.security.ratelimit import rate_allow
from cases.models import CategoryKind, Open311Client

from . import params as p
from .formats import Open311Error, render, render_error
from .public import request_row
from .selectors import (
    FACILITY_ATTRIBUTE,
    open311_category,
    open311_request,
    open311_requests,
    open311_service_definition,
    open311_services,
    open311_token,
)
from .services import open311_facility, open311_request_post

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"


def open311_view(view):
    """Checks the format and the jurisdiction, and turns refusals into the specification's error documents."""

    @wraps(view)
    def wrapper(request, *args, format, **kwargs):
        try:
            fmt = p.check_format(format)
            p.check_jurisdiction(request.GET)
            if request.method == "POST":
                p.check_jurisdiction(request.POST)
            return view(request, *args, fmt=fmt, **kwargs)
        except Open311Error as error:
            return render_error(error, format)
        except ValidationError as error:
            return render_error(Open311Error(400, " ".join(error.messages)), format)
        except PermissionDenied as error:
            return render_error(Open311Error(403, str(error) or _("Not permitted.")), format)

    return wrapper


@require_GET
@open311_view
def discovery(request, *, fmt):
    base = request.build_absolute_uri(reverse("open311-services", kwargs={"format": "json"})).rsplit("/", 1)[0]
    document = {
        "changeset": settings.OPEN311_CHANGESET,
        "contact": settings.OPEN311_CONTACT,
        "key_service": settings.OPEN311_KEY_SERVICE,
        "endpoints": [
            {
                "specification": SPECIFICATION,
                "url": base,
                "changeset": settings.OPEN311_CHANGESET,
                "type": "production",
                "formats": ["text/xml", "application/json"],
            }
        ],
    }
    return render(document, fmt, root="discovery")


@require_GET
@open311_view
def services(request, *, fmt):
    return render(open311_services(), fmt, root="services", item="service")


@require_GET
@open311_view
def service_definition(request, service_code, *, fmt):
    category = open311_category(service_code)
    definition = open311_service_definition(category) if category else None
    if definition is None:
        message = _("service_code “%(code)s” was not found or has no attributes (metadata false).")
        raise Open311Error(404, message % {"code": service_code[:20]})
    return render(definition, fmt, root="service_definition")


@csrf_exempt  # other systems post with their api_key, not from our pages: there is no session to forge
@require_http_methods(["GET", "HEAD", "POST"])
@open311_view
def requests(request, *, fmt):
    if request.method == "POST":
        return _post_request(request, fmt)
    filters = p.request_filters(request.GET, now=timezone.now())
    rows = [request_row(case) for case in open311_requests(**filters)]
    return render(rows, fmt, root="service_requests", item="request")


@require_GET
@open311_view
def request_detail(request, service_request_id, *, fmt):
    case = open311_request(service_request_id.strip())
    if case is None:
        message = _("service_request_id “%(id)s” was not found.")
        raise Open311Error(404, message % {"id": service_request_id[:30]})
    return render([request_row(case)], fmt, root="service_requests", item="request")


@require_GET
@open311_view
def token_detail(request, token, *, fmt):
    found = open311_token(token.strip())
    if found is None:
        raise Open311Error(404, _("token “%(token)s” was not found.") % {"token": token[:40]})
    row = {"service_request_id": found.case.number, "token": found.token}
    return render([row], fmt, root="service_requests", item="request")


def _client(request):
    """The live client holding the api_key; 403 without one or with a wrong or revoked one, 429 past the limits."""
    key = request.POST.get("api_key") or ""
    if not key:
        raise Open311Error(403, _("api_key was not provided; a client system needs one to create a request."))
    client = Open311Client.find_by_key(key)
    if client is None:
        if not rate_allow(
            "open311-bad-key", client_ip(request) or "-", limit=settings.OPEN311_BAD_KEYS_PER_MINUTE, period=60
        ):
            raise Open311Error(429, _("Too many requests with a wrong api_key; try again in a minute."))
        raise Open311Error(403, _("Invalid api_key received -- can't proceed with create_request."))
    if not rate_allow("open311", str(client.pk), limit=settings.OPEN311_POSTS_PER_MINUTE, period=60):
        message = _("This client posted more than %(limit)d requests in a minute; try again shortly.")
        raise Open311Error(429, message % {"limit": settings.OPEN311_POSTS_PER_MINUTE})
    return client


def _location(data):
    """(lon, lat, facility code) from lat/long, or from address_id (a facility's object code)."""
    lat, lon = data.get("lat"), data.get("long")
    address_id = (data.get("address_id") or "").strip()
    if lat or lon:
        return p.coordinate("long", lon, -180, 180), p.coordinate("lat", lat, -90, 90), ""
    if address_id:
        facility = open311_facility(address_id)
        if facility is None:
            message = _("address_id “%(id)s” is not the object code of any facility.")
            raise Open311Error(400, message % {"id": address_id[:40]})
        return facility.point.x, facility.point.y, facility.code
    if (data.get("address_string") or "").strip():
        raise Open311Error(400, _("address_string alone cannot be located here: send lat and long as well."))
    raise Open311Error(400, _("A location is required: lat and long, address_string or address_id."))


def _post_request(request, fmt):
    data = request.POST
    client = _client(request)
    category = p.category_of(data.get("service_code"))
    lon, lat, facility = _location(data)
    texts = p.text_fields(data)
    named = (data.get(f"attribute[{FACILITY_ATTRIBUTE}]") or "").strip()[:40]
    if facility and category.kind != CategoryKind.COMPONENT:
        facility = ""  # a place given by a facility's code; only a 部件 report is about the facility itself
    contact_name = " ".join(part for part in (texts["first_name"], texts["last_name"]) if part)
    record, duplicates = open311_request_post(
        client=client,
        category=category,
        lon=lon,
        lat=lat,
        description=texts["description"] or category.name,
        address=texts["address_string"],
        facility=named or facility,
        contact_name=contact_name,
        contact_phone=texts["phone"],
        device_id=(data.get("device_id") or "").strip()[:100],
    )
    if duplicates:
        numbers = ", ".join(case.number for case in duplicates[:3])
        notice = _("Received. Open requests of the same kind close by (%(numbers)s): it may be merged into one.")
        notice %= {"numbers": numbers}
    else:
        notice = _("Received by the supervision centre; it is accepted or refused within the acceptance limit.")
    row = {"service_request_id": record.case.number, "service_notice": notice, "account_id": None}
    return render([row], fmt, root="service_requests", item="request")


def unknown_resource(request, rest):
    """A path that names no resource: 404 as an error document (JSON when the path ends in .json, else XML)."""
    fmt = "json" if rest.endswith(".json") else "xml"
    return render_error(Open311Error(404, _("There is no such resource.")), fmt)
