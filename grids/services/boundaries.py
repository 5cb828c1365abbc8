"""Import real boundaries from any file GDAL reads, repairing invalid polygons and reporting every decision."""

from dataclasses import dataclass, field
from pathlib import Path

from django.contrib.gis.gdal import DataSource, GDALException, SpatialReference
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from grids.models import LEVEL_DEPTH, Region

from .errors import GridImportError
from .geometry import boundaries_apply, stage_create, stage_drop
from .output import say
from .pieces import region_pieces_rebuild

# A parent without its own boundary file gets the union of its children, labelled so a real file can replace it.
DERIVED_SOURCE = "union of child boundaries"
CHUNK = 500
WGS84 = 4326


@dataclass(frozen=True)
class Repair:
    code: str
    name: str
    reason: str


@dataclass(frozen=True)
class Unmatched:
    feature: int
    code: str
    name: str
    reason: str


@dataclass
class BoundaryImportReport:
    """What an import did: every repair and every feature left out is named."""

    level: str
    features: int = 0
    changed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    derived: list[str] = field(default_factory=list)
    repairs: list[Repair] = field(default_factory=list)
    unmatched: list[Unmatched] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        """The report as human-readable lines, in the active language."""
        out = [
            _("%(features)d feature(s) read: %(changed)d boundary(ies) replaced, %(unchanged)d unchanged.")
            % {"features": self.features, "changed": len(self.changed), "unchanged": len(self.unchanged)}
        ]
        out += [
            _("Repaired %(code)s %(name)s: %(reason)s") % {"code": r.code, "name": r.name, "reason": r.reason}
            for r in self.repairs
        ]
        out += [
            _("Skipped feature #%(feature)d (code %(code)s %(name)s): %(reason)s")
            % {"feature": u.feature, "code": u.code or "—", "name": u.name, "reason": u.reason}
            for u in self.unmatched
        ]
        if self.derived:
            out.append(_("Derived from their children: %(codes)s") % {"codes": ", ".join(self.derived)})
        if self.missing:
            out.append(
                _("%(count)d %(level)s region(s) have no feature in the file: %(codes)s")
                % {"count": len(self.missing), "level": self.level, "codes": ", ".join(self.missing[:20])}
            )
        return out


@dataclass(frozen=True)
class _Feature:
    index: int
    code: str
    name: str
    wkb: bytes | None
    problem: str = ""


def boundaries_import(*, path, level, code_field: str = "code", stdout=None) -> BoundaryImportReport:
    """Set `level` boundaries from a GDAL file by code: repaired, old ones archived, parents and pieces follow."""
    if level not in LEVEL_DEPTH:
        raise GridImportError(
            _("Unknown level “%(level)s”; use one of %(levels)s.") % {"level": level, "levels": ", ".join(LEVEL_DEPTH)}
        )
    path = Path(path)
    features = _read_features(path, code_field)
    report = BoundaryImportReport(level=level, features=len(features))
    source = path.name[:200]
    with transaction.atomic(), connection.cursor() as cursor:
        _stage_features(cursor, features)
        accepted = _match_features(cursor, features, level, report)
        if not accepted:
            raise GridImportError(
                _("No feature of %(file)s matches a %(level)s region; check --level and the code field.")
                % {"file": path.name, "level": level},
                problems=report.lines()[1:],
            )
        _stage_boundaries(cursor, accepted, source)
        changed_ids = boundaries_apply(cursor)
        derived_ids = _derive_parents(cursor, changed_ids)
        stage_drop(cursor)
        cursor.execute("DROP TABLE grids_tmp_boundary_feature")
        region_pieces_rebuild(region_ids=changed_ids + derived_ids)
        _fill_report(report, changed_ids, derived_ids, accepted, features, level)
    for line in report.lines():
        say(stdout, line)
    return report


def region_boundary_replace(*, region: Region, geom, source: str = "admin") -> bool:
    """Give a region a hand-drawn real boundary (repaired, old one archived, pieces follow); False if unchanged."""
    with transaction.atomic(), connection.cursor() as cursor:
        stage_create(cursor)
        cursor.execute(
            """
            INSERT INTO grids_tmp_new_boundary (region_id, geom, synthetic, source)
            SELECT %(id)s, ST_Multi(ST_CollectionExtract(ST_MakeValid(ST_Force2D(g), 'method=structure'), 3)), false,
                   %(source)s
            FROM ST_Transform(ST_GeomFromEWKB(%(ewkb)s), 4326) AS g
            """,
            {"id": region.pk, "ewkb": bytes(geom.ewkb), "source": source[:200]},
        )
        changed_ids = boundaries_apply(cursor)
        derived_ids = _derive_parents(cursor, changed_ids)
        stage_drop(cursor)
        region_pieces_rebuild(region_ids=changed_ids + derived_ids)
    return bool(changed_ids)


def _read_features(path: Path, code_field: str) -> list[_Feature]:
    try:
        source = DataSource(str(path))
    except GDALException as exc:
        raise GridImportError(
            _("GDAL cannot read %(file)s: %(reason)s") % {"file": path, "reason": exc or _("unknown format")}
        ) from exc
    wgs84 = SpatialReference(WGS84)
    features = []
    for layer in source:
        if code_field not in layer.fields:
            raise GridImportError(
                _("Layer “%(layer)s” of %(file)s has no field “%(field)s”; its fields are: %(fields)s.")
                % {"layer": layer.name, "file": path.name, "field": code_field, "fields": ", ".join(layer.fields)}
            )
        has_name = "name" in layer.fields
        for feature in layer:
            features.append(_read_feature(feature, len(features) + 1, code_field, has_name, wgs84))
    if not features:
        raise GridImportError(_("%(file)s holds no feature.") % {"file": path.name})
    return features


def _read_feature(feature, index: int, code_field: str, has_name: bool, wgs84) -> _Feature:
    code = _code_text(feature.get(code_field))
    name = str(feature.get("name") or "") if has_name else ""
    try:
        geom = feature.geom
    except GDALException:
        return _Feature(index, code, name, None, _("the feature has no geometry"))
    if geom.srs is not None and geom.srs.srid != WGS84:
        try:
            geom.transform(wgs84)
        except GDALException as exc:
            return _Feature(index, code, name, None, _("cannot transform to WGS84: %(reason)s") % {"reason": exc})
    return _Feature(index, code, name, bytes(geom.wkb))


def _code_text(value) -> str:
    # Shapefiles often store codes as numbers: 441302.0 must match "441302".
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return "" if value is None else str(value).strip()


def _stage_features(cursor, features: list[_Feature]) -> None:
    """Load the features into a temp table and repair them there, in one set-based pass."""
    cursor.execute("DROP TABLE IF EXISTS grids_tmp_boundary_feature")
    cursor.execute(
        "CREATE TEMP TABLE grids_tmp_boundary_feature (idx int, code text, raw geometry, reason text, fixed geometry)"
    )
    usable = [f for f in features if f.wkb is not None]
    for start in range(0, len(usable), CHUNK):
        chunk = usable[start : start + CHUNK]
        cursor.execute(
            """
            INSERT INTO grids_tmp_boundary_feature (idx, code, raw)
            SELECT i, c, ST_Force2D(ST_SetSRID(ST_GeomFromWKB(w), 4326))
            FROM unnest(%s::int[], %s::text[], %s::bytea[]) AS t(i, c, w)
            """,
            [[f.index for f in chunk], [f.code for f in chunk], [f.wkb for f in chunk]],
        )
    # 'structure' keeps the area enclosed by the rings, which is what a self-touching simplified outline meant.
    cursor.execute(
        """
        UPDATE grids_tmp_boundary_feature SET reason = NULLIF(ST_IsValidReason(raw), 'Valid Geometry');
        UPDATE grids_tmp_boundary_feature SET fixed = ST_Multi(ST_CollectionExtract(
            CASE WHEN reason IS NULL THEN raw ELSE ST_MakeValid(raw, 'method=structure') END, 3));
        """
    )


def _stage_boundaries(cursor, accepted: list[int], source: str) -> None:
    """One new boundary per region; a region split over several features (islands, often) gets their union."""
    stage_create(cursor)
    cursor.execute(
        """
        INSERT INTO grids_tmp_new_boundary (region_id, geom, synthetic, source)
        SELECT r.id,
               CASE WHEN count(*) = 1 THEN (array_agg(f.fixed))[1]
                    ELSE ST_Multi(ST_CollectionExtract(ST_Union(f.fixed), 3)) END,
               false, %(source)s
        FROM grids_tmp_boundary_feature f JOIN grids_region r ON r.code = f.code
        WHERE f.idx = ANY(%(accepted)s)
        GROUP BY r.id
        """,
        {"source": source, "accepted": accepted},
    )


def _match_features(cursor, features: list[_Feature], level: str, report: BoundaryImportReport) -> list[int]:
    """Fill the report's repairs and unmatched features; return the indexes of the features to use."""
    cursor.execute(
        """
        SELECT f.idx, f.reason, ST_IsEmpty(f.fixed), r.name, r.level
        FROM grids_tmp_boundary_feature f LEFT JOIN grids_region r ON r.code = f.code
        """
    )
    staged = {
        idx: (reason, empty, region_name, region_level) for idx, reason, empty, region_name, region_level in cursor
    }
    accepted = []
    for feature in features:
        if feature.problem:
            report.unmatched.append(Unmatched(feature.index, feature.code, feature.name, feature.problem))
            continue
        reason, empty, region_name, region_level = staged[feature.index]
        name = region_name or feature.name
        if reason:
            report.repairs.append(Repair(feature.code, name, reason))
        problem = _feature_problem(feature, level, empty, region_level)
        if problem:
            report.unmatched.append(Unmatched(feature.index, feature.code, name, problem))
        else:
            accepted.append(feature.index)
    return accepted


def _feature_problem(feature: _Feature, level: str, empty: bool, region_level: str | None) -> str:
    if not feature.code:
        return _("no code")
    if region_level is None:
        return _("no region has this code")
    if region_level != level:
        return _("the region is a %(found)s, not a %(level)s") % {"found": region_level, "level": level}
    if empty:
        return _("no polygon is left after repair")
    return ""


def _derive_parents(cursor, changed_ids: list[int]) -> list[int]:
    """Give each parent whose children all have real boundaries their union, up the tree, unless it has its own."""
    derived: list[int] = []
    ids = changed_ids
    while ids:
        stage_create(cursor)
        cursor.execute(
            """
            INSERT INTO grids_tmp_new_boundary (region_id, geom, synthetic, source)
            SELECT p.id, ST_Multi(ST_CollectionExtract(ST_Union(c.geom), 3)), false, %(source)s
            FROM grids_region p
            JOIN grids_region c ON c.parent_id = p.id AND (c.valid_to IS NULL OR c.valid_to >= %(today)s)
            WHERE p.id IN (SELECT parent_id FROM grids_region WHERE id = ANY(%(ids)s))
              AND (p.geom IS NULL OR p.synthetic OR p.geom_source = %(source)s)
            GROUP BY p.id
            HAVING bool_and(c.geom IS NOT NULL AND NOT c.synthetic)
            """,
            {"source": DERIVED_SOURCE, "ids": ids, "today": timezone.localdate()},
        )
        ids = boundaries_apply(cursor)
        derived += ids
    return derived


def _fill_report(report, changed_ids, derived_ids, accepted, features, level) -> None:
    by_id = dict(Region.objects.filter(pk__in=changed_ids + derived_ids).values_list("pk", "code"))
    report.changed = sorted(by_id[pk] for pk in changed_ids)
    report.derived = sorted(by_id[pk] for pk in derived_ids)
    used = {f.code for f in features if f.index in set(accepted)}
    report.unchanged = sorted(used - set(report.changed))
    report.missing = sorted(
        Region.objects.current().filter(level=level).exclude(code__in=used).values_list("code", flat=True)
    )
