"""The big screen (大屏): the figures of the moment over a city or a district, each panel one aggregate in SQL.

The screen covers the regions the viewer works over in a command-centre role (the city for a city posting, the
district for a district one), or one region inside them. Every panel reads a fixed number of queries whatever the
number of cases: the open-case panels read open cases only (the lights, the map, the overdue list), the intake and
the trend read an indexed time range, the ranking is the assessment's own figures for the month. The whole answer
is kept in the cache for SCREEN_CACHE_SECONDS per scope and language, so a wall of screens costs one computation.
"""

import json
import logging
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django.conf import settings
from django.contrib.gis.db.models import GeometryField
from django.contrib.gis.db.models.functions import AsGeoJSON, GeoFunc
from django.core.cache import cache
from django.db.models import Count, F, FloatField, Func, Q, TextField, Value
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import get_language

from accounts.scope import ancestor_paths, subtree_q, user_scope
from accounts.surfaces import COMMAND, SCREEN
from cases.clock import light_q, overdue_q
from cases.models import Case, CaseEvent, Light, Source, Status
from dispatch.events import event_label
from grids.models import Department, Level, Region
from huizhou_cityops.singleflight import cached_once

from ..indicators.rates import INDICATORS
from ..models import Subject
from ..periods import span_containing
from .results import period_results

logger = logging.getLogger(__name__)

TREND_DAYS = 30
OVERDUE_ROWS = 10
RANKING_ROWS = 8
TICKER_ROWS = 12
# The map's polygons are simplified to about 50 m: plenty for a wall, a fraction of the vertices.
GRID_TOLERANCE = 0.0005
# The assessment figure the ranking shows: departments by their on-time handling (按期处置率).
RANKING_INDICATOR = "on_time_handling_rate"


@dataclass(frozen=True)
class ScreenScope:
    """What one screen covers: the root regions' paths, and the name it is shown under."""

    paths: tuple
    name: str
    code: str  # the single root's code, "" when the screen covers several regions

    @property
    def key(self) -> str:
        return ",".join(self.paths)

    def q(self, field_name="region_path"):
        return subtree_q(self.paths, field_name)


def _roots(paths):
    """The paths that lie under no other one of `paths`."""
    ordered = sorted(set(paths), key=len)
    roots = []
    for path in ordered:
        if not any(path.startswith(root) for root in roots):
            roots.append(path)
    return sorted(roots)


def screen_scope_for_user(*, user, code: str = "") -> ScreenScope | None:
    """The screen's scope: the user's command-centre regions, or the region `code` inside them (None: outside)."""
    scope = user_scope(user)
    regions = Region.objects.defer("geom")
    if scope.everything:
        roots = list(regions.filter(level=Level.CITY).values_list("path", flat=True))
    else:
        roots = _roots(p for role in SCREEN.roles for p in scope.region_paths(role))
    if code:
        region = regions.filter(code=code).exclude(level=Level.UNIT).first()
        if region is None or not any(region.path.startswith(root) for root in roots):
            return None
        return ScreenScope(paths=(region.path,), name=region.name, code=region.code)
    chosen = list(regions.filter(path__in=roots).order_by("path").values_list("path", "name", "code"))
    if not chosen:
        return ScreenScope(paths=(), name="", code="")
    return ScreenScope(
        paths=tuple(p for p, _n, _c in chosen),
        name="、".join(n for _p, n, _c in chosen),
        code=chosen[0][2] if len(chosen) == 1 else "",
    )


def _local_midnight(day):
    return datetime.combine(day, time.min, tzinfo=timezone.get_current_timezone())


def screen_intake_today(scope: ScreenScope, now) -> list[dict]:
    """Today's reports by channel (Case.source), every channel listed in the order of its choices (one query)."""
    since = _local_midnight(timezone.localdate(now))
    rows = (
        Case.objects.filter(scope.q(), created_at__gte=since, created_at__lte=now)
        .values("source")
        .annotate(n=Count("id"))
        .order_by()
    )
    counts = {r["source"]: r["n"] for r in rows}
    return [{"source": s.value, "label": str(s.label), "count": counts.get(s.value, 0)} for s in Source]


def screen_open_lights(scope: ScreenScope, now) -> dict:
    """Open cases by the light of their stage (cases.clock.light_q), and those with no clock running (one query)."""
    figures = (
        Case.objects.open()
        .filter(scope.q())
        .aggregate(
            total=Count("id"),
            **{light.value: Count("id", filter=light_q(light, now)) for light in Light},
        )
    )
    total = figures.pop("total")
    figures["none"] = total - sum(figures.values())
    figures["total"] = total
    return figures


def screen_trend(scope: ScreenScope, now) -> dict:
    """Cases received and closed per local day over the last TREND_DAYS days, today included (two queries)."""
    today = timezone.localdate(now)
    first = today - timedelta(days=TREND_DAYS - 1)
    since = _local_midnight(first)
    zone = timezone.get_current_timezone()
    received = (
        Case.objects.filter(scope.q(), created_at__gte=since, created_at__lte=now)
        .annotate(day=TruncDate("created_at", tzinfo=zone))
        .values("day")
        .annotate(n=Count("id"))
        .order_by()
    )
    # Closings are read from the event log: its (action, at) index holds them, the cases table has none on closed_at.
    closed = (
        CaseEvent.objects.filter(scope.q(), action="close", at__gte=since, at__lte=now)
        .annotate(day=TruncDate("at", tzinfo=zone))
        .values("day")
        .annotate(n=Count("id"))
        .order_by()
    )
    got = {r["day"]: r["n"] for r in received}
    shut = {r["day"]: r["n"] for r in closed}
    days = [first + timedelta(days=i) for i in range(TREND_DAYS)]
    return {
        "days": [d.isoformat() for d in days],
        "received": [got.get(d, 0) for d in days],
        "closed": [shut.get(d, 0) for d in days],
    }


class _SimplifyPreserveTopology(GeoFunc):
    function = "ST_SimplifyPreserveTopology"
    geom_param_pos = (0,)
    output_field = GeometryField(srid=4326)


class _PathPart(Func):
    """split_part(path, '/', n): the code at depth n-2 of a materialized path ('/4413/441302/…')."""

    function = "split_part"
    output_field = TextField()


# The community's code is the 4th code of a case's path (city, district, street, community; unit grids below it).
COMMUNITY_PART = 5


def screen_open_by_community(scope: ScreenScope) -> dict:
    """{community code: open cases} over the scope, from the cases' own paths (one query, no spatial join)."""
    rows = (
        Case.objects.open()
        .filter(scope.q())
        .annotate(community=_PathPart(F("region_path"), Value("/"), Value(COMMUNITY_PART)))
        .values("community")
        .annotate(n=Count("id"))
        .order_by()
    )
    return {r["community"]: r["n"] for r in rows if r["community"]}


def screen_most_overdue(scope: ScreenScope, now) -> list[dict]:
    """The open cases furthest past their deadline (red), oldest deadline first, each with its panel link."""
    cases = (
        Case.objects.open()
        .filter(scope.q())
        .filter(overdue_q(now))
        .for_list()
        .order_by(F("stage_deadline").asc(nulls_last=True), "id")[:OVERDUE_ROWS]
    )
    rows = []
    for case in cases:
        late = now - case.stage_deadline if case.stage_deadline else None
        rows.append(
            {
                "id": case.pk,
                "number": case.number,
                "category": case.category.name,
                "region": case.region.name,
                "department": case.lead_department.name if case.lead_department_id else "",
                "status": case.get_status_display(),
                "overdue_hours": round(late.total_seconds() / 3600, 1) if late is not None else None,
                "url": COMMAND.case_url(case.pk),
            }
        )
    return rows


def _departments_of(scope: ScreenScope):
    """Departments based in the scope or above it (a city bureau serves every district), as in Department.visible_to."""
    above = {a for root in scope.paths for a in ancestor_paths(root)}
    return Department.objects.filter(scope.q("home_region__path") | Q(home_region__path__in=sorted(above)))


def screen_department_ranking(scope: ScreenScope, now) -> list[dict]:
    """The month's on-time handling of the scope's departments, from the assessment's results (not re-derived):
    ranked units in their rank order first, then the others by rate."""
    span = span_containing("month", timezone.localdate(now))
    results = period_results(span=span, subjects=[Subject.DEPARTMENT])
    codes = set(_departments_of(scope).values_list("code", flat=True))
    indicator = INDICATORS[RANKING_INDICATOR]
    rows = []
    for row in results.of(Subject.DEPARTMENT):
        value = row.values.get(RANKING_INDICATOR)
        if row.key not in codes or value is None:
            continue
        rows.append(
            {
                "code": row.key,
                "name": row.name,
                "rate": float(value),
                "cases": sum(int(row.counts.get(name, 0)) for name in indicator.denominator),
                "rank": row.rank,
            }
        )
    rows.sort(key=lambda r: (r["rank"] is None, r["rank"] or 0, -r["rate"], r["code"]))
    return rows[:RANKING_ROWS]


def screen_recent_events(scope: ScreenScope) -> list[dict]:
    """The newest case events in the scope (the ticker's first lines; the live feed adds the rest)."""
    events = (
        CaseEvent.objects.filter(scope.q())
        .select_related("case")
        .only("id", "action", "to_status", "at", "case__id", "case__number")
        .order_by("-id")[:TICKER_ROWS]
    )
    return [
        {
            "id": e.pk,
            "case": {"id": e.case_id, "number": e.case.number},
            "action": e.action,
            "label": str(event_label(e.action)),
            "to_status": str(Status(e.to_status).label) if e.to_status in Status.values else e.to_status,
            "at": e.at.isoformat(),
        }
        for e in reversed(events)
    ]


def screen_figures(scope: ScreenScope, now) -> dict:
    """Every panel's figures at `now` (a fixed number of queries, whatever the number of cases)."""
    if not scope.paths:
        return _empty(scope, now)
    return {
        "scope": {"name": scope.name, "code": scope.code},
        "as_of": now.isoformat(),
        "intake": screen_intake_today(scope, now),
        "lights": screen_open_lights(scope, now),
        "trend": screen_trend(scope, now),
        "communities": screen_open_by_community(scope),
        "overdue": screen_most_overdue(scope, now),
        "ranking": screen_department_ranking(scope, now),
        "events": screen_recent_events(scope),
    }


def _empty(scope, now):
    return {
        "scope": {"name": scope.name, "code": scope.code},
        "as_of": now.isoformat(),
        "intake": [{"source": s.value, "label": str(s.label), "count": 0} for s in Source],
        "lights": {**{light.value: 0 for light in Light}, "none": 0, "total": 0},
        "trend": {"days": [], "received": [], "closed": []},
        "communities": {},
        "overdue": [],
        "ranking": [],
        "events": [],
    }


def _cached(key, seconds, compute):
    # The cache only saves time: when it does not answer (Redis down), the screen computes its figures itself.
    if seconds <= 0:
        return compute()
    try:
        value = cache.get(key)
    except Exception:  # the backend's own connection errors; any of them means "no cached value"
        logger.warning("screen cache unavailable; computing without it", exc_info=True)
        return compute()
    if value is None:

        def compute_and_keep():
            value = compute()
            try:
                cache.set(key, value, seconds)
            except Exception:  # as above: figures not kept is no reason to fail the screen
                logger.warning("screen cache unavailable; figures not kept", exc_info=True)
            return value

        # Screens of one worker that miss together wait for one computation (huizhou_cityops.singleflight).
        value = cached_once(key, lambda: _get_quietly(key), compute_and_keep)
    return value


def _get_quietly(key):
    try:
        return cache.get(key)
    except Exception:  # noqa: BLE001 - as in _cached: no cached value, compute it
        logger.warning("screen cache unavailable; computing without it", exc_info=True)
        return None


def screen_figures_cached(scope: ScreenScope, now=None) -> dict:
    """screen_figures, shared for SCREEN_CACHE_SECONDS by every screen of the same scope and language."""
    now = now or timezone.now()
    key = f"screen:figures:{get_language()}:{scope.key}"
    return _cached(key, settings.SCREEN_CACHE_SECONDS, lambda: screen_figures(scope, now))


def screen_communities_geojson(scope: ScreenScope) -> str:
    """The scope's community polygons as GeoJSON text (simplified; code and name per feature; one query)."""

    def compute():
        if not scope.paths:
            return '{"type":"FeatureCollection","features":[]}'
        rows = (
            Region.objects.current()
            .filter(scope.q("path"), level=Level.COMMUNITY, geom__isnull=False)
            .annotate(
                shape=AsGeoJSON(
                    _SimplifyPreserveTopology("geom", Value(GRID_TOLERANCE, output_field=FloatField())), precision=5
                )
            )
            .values_list("code", "name", "shape")
            .order_by("code")
        )
        features = [
            f'{{"type":"Feature","properties":{json.dumps({"code": c, "name": n}, ensure_ascii=False)},"geometry":{s}}}'
            for c, n, s in rows
            if s
        ]
        return '{"type":"FeatureCollection","features":[' + ",".join(features) + "]}"

    return _cached(f"screen:communities:{scope.key}", settings.SCREEN_GRID_CACHE_SECONDS, compute)
