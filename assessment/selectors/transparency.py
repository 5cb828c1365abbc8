"""Read use-cases of the public transparency page: recent reports at coarse precision, the districts' month.

Nothing personal leaves here: reports are counted per cell of a ~200 m grid (the exact point, the description, the
address, photos and the reporter never), only classes that may be shown to the public are counted, and the
districts' figures are the assessment's own (received = 受理数, closed = 结案数, on-time = 按期结案率), read
through `period_results` like the dashboard, so the public reads the same numbers the bureau is scored by.
"""

import gzip
import io
import json
import logging
import zlib
from datetime import timedelta

from django.conf import settings
from django.contrib.gis.db.models.functions import SnapToGrid
from django.core.cache import cache
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Count, F, FloatField, Func, Q
from django.utils import timezone

from cases.catalogue.selectors import public_category_q
from cases.models import Case, Status
from grids.models import Level
from grids.selectors import district_outlines
from huizhou_cityops.singleflight import cached_once

from ..models import Subject
from ..periods import Span
from .results import period_results

logger = logging.getLogger(__name__)

# 0.002° is about 222 m north–south and 205 m east–west at Huizhou's latitude (23° N).
CELL_DEGREES = 0.002
RECENT_DAYS = 30
# Reports the centre did not take up (refused, voided, still unchecked, merged into another) are not shown.
NOT_SHOWN = (Status.REPORTED, Status.VERIFYING, Status.NOT_ACCEPTED, Status.VOIDED)


def transparency_cells(*, now=None, days: int = RECENT_DAYS) -> list[dict]:
    """Reports of the last `days` days in public classes, counted per ~200 m cell: [{lon, lat, count, events,
    components}], the cell's centre only."""
    return [
        {"lon": lon, "lat": lat, "count": count, "events": events, "components": components}
        for lat, lon, count, events, components in _cell_rows(now=now, days=days)
    ]


def _cell_rows(*, now=None, days: int = RECENT_DAYS) -> list[tuple]:
    """transparency_cells as (lat, lon, count, events, components) tuples in their order (south to north, west to
    east): a few times smaller than the dicts."""
    return list(_cell_stream(now=now, days=days))


def _cell_stream(*, now=None, days: int = RECENT_DAYS):
    """_cell_rows one at a time from a server-side cursor, in the same order, without holding them all: the database
    sorts the cells by their snapped centre (south to north, then west to east), which is the order of the rounded
    (lat, lon) pairs too (no two cells share a centre, and cells 0.002° apart stay apart when rounded to 0.001°).
    The centre is read as its two coordinates (ST_Y, ST_X: the same doubles the geometry holds), not as a geometry
    object per cell."""
    now = now or timezone.now()
    cell = SnapToGrid("point", CELL_DEGREES)
    qs = (
        Case.objects.filter(created_at__gte=now - timedelta(days=days), created_at__lt=now, duplicate_of__isnull=True)
        .exclude(status__in=NOT_SHOWN)
        .filter(public_category_q())
        .annotate(cell=cell)
        .values("cell")
        .annotate(
            count=Count("id"),
            events=Count("id", filter=Q(kind="E")),
            components=Count("id", filter=Q(kind="C")),
            lat=Func(F("cell"), function="ST_Y", output_field=FloatField()),
            lon=Func(F("cell"), function="ST_X", output_field=FloatField()),
        )
        .order_by("lat", "lon")
        .values_list("lat", "lon", "count", "events", "components")
    )
    for lat, lon, count, events, components in qs.iterator(chunk_size=5000):
        yield (round(lat, 3), round(lon, 3), count, events, components)


# One cell as json.dumps writes transparency_cells' dict (floats by repr, as the json module does).
_CELL_JSON = '{{"lon": {!r}, "lat": {!r}, "count": {}, "events": {}, "components": {}}}'


def transparency_districts(*, span: Span) -> dict:
    """The month's received, closed and on-time rate per district and for the city, from the assessment."""
    results = period_results(span=span, subjects=[Subject.REGION], region_levels={Level.CITY, Level.DISTRICT})

    def line(row):
        return {
            "code": row.key,
            "name": row.name,
            "received": row.counts.get("accepted", 0),
            "closed": row.counts.get("closed", 0),
            "on_time_rate": row.values.get("on_time_close_rate"),
        }

    districts = [line(r) for r in sorted(results.of(Subject.REGION, Level.DISTRICT), key=lambda r: r.key)]
    city = next((line(r) for r in results.of(Subject.REGION, Level.CITY)), None)
    return {"districts": districts, "city": city, "frozen": results.frozen}


def transparency_data(*, span: Span, now=None) -> dict:
    """The month `span`'s figures as the data URL sends them: the recent reports' cells, the districts' outlines and
    their month (transparency_json writes the same JSON without building the cells' dicts)."""
    return {
        "month": span.key,
        "label": span.label,
        "cells": transparency_cells(now=now),
        "cell_degrees": CELL_DEGREES,
        "days": RECENT_DAYS,
        # The districts' official outlines, so the squares can be placed without a base map.
        "outlines": json.loads(district_outlines()),
        **transparency_districts(span=span),
    }


def transparency_page(*, span: Span) -> dict:
    """What the page shows of the month `span`: the districts' month and how many cells the map draws, without the
    cells (the map reads them from the data URL). Kept in the shared cache beside the JSON, both from one reading,
    so the page's figures and its map agree and a page view never unpickles the cells."""
    key = f"transparency:page:{span.key}"
    seconds = settings.TRANSPARENCY_CACHE_SECONDS
    return cached_once(_flight(span), lambda: _cache_get(key) if seconds else None, lambda: _build(span)[2])


def transparency_json(*, span: Span, gzipped: bool = False) -> bytes:
    """transparency_data(span) as the JSON the data URL answers, kept in the shared cache as it is sent: a request
    that finds it there loads one bytes object instead of rebuilding the tens of thousands of cells' dicts (about
    25 MB in the web worker) and encoding them again.

    The cache keeps it gzipped (a gzip member, about a tenth of the JSON's 3 MB at 1,000,000 cases). `gzipped`:
    that member as kept, which a client accepting gzip is sent as it is (nothing inflated, nothing compressed
    again: about 4 MB and 30 ms of CPU less per request); otherwise the JSON, inflated into one buffer."""
    key = _json_key(span)
    seconds = settings.TRANSPARENCY_CACHE_SECONDS

    def cached():
        kept = _cache_get(key) if seconds else None
        if kept is None:
            return None
        size, packed = kept
        # Inflated into a buffer of its known size at once (grown step by step it peaks at over twice the JSON).
        return packed if gzipped else zlib.decompress(packed, wbits=GZIP_WBITS, bufsize=size)

    def build():
        size, packed, _page = _build(span)
        return packed if gzipped else zlib.decompress(packed, wbits=GZIP_WBITS, bufsize=size)

    # One build at a time per worker: a build holds about 6 MB, and an emptied cache met by a burst of requests
    # made each of them build it side by side.
    return cached_once(_flight(span), cached, build)


# zlib's window bits for a gzip member (16 + the largest window).
GZIP_WBITS = 31


def _json_key(span: Span) -> str:
    return f"transparency:json.gz:{span.key}"


def _flight(span: Span) -> str:
    """The page and the data URL wait on one build of the month: a build writes both their keys."""
    return f"transparency:build:{span.key}"


def _build(span: Span) -> tuple[int, bytes, dict]:
    """One reading of the month: the data URL's JSON (its size and its gzip member) and the page's figures, kept
    in the cache together."""
    size, packed, page = _transparency_json(span=span)
    seconds = settings.TRANSPARENCY_CACHE_SECONDS
    if seconds:
        kept = {_json_key(span): (size, packed), f"transparency:page:{span.key}": page}
        try:
            cache.set_many(kept, seconds)
        except Exception:  # the cache only saves time; a Redis outage must not take the public page down
            logger.warning("transparency cache unavailable; figures not kept", exc_info=True)
    return size, packed, page


def _transparency_json(*, span: Span) -> tuple[int, bytes, dict]:
    """json.dumps(transparency_data(span=span)) written without the cells' dicts, gzipped as it is written: (its
    size, the gzip member, the page's figures). The cells' JSON is written from their tuples, between the keys
    before them and those after them, in transparency_data's order; the page's figures (transparency_page) come
    from the same reading."""

    def dumps(value):
        return json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False)

    districts = transparency_districts(span=span)
    tail = {
        "cell_degrees": CELL_DEGREES,
        "days": RECENT_DAYS,
        "outlines": json.loads(district_outlines()),
        **districts,
    }
    packed = io.BytesIO()
    # mtime 0: the same month's figures give the same bytes whenever they are compressed.
    with gzip.GzipFile(fileobj=packed, mode="wb", compresslevel=6, mtime=0) as body:
        size = body.write(dumps({"month": span.key, "label": span.label})[:-1].encode())
        size += body.write(b', "cells": [')
        # Written cell by cell as the cursor reads them, compressed a chunk at a time: the JSON itself (about 3 MB at
        # 1,000,000 cases) is never held whole, only its gzip member (about a tenth of it).
        chunk = bytearray()
        separator = b""
        cells = 0
        for lat, lon, *counts in _cell_stream():
            chunk += separator
            chunk += _CELL_JSON.format(lon, lat, *counts).encode()
            separator = b", "
            cells += 1
            if len(chunk) >= GZIP_CHUNK:
                size += body.write(chunk)
                chunk.clear()
        size += body.write(chunk)
        size += body.write(b"], ")
        size += body.write(dumps(tail)[1:].encode())
    page = {"month": span.key, "label": span.label, "cell_count": cells, "cell_degrees": CELL_DEGREES,
            "days": RECENT_DAYS, **districts}  # fmt: skip
    return size, packed.getvalue(), page


# Bytes of cells' JSON gathered before they are handed to the compressor.
GZIP_CHUNK = 64 * 1024


def _cache_get(key):
    try:
        return cache.get(key)
    except Exception:  # the cache only saves time; a Redis outage must not take the public page down
        logger.warning("transparency cache unavailable", exc_info=True)
        return None
