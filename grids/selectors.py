"""Read use-cases of the grid."""

import json

from django.contrib.auth import get_user_model
from django.contrib.gis.db.models.functions import AsGeoJSON, GeoFunc, GeometryDistance, PointOnSurface
from django.contrib.gis.geos import Point, Polygon
from django.db import connection
from django.db.models import Prefetch
from django.db.models.expressions import RawSQL
from django.utils import timezone

from .models import Facility, Level, PatrolArea, Region, UnitGridLayer
from .point_index import REGION_FIELDS, region_index_locate

# The located region's columns and its parent's, read by one query (never the geometry).
_LOCATE_FIELDS = list(REGION_FIELDS)
# Pieces are ST_Subdivide'd (few vertices each) and GiST-indexed, so ST_Covers tests a handful of small polygons.
# Deepest first; on a shared boundary the lower code wins, so the answer is stable.
_LOCATE_PREPARE = """
    PREPARE grids_region_locate(float8, float8, date) AS
    SELECT r.id, r.code, r.name, r.level, r.depth, r.parent_id, r.path, r.area_class, r.synthetic, r.geom_source,
           r.valid_from, r.valid_to,
           pr.id, pr.code, pr.name, pr.level, pr.depth, pr.parent_id, pr.path, pr.area_class, pr.synthetic,
           pr.geom_source, pr.valid_from, pr.valid_to
    FROM grids_regionpiece p
    JOIN grids_region r ON r.id = p.region_id
    LEFT JOIN grids_region pr ON pr.id = r.parent_id
    WHERE ST_Covers(p.geom, ST_SetSRID(ST_MakePoint($1, $2), 4326))
      AND (r.valid_to IS NULL OR r.valid_to >= $3)
    ORDER BY p.depth DESC, r.code
    LIMIT 1
"""


def region_locate(*, lon: float, lat: float) -> Region | None:
    """The deepest current region covering the point (a boundary point matches), with its parent, or None.

    Answered from this process's in-memory index of the pieces (grids.point_index): no query, except the
    stamp check every GRIDS_LOCATE_RECHECK_SECONDS. The answer is region_locate_in_database's."""
    found = region_index_locate(lon=lon, lat=lat)
    if found is None:
        return None
    row, parent_row = found
    region = Region.from_db(connection.alias, REGION_FIELDS, row)
    if parent_row is not None:
        region.parent = Region.from_db(connection.alias, REGION_FIELDS, parent_row)
    return region


def region_locate_in_database(*, lon: float, lat: float) -> Region | None:
    """region_locate's answer from PostGIS (one query): the reference the in-memory index is tested against."""
    # One prepared statement on the pre-subdivided pieces, like MapIt; ancestors come from the region's path.
    with connection.cursor() as cursor:
        _prepare_locate(cursor)
        cursor.execute("EXECUTE grids_region_locate(%s, %s, %s)", [float(lon), float(lat), timezone.localdate()])
        row = cursor.fetchone()
    if row is None:
        return None
    width = len(_LOCATE_FIELDS)
    region = Region.from_db(connection.alias, _LOCATE_FIELDS, row[:width])
    if region.parent_id is not None:
        region.parent = Region.from_db(connection.alias, _LOCATE_FIELDS, row[width:])
    return region


def _prepare_locate(cursor) -> None:
    """PREPARE once per database session: lookups then skip parsing and planning (about twice as fast)."""
    # Prepared statements survive rollbacks and live as long as the session, so the mark is the raw connection
    # object itself: a reconnect gives a new object and the statement is prepared again. The catalogue check
    # covers a pooler (session mode) handing over a session that already has it.
    raw = connection.connection
    if getattr(connection, "_grids_locate_prepared_on", None) is raw:
        return
    cursor.execute("SELECT 1 FROM pg_prepared_statements WHERE name = 'grids_region_locate'")
    if cursor.fetchone() is None:
        cursor.execute(_LOCATE_PREPARE)
    connection._grids_locate_prepared_on = raw


def region_list_for_user(*, user, level=None, parent_code=None):
    """Regions the user may see, optionally of one level or under one parent, without geometry."""
    qs = Region.objects.visible_to(user).current().defer("geom")
    if level:
        qs = qs.filter(level=level)
    if parent_code:
        qs = qs.filter(parent__code=parent_code)
    return qs


def region_ancestors(region):
    """The region's ancestors from the city down, in one query through the path."""
    codes = region.ancestor_codes()[:-1]
    by_code = {r.code: r for r in Region.objects.filter(code__in=codes).defer("geom")}
    return [by_code[c] for c in codes if c in by_code]


def region_search_for_user(*, user, query: str, levels=("street", "community"), limit: int = 8):
    """Streets and communities the user may see whose name contains `query`, with a point inside each (a gazetteer)."""
    query = (query or "").strip()
    if not query:
        return []
    qs = (
        Region.objects.visible_to(user)
        .current()
        .filter(level__in=levels, name__icontains=query, geom__isnull=False)
        .select_related("parent")
        .defer("geom", "parent__geom")
        .annotate(inside=PointOnSurface("geom"))
        .order_by("depth", "path")
    )
    return list(qs[:limit])


def unit_grid_layers_for_user(*, user):
    """The current unit-grid layers of the communities the user may see, by community path, without geometry."""
    communities = Region.objects.visible_to(user).filter(level=Level.COMMUNITY).values("pk")
    return (
        UnitGridLayer.objects.filter(current=True, community__in=communities)
        .select_related("community__parent")
        .defer("community__geom", "community__parent__geom")
        .order_by("community__path")
    )


def unit_grids_geojson(*, community) -> str:
    """The community's current unit grids as GeoJSON (code, number, a label point inside each), in code order."""
    qs = (
        Region.objects.current()
        .filter(parent=community, level=Level.UNIT, geom__isnull=False)
        .annotate(shape=AsGeoJSON("geom", precision=6), label=PointOnSurface("geom"))
        .values_list("code", "label", "shape")
        .order_by("code")
    )
    features = []
    for code, label, shape in qs:
        props = json.dumps({"code": code, "label": [round(label.x, 6), round(label.y, 6)]})
        features.append(f'{{"type":"Feature","properties":{props},"geometry":{shape}}}')
    return '{"type":"FeatureCollection","features":[' + ",".join(features) + "]}"


def patrol_areas_for_community(*, community):
    """The community's active patrol areas by network, with their unit grids' codes and workers (three queries)."""
    return (
        PatrolArea.objects.filter(community=community, active=True)
        .prefetch_related(
            Prefetch("unit_grids", queryset=Region.objects.only("id", "code").order_by("code")),
            Prefetch("workers", queryset=get_user_model().objects.order_by("username")),
        )
        .order_by("network", "code")
    )


# The farthest a reported point may lie from the facility it names, and the default radius of "facilities here".
FACILITY_NEAR_METRES = 30
# How many facilities the map draws at once (it asks only from street zoom on, so this is rarely reached).
FACILITY_MAP_LIMIT = 2000


def facility_nearest(
    *,
    lon: float,
    lat: float,
    class_code: str | None = None,
    radius_m: float = FACILITY_NEAR_METRES,
    limit: int = 10,
    user=None,
) -> list:
    """Facilities (of one class) within `radius_m` metres of the point, nearest first, each with `distance_m`.

    KNN on the GiST index (`point <-> …`, with btree_gist the class is in the same index) picks candidates by
    planar distance in degrees; the true distance on the spheroid then filters and orders them.
    """
    here = Point(float(lon), float(lat), srid=4326)
    qs = Facility.objects.all() if user is None else Facility.objects.visible_to(user)
    if class_code:
        qs = qs.filter(class_code=class_code)
    distance = RawSQL(
        "ST_Distance(grids_facility.point::geography, ST_SetSRID(ST_MakePoint(%s, %s), 4326)::geography)",
        (here.x, here.y),
    )
    candidates = (
        qs.select_related("owner", "maintainer")
        .annotate(distance_m=distance)
        .order_by(GeometryDistance("point", here))[: max(limit * 4, 20)]
    )
    near = [f for f in candidates if f.distance_m <= radius_m]
    near.sort(key=lambda f: (f.distance_m, f.code))
    return near[:limit]


def facility_distance_m(*, facility, lon: float, lat: float) -> float:
    """Metres on the spheroid between a facility and a point."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT ST_Distance(point::geography, ST_SetSRID(ST_MakePoint(%s, %s), 4326)::geography) "
            "FROM grids_facility WHERE id = %s",
            [float(lon), float(lat), facility.pk],
        )
        return cursor.fetchone()[0]


def facility_detail_for_user(*, user, code: str):
    """One facility the user may see, with its owner, maintainer and grid; None when absent or out of scope."""
    qs = Facility.objects.visible_to(user).select_related("owner", "maintainer", "region").defer("region__geom")
    return qs.filter(code=code).first()


def facility_list_for_map(*, user, bbox, limit: int = FACILITY_MAP_LIMIT) -> tuple[list, bool]:
    """Facilities the user may see inside bbox (minlon, minlat, maxlon, maxlat), at most `limit`; (rows, cut)."""
    box = Polygon.from_bbox(bbox)
    box.srid = 4326
    rows = list(
        Facility.objects.visible_to(user)
        .filter(point__intersects=box)
        .order_by("code")
        .values("code", "class_code", "name", "state", "point")[: limit + 1]
    )
    return rows[:limit], len(rows) > limit


# The grid as GeoJSON for other systems: at most this many features an answer (a bbox narrows a finer level).
REGION_FEATURES_LIMIT = 2000
# Douglas–Peucker tolerance in degrees per level (0.001° ≈ 100 m here): a city or district outline drawn for a
# whole-city map needs no metre-level vertices, a community or unit grid keeps its shape exactly.
REGION_SIMPLIFY = {
    Level.CITY: 0.002,
    Level.DISTRICT: 0.001,
    Level.STREET: 0.0003,
    Level.COMMUNITY: 0.0001,
    Level.UNIT: 0,
}


class SimplifyPreserveTopology(GeoFunc):
    """PostGIS ST_SimplifyPreserveTopology: fewer vertices, never an invalid or vanished polygon."""

    function = "ST_SimplifyPreserveTopology"

    def __init__(self, expression, tolerance, **extra):
        from django.contrib.gis.db.models import GeometryField

        super().__init__(expression, tolerance, output_field=GeometryField(srid=4326), **extra)


def region_features_for_user(
    *, user, level: str, bbox=None, limit: int = REGION_FEATURES_LIMIT
) -> tuple[str, int, bool]:
    """The current regions of `level` the user may see (inside `bbox` if given) as a GeoJSON FeatureCollection
    text, simplified for coarse levels, in code order; (text, features, cut) — cut when more than `limit` matched."""
    return _region_features(Region.objects.visible_to(user), level=level, bbox=bbox, limit=limit)


def district_outlines() -> str:
    """The districts' outlines (official, public) as GeoJSON, simplified like the API's: for public maps."""
    return _region_features(Region.objects.all(), level=Level.DISTRICT)[0]


def _region_features(qs, *, level, bbox=None, limit=REGION_FEATURES_LIMIT):
    qs = qs.current().filter(level=level, geom__isnull=False)
    if bbox is not None:
        box = Polygon.from_bbox(bbox)
        box.srid = 4326
        qs = qs.filter(geom__bboverlaps=box)
    tolerance = REGION_SIMPLIFY.get(level, 0)
    geometry = SimplifyPreserveTopology("geom", tolerance) if tolerance else "geom"
    rows = list(
        qs.annotate(shape=AsGeoJSON(geometry, precision=5))
        .order_by("code")
        .values_list("code", "name", "level", "parent__code", "area_class", "synthetic", "shape")[: limit + 1]
    )
    cut = len(rows) > limit
    features = []
    for code, name, lvl, parent, area_class, synthetic, shape in rows[:limit]:
        props = json.dumps(
            {
                "code": code,
                "name": name,
                "level": lvl,
                "parent_code": parent,
                "area_class": area_class,
                "synthetic": synthetic,
            },
            ensure_ascii=False,
        )
        features.append(f'{{"type":"Feature","id":"{code}","properties":{props},"geometry":{shape}}}')
    text = (
        '{"type":"FeatureCollection","truncated":'
        + ("true" if cut else "false")
        + ',"features":['
        + ",".join(features)
        + "]}"
    )
    return text, len(features), cut
