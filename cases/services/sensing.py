"""Sensing intake: a source's detection joins an open case of its class nearby, becomes a case, or waits for a person.

The hot path is lean on purpose (sources repeat a problem many times a minute): the source and its thresholds come
from a short-lived process cache, a repeat of a known problem costs one lock, one index-assisted lookup and one
insert, and a detection without a snapshot does no image work. Exactly one case per real problem, also when two
sources see it at the same instant: the lookup and the creation run under transaction-level advisory locks on the
map cells the merging distance touches (see `sensing_lock_cells`), so of two racing detections of one problem the second
sees the case the first created.
"""

import contextlib
import json
import math
import time
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.models import FINAL_STATUSES, PhotoKind, Source
from cases.models.sensing import SensingEvent, SensingOutcome
from cases.photos import photo_process, photo_store
from cases.workflow.spec import SYSTEM_ROLE
from grids.selectors import region_locate
from huizhou_cityops.errors import ConflictError

from .events import case_overlay_event
from .intake import case_report
from .sensing_sources import (
    METRES_PER_DEGREE,
    SourceInfo,
    _timeline,
    sensing_account,
    sensing_caches_clear,
    sensing_city_box,
    sensing_rate_allow,
    sensing_rule,
    sensing_source_for_key,
    sensing_source_revoke,
)
from .transitions import case_transition

EVIDENCE_EVENT = "sensing_evidence"
# Side of the advisory-lock cells in degrees (about 1 km at Huizhou's latitude): a merging distance of up to a few
# hundred metres touches one cell, rarely two or four.
CELL_DEGREES = 0.01


@dataclass(frozen=True)
class Detection:
    """A validated post (the API's serializer gives it)."""

    external_id: str
    occurred_at: object
    class_code: str
    confidence: Decimal
    lon: float
    lat: float
    attributes: dict
    snapshot: object = None


def sensing_receive(*, source: SourceInfo, detection: Detection, now=None) -> tuple[SensingEvent, bool]:
    """Store a detection once, `received` (the worker decides what it becomes); returns (event, created). A repeat of
    the same source event id returns the first. The class, the time and the snapshot are checked here (400)."""
    now = now or timezone.now()
    # No look for the id first: a repeated id is rare (a client's retry), and the insert finds it (ON CONFLICT).
    known = source.classes.get(detection.class_code)
    if known is None:
        message = _("This source may not report class “%(code)s”. It may report: %(codes)s.")
        codes = ", ".join(sorted(source.classes)) or "—"
        raise ValidationError({"class_code": [message % {"code": detection.class_code, "codes": codes}]})
    if detection.occurred_at > now + timedelta(minutes=5):
        raise ValidationError({"time": [_("The detection time lies in the future.")]})
    # A point far outside the city is refused here, while the source can still be told; whether a new problem lies
    # inside a grid is the worker's question (a repeat just over the boundary still joins its case, as it always did).
    box = sensing_city_box()
    if box is not None and not (box[0] <= detection.lon <= box[2] and box[1] <= detection.lat <= box[3]):
        raise ValidationError({"location": [_("This point lies outside every grid of the city.")]})
    stored = _snapshot(detection.snapshot)
    # One statement, so atomic on its own: the row is the stored event and the worker's pending work at once.
    event = _insert(source, detection, known[0], stored, now, outcome=SensingOutcome.RECEIVED)
    if event is None:
        # The same id posted before or concurrently (ON CONFLICT waited for the other's commit).
        return _existing(source.id, detection.external_id), False
    return event, True


def sensing_ingest(*, source: SourceInfo, detection: Detection, now=None) -> tuple[SensingEvent, bool]:
    """Store a detection and process it at once (the demo, the tests; the API leaves processing to the worker)."""
    event, created = sensing_receive(source=source, detection=detection, now=now)
    if created:
        sensing_event_process(event_id=event.pk, now=now)
        event = _existing(source.id, detection.external_id)
    return event, created


def sensing_event_process(*, event_id: int, now=None) -> str | None:
    """Decide what a received detection becomes, in one transaction with its effects; None when it was processed
    already (by another run) or is locked by one. Joins an open case of its class within the class's distance and
    window (its snapshot a photo, an entry in the timeline), else creates a case and accepts it (at or above the
    source's threshold for the class), else waits in the 待核实 queue (beside an earlier waiting detection of the same
    problem when there is one). A point outside every grid of the city makes no case (`outside`)."""
    now = now or timezone.now()
    with transaction.atomic():
        # The row's lock and its `received` state make the step exactly-once: a run killed midway committed
        # nothing, a second run skips what another holds or did.
        event = (
            SensingEvent.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(pk=event_id, outcome=SensingOutcome.RECEIVED)
            .select_related("source", "category")
            .annotate(threshold=_threshold_of_source())
            .first()
        )
        if event is None:
            return None
        rule = sensing_rule(event.category_id)
        place = _Place(event.point.x, event.point.y)
        sensing_lock_cells(event.category_id, place.lon, place.lat, rule.distance_m)
        near = _open_case_near(event.category_id, place, rule, now)
        if near is not None:
            _set(event, outcome=SensingOutcome.MERGED, case_id=near[0])
            _evidence(event, now)
        else:
            _new_problem(event, place, rule, now)
    if event.outcome == SensingOutcome.CREATED:
        _accept(event.case_id, now)
    return event.outcome


@dataclass(frozen=True)
class _Place:
    lon: float
    lat: float


def _set(event, **fields):
    for name, value in fields.items():
        setattr(event, name, value)
    SensingEvent.objects.filter(pk=event.pk).update(**fields)


def _accept(case_id, now):
    """The platform accepts the case it reported, in a transaction of its own: the report's transaction holds the
    day's case-number row until it commits, and every intake of the city waits for that row, so it must be short.
    Should this step not happen (the process dies in between), the case waits in 待受理 like any other report."""
    with contextlib.suppress(ConflictError):  # an operator accepted (or refused) it in the meantime
        case_transition(case_id=case_id, actor=None, action="accept", system=True, now=now)


def _existing(source_id, external_id):
    return SensingEvent.objects.filter(source_id=source_id, external_id=external_id).first()


def _snapshot(upload):
    """Process and store the snapshot before any lock (content-addressed: a rolled-back event leaves a file only
    another could reuse); None without one."""
    if upload is None:
        return None
    processed = photo_process(upload=upload)
    image, thumbnail = photo_store(processed=processed)
    return processed, image, thumbnail


def sensing_lock_cells(category_id, lon, lat, distance_m):
    """Serialize lookups and creations of one class near one place: lock every CELL_DEGREES cell the merging
    circle touches, in a fixed order (no deadlock). Two detections within the distance share at least the cell of
    the first one's point, so the second waits and then sees the first's case or waiting event."""
    keys = sorted(cell_keys(category_id, lon, lat, distance_m))
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(k) FROM unnest(%s::bigint[]) AS k", [keys])


def cell_keys(category_id, lon, lat, distance_m):
    """The advisory-lock keys of the cells of one class the merging circle around (lon, lat) touches."""
    dlat = distance_m / METRES_PER_DEGREE
    dlon = distance_m / (METRES_PER_DEGREE * max(math.cos(math.radians(lat)), 0.01))
    xs = range(math.floor((lon - dlon) / CELL_DEGREES), math.floor((lon + dlon) / CELL_DEGREES) + 1)
    ys = range(math.floor((lat - dlat) / CELL_DEGREES), math.floor((lat + dlat) / CELL_DEGREES) + 1)
    return [((category_id & 0xFFFFF) << 40) | ((x & 0xFFFFF) << 20) | (y & 0xFFFFF) for x in xs for y in ys]


# The index-assisted distance: `point && ST_Expand(...)` lets the GiST index on the point pick the candidates (a
# box in degrees a little larger than the distance), ST_DWithin on geography then measures in metres exactly.
NEAR_CASE_SQL = """
SELECT id, number FROM cases_case
WHERE category_id = %(category)s AND NOT (status = ANY(%(final)s)) AND created_at >= %(since)s
  AND point && ST_Expand(ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326), %(box)s)
  AND ST_DWithin(point::geography, ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326)::geography, %(distance)s)
ORDER BY created_at DESC LIMIT 1
"""
NEAR_WAITING_SQL = """
SELECT id FROM cases_sensingevent
WHERE category_id = %(category)s AND outcome = 'pending' AND received_at >= %(since)s
  AND ST_DWithin(point::geography, ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326)::geography, %(distance)s)
ORDER BY id LIMIT 1
"""


def _near_params(category_id, detection, rule, now):
    box = rule.distance_m / (METRES_PER_DEGREE * max(math.cos(math.radians(detection.lat)), 0.01)) * 1.1
    return {
        "category": category_id,
        "final": list(FINAL_STATUSES),
        "since": now - rule.window,
        "lon": detection.lon,
        "lat": detection.lat,
        "box": box,
        "distance": rule.distance_m,
    }


def _open_case_near(category_id, detection, rule, now):
    with connection.cursor() as cursor:
        cursor.execute(NEAR_CASE_SQL, _near_params(category_id, detection, rule, now))
        return cursor.fetchone()


def _waiting_near(category_id, detection, rule, now):
    with connection.cursor() as cursor:
        cursor.execute(NEAR_WAITING_SQL, _near_params(category_id, detection, rule, now))
        row = cursor.fetchone()
    return row[0] if row else None


INSERT_SQL = """
INSERT INTO cases_sensingevent (source_id, external_id, occurred_at, received_at, category_id, confidence, point,
    attributes, snapshot, snapshot_meta, outcome, case_id, lead_id, region_path)
VALUES (%(source)s, %(external_id)s, %(occurred_at)s, %(now)s, %(category)s, %(confidence)s,
    ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326), %(attributes)s::jsonb, %(snapshot)s, %(meta)s::jsonb, %(outcome)s,
    %(case)s, %(lead)s, %(region_path)s)
ON CONFLICT (source_id, external_id) DO NOTHING
RETURNING id
"""


def _insert(source, detection, category_id, stored, now, *, outcome, case_id=None, lead_id=None, region_path=""):
    """Insert the event row (one statement); None when the same source event id is already stored."""
    processed, image, thumbnail = stored or (None, "", "")
    meta = {}
    if processed is not None:
        meta = {
            "thumbnail": thumbnail,
            "width": processed.width,
            "height": processed.height,
            "size_bytes": processed.size_bytes,
            "sha256": processed.sha256,
            "captured_at": processed.captured_at.isoformat() if processed.captured_at else None,
        }
    params = {
        "source": source.id,
        "external_id": detection.external_id,
        "occurred_at": detection.occurred_at,
        "now": now,
        "category": category_id,
        "confidence": detection.confidence,
        "lon": detection.lon,
        "lat": detection.lat,
        "attributes": json.dumps(detection.attributes),
        "snapshot": image,
        "meta": json.dumps(meta),
        "outcome": outcome,
        "case": case_id,
        "lead": lead_id,
        "region_path": region_path,
    }
    with connection.cursor() as cursor:
        cursor.execute(INSERT_SQL, params)
        row = cursor.fetchone()
    if row is None:
        return None
    return SensingEvent(
        pk=row[0],
        source_id=source.id,
        external_id=detection.external_id,
        occurred_at=detection.occurred_at,
        received_at=now,
        category_id=category_id,
        confidence=detection.confidence,
        attributes=detection.attributes,
        snapshot=image,
        snapshot_meta=meta,
        outcome=outcome,
        case_id=case_id,
        lead_id=lead_id,
        region_path=region_path,
    )


def _threshold_of_source():
    from cases.models import SensingThreshold  # noqa: PLC0415

    rows = SensingThreshold.objects.filter(source_id=OuterRef("source_id"), category_id=OuterRef("category_id"))
    return Subquery(rows.values("threshold")[:1])


def _threshold(event):
    # A class the source no longer may report: a person decides (the threshold above every confidence).
    return event.threshold if event.threshold is not None else Decimal("1.001")


def _new_problem(event, place, rule, now):
    """No open case near: a case at once at or above the threshold, else the 待核实 queue."""
    region = region_locate(lon=place.lon, lat=place.lat)
    if region is None:
        _set(event, outcome=SensingOutcome.OUTSIDE)
        return
    if event.confidence < _threshold(event):
        lead_id = _waiting_near(event.category_id, place, rule, now)
        outcome = SensingOutcome.GROUPED if lead_id else SensingOutcome.PENDING
        _set(event, outcome=outcome, lead_id=lead_id, region_path=region.path)
        return
    case = sensing_case_create(
        actor=sensing_account(),
        system=True,
        category=event.category,
        source_name=event.source.name,
        confidence=event.confidence,
        lon=place.lon,
        lat=place.lat,
        now=now,
        region=region,
    )
    _set(event, outcome=SensingOutcome.CREATED, case_id=case.pk, region_path=region.path)
    sensing_photos_attach(case=case, events=[event], now=now)
    # Detections of the same problem still waiting for a person join the case: nothing is left to confirm. So do
    # those found just over the city's boundary before it (posted concurrently, a repeat can be processed first).
    joining = (SensingOutcome.PENDING, SensingOutcome.GROUPED, SensingOutcome.OUTSIDE)
    SensingEvent.objects.filter(outcome__in=joining).filter(
        pk__in=_waiting_ids_near(event.category_id, place, rule, now)
    ).update(case_id=case.pk, outcome=SensingOutcome.MERGED)


def _waiting_ids_near(category_id, detection, rule, now):
    sql = NEAR_WAITING_SQL.replace("outcome = 'pending'", "outcome IN ('pending', 'grouped', 'outside')")
    sql = sql.replace("LIMIT 1", "")
    with connection.cursor() as cursor:
        cursor.execute(sql, _near_params(category_id, detection, rule, now))
        return [row[0] for row in cursor.fetchall()]


def sensing_case_create(*, actor, system, category, source_name, confidence, lon, lat, now, region=None):
    """The case of a detection, entered through the intake service as a sensor report (state `reported`); `region`:
    the grid the caller located the point in already."""
    description = _("%(category)s detected by %(source)s (confidence %(confidence)s).") % {
        "category": category.name,
        "source": source_name,
        "confidence": f"{Decimal(confidence):.2f}",
    }
    case, _created = case_report(
        actor=actor,
        system=system,
        category=category,
        description=description,
        lon=lon,
        lat=lat,
        source=Source.SENSOR,
        now=now,
        region=region,
    )
    return case


def sensing_photos_attach(*, case, events, now, event=None):
    """The events' snapshots as photos of the case (the files are already stored, content-addressed)."""
    from cases.models import CaseEvent, CasePhoto  # noqa: PLC0415

    with_snapshot = [e for e in events if e.snapshot]
    if not with_snapshot:
        return
    if event is None:
        event = CaseEvent.objects.filter(case=case).order_by("id").first()
    account = sensing_account()
    CasePhoto.objects.bulk_create(
        CasePhoto(
            case=case,
            event=event,
            kind=PhotoKind.BEFORE,
            image=e.snapshot,
            thumbnail=e.snapshot_meta.get("thumbnail", e.snapshot),
            captured_at=e.snapshot_meta.get("captured_at") or e.occurred_at,
            width=e.snapshot_meta.get("width", 0),
            height=e.snapshot_meta.get("height", 0),
            size_bytes=e.snapshot_meta.get("size_bytes", 0),
            sha256=e.snapshot_meta.get("sha256", ""),
            uploaded_by=account,
            uploaded_at=now,
        )
        for e in with_snapshot
    )


def _evidence(event, now):
    """A detection joining a case: an entry in its timeline when it brings a snapshot (which becomes a photo), and
    otherwise at most one entry per case every SENSING_TIMELINE_QUIET_SECONDS (the repeats stay linked to the case
    as sensing events: a camera that sees a heap of rubbish every few seconds must not bury the timeline)."""
    quiet = settings.SENSING_TIMELINE_QUIET_SECONDS
    if not event.snapshot:
        # This process's own memory first (no round trip for the many repeats it saw lately), then the shared cache.
        seen = _timeline.get(event.case_id)
        if seen is not None and time.monotonic() - seen < quiet:
            return
        if len(_timeline) > 10_000:
            _timeline.clear()
        _timeline[event.case_id] = time.monotonic()
        if not cache.add(f"sensing:timeline:{event.case_id}", 1, timeout=quiet):
            return
    from cases.models import Case  # noqa: PLC0415

    case = Case.objects.only("id", "status", "region_path", "lead_department_id").get(pk=event.case_id)
    entry = case_overlay_event(
        case=case,
        action=EVIDENCE_EVENT,
        actor=sensing_account(),
        role=SYSTEM_ROLE,
        now=now,
        data={"sensing_event": event.pk, "source": event.source_id, "confidence": str(event.confidence)},
    )
    sensing_photos_attach(case=case, events=[event], now=now, event=entry)


# The sources' side, used with ingestion by the API, the admin, the demo and the tests.
__all__ = [
    "Detection",
    "SourceInfo",
    "sensing_account",
    "sensing_caches_clear",
    "sensing_event_process",
    "sensing_ingest",
    "sensing_receive",
    "sensing_rate_allow",
    "sensing_rule",
    "sensing_source_for_key",
    "sensing_source_revoke",
]
