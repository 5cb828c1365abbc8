"""The worker's batch step: every received detection of a batch that repeats a known problem joins its case at once.

Most detections repeat a problem that already has an open case (a camera sees the same heap every few seconds).
Deciding them one at a time cost a transaction, a lock, a lookup and an update each; here one transaction claims the
batch (`FOR UPDATE SKIP LOCKED`, still `received`), takes the advisory locks of every map cell its merging circles
touch (one statement, in a fixed order: no deadlock with the 待核实 desk or another step), finds each detection's
open case in one index-assisted query and links all of them with one update. The timeline's quiet rule and the
snapshots as photos are kept (`_evidence`). What finds no case is left `received` for the one-at-a-time step
(`sensing_event_process`: a new case, the 待核实 queue, or outside), which then runs in arrival order and also sees
the cases made by the earlier detections of the same batch.
"""

import json
import math
from collections import Counter
from decimal import Decimal
from typing import NamedTuple

from django.db import connection, transaction
from django.utils import timezone

from cases.models import FINAL_STATUSES
from cases.models.sensing import SensingEvent, SensingOutcome

from .sensing import _evidence, cell_keys
from .sensing_sources import METRES_PER_DEGREE, sensing_rule

CLAIM_SQL = """
SELECT id, source_id, category_id, ST_X(point), ST_Y(point), confidence, snapshot, snapshot_meta, occurred_at
FROM cases_sensingevent WHERE outcome = 'received' {among} ORDER BY id LIMIT %(limit)s FOR UPDATE SKIP LOCKED
"""
# For each detection the newest open case of its class within its distance and window: the same question as
# NEAR_CASE_SQL, asked for the whole batch at once (a LATERAL probe of the cases' GiST index per detection).
NEAR_CASES_SQL = """
SELECT d.id, near.id
FROM unnest(%(ids)s::bigint[], %(categories)s::bigint[], %(lons)s::float8[], %(lats)s::float8[], %(boxes)s::float8[],
            %(distances)s::float8[], %(since)s::timestamptz[]) AS d(id, category, lon, lat, box, distance, since)
CROSS JOIN LATERAL (
    SELECT c.id FROM cases_case c
    WHERE c.category_id = d.category AND NOT (c.status = ANY(%(final)s)) AND c.created_at >= d.since
      AND c.point && ST_Expand(ST_SetSRID(ST_MakePoint(d.lon, d.lat), 4326), d.box)
      AND ST_DWithin(c.point::geography, ST_SetSRID(ST_MakePoint(d.lon, d.lat), 4326)::geography, d.distance)
    ORDER BY c.created_at DESC LIMIT 1
) AS near
"""
MERGE_SQL = """
UPDATE cases_sensingevent AS e SET outcome = 'merged', case_id = m.case_id
FROM unnest(%(ids)s::bigint[], %(cases)s::bigint[]) AS m(id, case_id)
WHERE e.id = m.id AND e.outcome = 'received'
"""


class Left(NamedTuple):
    """A claimed detection no open case was near: for the one-at-a-time step."""

    id: int
    category_id: int
    lon: float
    lat: float


def sensing_batch_merge(*, limit: int, ids=None, now=None) -> tuple[Counter, list[Left]]:
    """Claim up to `limit` received detections in arrival order (of `ids` only, when given) and join every one that
    has an open case of its class near to that case, in one transaction; returns (outcomes, the claimed detections
    left `received` for the one-at-a-time step, in arrival order). Nothing claimed (none received, or all held by
    another run): (Counter(), [])."""
    now = now or timezone.now()
    among = "" if ids is None else "AND id = ANY(%(ids)s)"
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(CLAIM_SQL.format(among=among), {"limit": limit, "ids": list(ids or ())})
            rows = cursor.fetchall()
        if not rows:
            return Counter(), []
        rules = {category: sensing_rule(category) for category in {row[2] for row in rows}}
        _lock_cells(rows, rules)
        near = _near_cases(rows, rules, now)
        merged = [row for row in rows if row[0] in near]
        if merged:
            with connection.cursor() as cursor:
                cursor.execute(MERGE_SQL, {"ids": [r[0] for r in merged], "cases": [near[r[0]] for r in merged]})
            for row in merged:
                _evidence(_event(row, near[row[0]]), now)
    left = [Left(row[0], row[2], row[3], row[4]) for row in rows if row[0] not in near]
    return Counter({SensingOutcome.MERGED: len(merged)} if merged else {}), left


def sensing_near_enough(one: Left, other: Left) -> bool:
    """Whether `other` may lie within its class's merging distance of `one` (a planar estimate with a margin): after
    `one` made a case, only such detections of the batch need looking up again."""
    if one.category_id != other.category_id:
        return False
    dx = (one.lon - other.lon) * METRES_PER_DEGREE * math.cos(math.radians(one.lat))
    dy = (one.lat - other.lat) * METRES_PER_DEGREE
    return math.hypot(dx, dy) <= 1.5 * sensing_rule(one.category_id).distance_m + 10


def _lock_cells(rows, rules):
    keys = set()
    for _id, _source, category, lon, lat, *_rest in rows:
        keys.update(cell_keys(category, lon, lat, rules[category].distance_m))
    with connection.cursor() as cursor:
        # unnest keeps the array's order, so the locks are taken in ascending order like every other taker's.
        cursor.execute("SELECT pg_advisory_xact_lock(k) FROM unnest(%s::bigint[]) AS k", [sorted(keys)])


def _near_cases(rows, rules, now):
    params = {"ids": [], "categories": [], "lons": [], "lats": [], "boxes": [], "distances": [], "since": []}
    for event_id, _source, category, lon, lat, *_rest in rows:
        rule = rules[category]
        params["ids"].append(event_id)
        params["categories"].append(category)
        params["lons"].append(lon)
        params["lats"].append(lat)
        # The same box as NEAR_CASE_SQL's: the distance in degrees of longitude at this latitude, 10 % wider.
        params["boxes"].append(rule.distance_m / (METRES_PER_DEGREE * max(math.cos(math.radians(lat)), 0.01)) * 1.1)
        params["distances"].append(rule.distance_m)
        params["since"].append(now - rule.window)
    params["final"] = list(FINAL_STATUSES)
    with connection.cursor() as cursor:
        cursor.execute(NEAR_CASES_SQL, params)
        return dict(cursor.fetchall())


def _event(row, case_id):
    """The merged detection as `_evidence` reads it (no query)."""
    event_id, source_id, category_id, _lon, _lat, confidence, snapshot, meta, occurred_at = row
    event = SensingEvent(
        source_id=source_id,
        category_id=category_id,
        confidence=Decimal(confidence),
        snapshot=snapshot,
        snapshot_meta=(json.loads(meta) if isinstance(meta, str) else meta) or {},
        occurred_at=occurred_at,
        outcome=SensingOutcome.MERGED,
        case_id=case_id,
    )
    event.pk = event_id
    return event
