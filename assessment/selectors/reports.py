"""Read use-cases behind the dashboard's side figures: 高发问题, the bulletin's splits, the hot-spot map."""

import json
from types import SimpleNamespace

from django.contrib.gis.db.models import GeometryField
from django.contrib.gis.db.models.functions import AsGeoJSON
from django.db.models import Count, F, Func

from cases.models import Case, CaseEvent
from grids.models import Region

from ..periods import Span


def _category(kind, code, name, count):
    return {"category": SimpleNamespace(kind=kind, code=code, name=name), "count": count}


def top_categories(*, span: Span, region_path="", department_id=None, limit=10, run=None):
    """高发问题: the minor categories with most cases filed in the period (register events), with their counts.

    A frozen run holds them for the city, each district and each street; anything else is counted over the
    events the run read (every event when there is no run), so they agree with the run's figures.
    """
    if run is not None and not department_id and region_path:
        code = [c for c in region_path.split("/") if c][-1]
        stored = (run.extras or {}).get("top_categories", {}).get(code)
        if stored is not None:
            return [_category(*row) for row in stored[:limit]]
    if run is None and not department_id:
        rolled = _top_categories_rolled_up(span=span, region_path=region_path or "/", limit=limit)
        if rolled is not None:
            return rolled
    events = CaseEvent.objects.filter(action="register", at__gte=span.start, at__lt=span.end)
    if run is not None:
        events = events.filter(id__lte=run.last_event_id)
    if region_path:
        events = events.filter(region_path__startswith=region_path)
    if department_id:
        events = events.filter(case__lead_department_id=department_id)
    rows = (
        events.values("case__category__kind", "case__category__code", "case__category__name")
        .annotate(n=Count("id"))
        .order_by("-n", "case__category__kind", "case__category__code")[:limit]
    )
    return [
        _category(r["case__category__kind"], r["case__category__code"], r["case__category__name"], r["n"]) for r in rows
    ]


def _top_categories_rolled_up(*, span, region_path, limit):
    """高发问题 of a live period under the city, a district or a street: the daily roll-ups plus today."""
    from django.utils import timezone

    from cases.models import Category

    from ..rollups.read import top_categories as rolled_up

    counts = rolled_up(span=span, region_path=region_path, now=timezone.now())
    if counts is None:
        return None
    categories = Category.objects.filter(pk__in=[pk for pk, n in counts.items() if n]).values(
        "id", "kind", "code", "name"
    )
    rows = sorted(
        ((counts[c["id"]], c["kind"], c["code"], c["name"]) for c in categories), key=lambda r: (-r[0], r[1], r[2])
    )
    return [_category(kind, code, name, n) for n, kind, code, name in rows[:limit]]


def top_categories_by_region(*, span: Span, upto=None, limit=10, depth=3):
    """{region code: [[kind, code, name, count], …]} for every region down to streets (`depth` path segments):
    one query grouped by grid and category, rolled up the tree by path."""
    events = CaseEvent.objects.filter(action="register", at__gte=span.start, at__lt=span.end)
    if upto is not None:
        events = events.filter(id__lte=upto)
    rows = events.values_list(
        "region_path", "case__category__kind", "case__category__code", "case__category__name"
    ).annotate(n=Count("id"))
    totals = {}
    for path, kind, code, name, n in rows.order_by():
        codes = [c for c in path.split("/") if c]
        for level in range(1, min(depth, len(codes)) + 1):
            per = totals.setdefault(codes[level - 1], {})
            key = (kind, code, name)
            per[key] = per.get(key, 0) + n
    return {
        region: [[*key, n] for key, n in sorted(per.items(), key=lambda item: (-item[1], item[0][:2]))[:limit]]
        for region, per in totals.items()
    }


MANHOLE_COVER_CODES = ("0101", "0102", "0103", "0105", "0106", "0107", "0111", "0114")


SPLIT_ACTIONS = {"accept": "accepted", "register": "filed", "close": "closed"}


def _split_events(span, upto=None):
    events = CaseEvent.objects.filter(at__gte=span.start, at__lt=span.end, action__in=tuple(SPLIT_ACTIONS))
    return events.filter(id__lte=upto) if upto is not None else events


def _split_rows(rows, label):
    """[{label: value, accepted, filed, closed}] from {(value, action): n}, ordered like the bulletin wants."""
    table = {}
    for (value, action), n in rows.items():
        line = table.setdefault(value, {label: value, "accepted": 0, "filed": 0, "closed": 0})
        line[SPLIT_ACTIONS[action]] += n
    return list(table.values())


def bulletin_splits_by_region(*, span: Span, upto=None, depth=2):
    """{region code: splits} for the city and each district (`depth` path segments), as `bulletin_splits` gives
    them: two grouped queries (by grid, source or kind, action; manhole covers by grid, owner, action), rolled up."""
    by_source, by_kind, covers = {}, {}, {}
    rows = _split_events(span, upto).values_list("region_path", "case__source", "case__kind", "action")
    for path, source, kind, action, n in rows.annotate(n=Count("id")).order_by():
        for code in [c for c in path.split("/") if c][:depth]:
            sources, kinds = by_source.setdefault(code, {}), by_kind.setdefault(code, {})
            sources[(source, action)] = sources.get((source, action), 0) + n
            kinds[(kind, action)] = kinds.get((kind, action), 0) + n
    cover_rows = (
        _split_events(span, upto)
        .filter(case__kind="C", case__category__code__in=MANHOLE_COVER_CODES)
        .values_list("region_path", "case__lead_department__name", "action")
    )
    for path, owner, action, n in cover_rows.annotate(n=Count("id")).order_by():
        for code in [c for c in path.split("/") if c][:depth]:
            per = covers.setdefault(code, {})
            per[(owner, action)] = per.get((owner, action), 0) + n
    return {
        code: {
            "by_source": sorted(_split_rows(by_source[code], "case__source"), key=lambda r: r["case__source"]),
            "by_kind": sorted(_split_rows(by_kind[code], "case__kind"), key=lambda r: r["case__kind"]),
            "covers": sorted(
                _split_rows(covers.get(code, {}), "case__lead_department__name"),
                key=lambda r: (-r["filed"], r["case__lead_department__name"] or ""),
            ),
        }
        for code in by_source
    }


def bulletin_splits(*, span: Span, region_path="", run=None):
    """受理 / 立案 / 结案 of the period split by source and by 部件/事件, and the manhole-cover table by owner.

    A frozen run holds them for the city and each district (a region without events has no entry); anything
    else is counted over the events the run read (every event when there is no run).
    """
    code = [c for c in region_path.split("/") if c][-1] if region_path else ""
    if run is not None and code:
        stored = (run.extras or {}).get("bulletin", {}).get(code)
        if stored is not None:
            return stored
    counted = bulletin_splits_by_region(span=span, depth=99, upto=run.last_event_id if run is not None else None)
    empty = {"by_source": [], "by_kind": [], "covers": []}
    if not code:
        code = next(iter(sorted(counted, key=len)), "")
    return counted.get(code, empty)


def hotspot_features(*, span: Span, region, limit_points=500, upto=None):
    """GeoJSON-ready grids under `region` with the cases filed in the period (events up to `upto` when given),
    and points of repeated complaints."""
    events = CaseEvent.objects.filter(
        action="register", at__gte=span.start, at__lt=span.end, region_path__startswith=region.path
    )
    if upto is not None:
        events = events.filter(id__lte=upto)
    counts = dict(events.values_list("region_path").annotate(n=Count("id")).order_by())
    simplified = Func(F("geom"), 0.0005, function="ST_SimplifyPreserveTopology", output_field=GeometryField(srid=4326))
    children = (
        Region.objects.filter(parent=region, geom__isnull=False)
        .annotate(shape=AsGeoJSON(simplified, precision=5))
        .values("code", "name", "path", "level", "shape")
        .order_by("code")
    )
    features = []
    for child in children:
        n = sum(v for p, v in counts.items() if p.startswith(child["path"]))
        features.append(
            {
                "type": "Feature",
                "geometry": json.loads(child["shape"]),
                "properties": {"code": child["code"], "name": child["name"], "level": child["level"], "count": n},
            }
        )
    repeated = (
        Case.objects.filter(
            region_path__startswith=region.path,
            created_at__gte=span.start,
            created_at__lt=span.end,
            duplicate_count__gt=0,
        )
        .order_by("-duplicate_count", "-id")
        .values_list("number", "point", "duplicate_count")[:limit_points]
    )
    points = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [round(p.x, 6), round(p.y, 6)]},
            "properties": {"number": number, "repeats": n},
        }
        for number, p, n in repeated
    ]
    return {"type": "FeatureCollection", "features": features + points}


def score_map_features(*, results, region):
    """GeoJSON of the regions one level under `region`, each with its score, grade, rank and sample in `results`
    (a PeriodResults): the choropleth of scores per district or street."""
    simplified = Func(F("geom"), 0.001, function="ST_SimplifyPreserveTopology", output_field=GeometryField(srid=4326))
    children = (
        Region.objects.filter(parent=region, geom__isnull=False)
        .annotate(shape=AsGeoJSON(simplified, precision=4))
        .values("code", "name", "level", "shape")
        .order_by("code")
    )
    features = []
    for child in children:
        row = results.one("region", child["code"])
        features.append(
            {
                "type": "Feature",
                "geometry": json.loads(child["shape"]),
                "properties": {
                    "code": child["code"],
                    "name": child["name"],
                    "level": child["level"],
                    "score": float(row.score) if row is not None and row.score is not None else None,
                    "grade": row.grade if row is not None else "",
                    "rank": row.rank if row is not None else None,
                    "sample": row.sample if row is not None else 0,
                },
            }
        )
    return {"type": "FeatureCollection", "features": features}
