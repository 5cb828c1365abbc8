"""The public transparency page (/public/transparency/): no sign-in, nothing personal, figures of a month."""

import re
from datetime import date

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from cases.enforcement_selectors import public_listings

from ..periods import span_containing
from ..selectors.transparency import transparency_json, transparency_page

MONTHS_BACK = 12
MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def _months(today):
    """The months a reader may pick, newest first: this one and the eleven before."""
    spans, span = [], span_containing("month", today)
    for _i in range(MONTHS_BACK):
        spans.append(span)
        span = span.previous()
    return spans


def _month(request, months):
    """The month asked for (?month=2026-10) among `months`; (span, message) — the newest with a message if bad."""
    text = (request.GET.get("month") or "").strip()
    if not text:
        return months[0], ""
    match = MONTH.match(text)
    if match:
        try:
            wanted = date(int(match.group(1)), int(match.group(2)), 1)
        except ValueError:
            wanted = None
        chosen = next((s for s in months if s.first == wanted), None)
        if chosen is not None:
            return chosen, ""
    return months[0], _("Pick one of the last twelve months; showing this month.")


@require_GET
def transparency(request):
    """The page: the month's district table, the map of recent reports (drawn from the data URL), public listings."""
    months = _months(timezone.localdate())
    span, message = _month(request, months)
    data = transparency_page(span=span)
    context = {
        "span": span,
        "months": months,
        "message": message,
        "data": data,
        "tile_url": settings.LEAFLET_TILE_URL,
        # The enforcement chain's public 挂牌督办 listings not lifted yet: non-personal fields only.
        "public_listings": public_listings(),
    }
    return render(request, "public/transparency.html", context)


@require_GET
def transparency_data_json(request):
    """The same figures as JSON for the page's map and chart (and anyone who wants them).

    The JSON as the cache keeps it, not the figures decoded and encoded again (tens of thousands of cells): gzipped
    as kept to a client that accepts gzip (every browser; public figures only, no secret beside them, so no BREACH
    padding is needed), inflated for one that does not."""
    months = _months(timezone.localdate())
    span, message = _month(request, months)
    if message:
        return JsonResponse({"month": [message]}, status=400)
    if ACCEPTS_GZIP.search(request.headers.get("Accept-Encoding", "")):
        response = HttpResponse(transparency_json(span=span, gzipped=True), content_type="application/json")
        response["Content-Encoding"] = "gzip"
    else:
        response = HttpResponse(transparency_json(span=span), content_type="application/json")
    patch_vary_headers(response, ["Accept-Encoding"])
    return response


ACCEPTS_GZIP = re.compile(r"\bgzip\b")
