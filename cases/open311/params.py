"""Parsing the parameters of GeoReport v2 requests; every refusal is an Open311Error (400/403/404) in spec format."""

import math
from datetime import datetime, time

from django.conf import settings
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _

from .formats import FORMATS, Open311Error
from .selectors import DEFAULT_SPAN, MAX_PAGE_SIZE, open311_category

MAX_IDS = 100
TEXT_LIMITS = {"description": 4000, "address_string": 200, "first_name": 30, "last_name": 30, "phone": 30}


def check_format(fmt: str) -> str:
    if fmt not in FORMATS:
        raise Open311Error(404, _("Unknown format “%(format)s”: use .json or .xml.") % {"format": fmt[:20]})
    return fmt


def check_jurisdiction(params) -> None:
    """jurisdiction_id is optional here (one jurisdiction), but another one than ours is not found (404)."""
    given = params.get("jurisdiction_id")
    if given and given.strip() != settings.OPEN311_JURISDICTION_ID:
        message = _("jurisdiction_id “%(given)s” was not found; this server serves “%(ours)s”.")
        raise Open311Error(404, message % {"given": given[:60], "ours": settings.OPEN311_JURISDICTION_ID})


def category_of(code: str | None):
    """The minor class of a service_code; 400 when missing or not one of services.json."""
    if not code or not code.strip():
        raise Open311Error(400, _("service_code was not provided."))
    category = open311_category(code.strip())
    if category is None:
        raise Open311Error(400, _("service_code “%(code)s” was not found.") % {"code": code[:20]})
    return category


def w3c_datetime(name: str, text: str):
    """A W3C date-time with its offset (1994-11-05T08:15:30-05:00, …Z) or a date (midnight, Asia/Shanghai)."""
    text = text.strip()
    try:
        moment = parse_datetime(text)
        if moment is None:
            day = parse_date(text)
            if day is not None:
                return timezone.make_aware(datetime.combine(day, time.min))
    except (ValueError, OverflowError):
        moment = None
    if moment is None or timezone.is_naive(moment):
        message = _("%(name)s must be a W3C date-time with its offset, such as 2026-11-05T08:15:30+08:00.")
        raise Open311Error(400, message % {"name": name})
    return moment


def _positive(name, text, default, maximum):
    if text is None or text == "":
        return default
    if not text.isascii() or not text.isdigit() or not 1 <= int(text) <= maximum:
        message = _("%(name)s must be a whole number from 1 to %(maximum)d.")
        raise Open311Error(400, message % {"name": name, "maximum": maximum})
    return int(text)


def request_filters(params, *, now) -> dict:
    """The filters of GET requests: service_request_id (a comma list, which overrides the others), service_code,
    start_date/end_date (at most 90 days apart; 90 days back from the other or from now by default),
    status (open, closed or both), page and page_size (1,000 at most, the default)."""
    page = _positive("page", params.get("page"), 1, 100_000)
    page_size = _positive("page_size", params.get("page_size"), MAX_PAGE_SIZE, MAX_PAGE_SIZE)
    ids = [part.strip() for part in (params.get("service_request_id") or "").split(",") if part.strip()]
    if len(ids) > MAX_IDS:
        raise Open311Error(400, _("At most %(count)d service_request_id values at once.") % {"count": MAX_IDS})
    if ids:
        return {"ids": ids}
    category = category_of(params["service_code"]) if params.get("service_code") else None
    start = w3c_datetime("start_date", params["start_date"]) if params.get("start_date") else None
    end = w3c_datetime("end_date", params["end_date"]) if params.get("end_date") else None
    try:
        if start is None and end is None:
            end = now
        if start is None:
            start = end - DEFAULT_SPAN
        if end is None:
            end = start + DEFAULT_SPAN
    except OverflowError:
        raise Open311Error(400, _("start_date and end_date must lie between the years 1 and 9999.")) from None
    if end < start:
        raise Open311Error(400, _("end_date is before start_date."))
    if end - start > DEFAULT_SPAN:
        raise Open311Error(400, _("start_date and end_date may not be more than 90 days apart."))
    statuses = {part.strip() for part in (params.get("status") or "").split(",") if part.strip()}
    if statuses - {"open", "closed"}:
        raise Open311Error(400, _("status must be open, closed, or both separated by a comma."))
    return {
        "category": category,
        "start": start,
        "end": end,
        "statuses": statuses or None,
        "page": page,
        "page_size": page_size,
    }


def coordinate(name: str, text: str, low: float, high: float) -> float:
    try:
        value = float(text)
    except (TypeError, ValueError):
        value = math.nan
    if not math.isfinite(value) or not low <= value <= high:
        raise Open311Error(400, _("%(name)s must be a decimal number of degrees (WGS84).") % {"name": name})
    return value


def text_fields(params) -> dict:
    """The free-text fields of a POST, stripped, each within its length."""
    texts = {}
    for name, limit in TEXT_LIMITS.items():
        value = (params.get(name) or "").strip()
        if len(value) > limit:
            message = _("%(name)s may hold at most %(limit)d characters.")
            raise Open311Error(400, message % {"name": name, "limit": limit})
        texts[name] = value
    return texts
