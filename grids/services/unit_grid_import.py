"""Import a city's own unit grids (单元网格) from a GeoJSON or Shapefile, checked before anything is written.

The file is read and staged by the boundary importer's helpers (boundaries.py); every cell is then checked —
code (15 digits, an existing community's code + 3 digits, once in the file), geometry (valid polygons), lying
inside its community, not overlapping another cell, and the community fully covered — and the report names each
cell, what is wrong and by how many m². One problem and nothing is written.
"""

import re
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from grids.models import Level, Region, UnitGridLayer

from .boundaries import _read_features, _stage_features
from .errors import GridImportError
from .output import say
from .pieces import region_pieces_rebuild
from .unit_grids import UnitGridResult, cell_table_create, cells_apply, jit_off

CODE = re.compile(r"\d{15}")


@dataclass
class UnitGridImportCheck:
    """Everything wrong with a file of unit grids, in words; `gaps` are warnings when gaps are allowed."""

    problems: list[str] = field(default_factory=list)
    gaps: list[str] = field(default_factory=list)


def unit_grids_import(
    *, path, community_code: str | None = None, code_field: str = "code", allow_gaps: bool = False, now=None,
    stdout=None,
) -> list[UnitGridResult]:  # fmt: skip
    """Replace the unit grids of every community the file covers with its cells, after checking all of them.

    Raises GridImportError listing every problem (nothing written). Each community gets a new current layer whose
    report holds the check's words.
    """
    path, now = Path(path), now or timezone.now()
    features = _read_features(path, code_field)
    tolerance = settings.UNIT_GRID_TOLERANCE_M2
    with transaction.atomic(), connection.cursor() as cursor:
        jit_off(cursor)
        _stage_features(cursor, features)
        check = UnitGridImportCheck()
        communities = _check_codes(cursor, features, community_code, check)
        _check_geometry(cursor, features, check)
        if not check.problems:
            _check_fit(cursor, communities, tolerance, check)
        if check.problems or (check.gaps and not allow_gaps):
            raise GridImportError(
                _("%(file)s was not imported: %(count)d problem(s). Nothing was written.")
                % {"file": path.name, "count": len(check.problems) + (0 if allow_gaps else len(check.gaps))},
                problems=check.problems + ([] if allow_gaps else check.gaps),
            )
        results = []
        for community in communities:
            cell_table_create(cursor)
            cursor.execute(
                """
                INSERT INTO grids_tmp_unit_cell (code, geom)
                SELECT code, fixed FROM grids_tmp_boundary_feature WHERE left(code, 12) = %s
                """,
                [community.code],
            )
            gaps = [line for line in check.gaps if community.code in line]
            result = cells_apply(
                cursor,
                community=community,
                source=UnitGridLayer.Source.IMPORTED,
                now=now,
                file_name=path.name,
                report="\n".join(gaps),
            )
            results.append(result)
            for line in result.lines() + gaps:
                say(stdout, line)
        cursor.execute("DROP TABLE IF EXISTS grids_tmp_unit_cell, grids_tmp_boundary_feature")
        region_pieces_rebuild(region_ids=[pk for result in results for pk in result.touched_ids])
    return results


def _check_codes(cursor, features, community_code, check) -> list[Region]:
    """Codes: 15 digits, unique in the file, starting with a current community's code (the one asked, if any)."""
    communities = {
        r.code: r
        for r in Region.objects.current()
        .defer("geom")
        .filter(level=Level.COMMUNITY, code__in={f.code[:12] for f in features if CODE.fullmatch(f.code)})
    }
    seen: dict[str, int] = {}
    for f in features:
        where = _("Feature #%(index)d (code %(code)s)") % {"index": f.index, "code": f.code or "—"}
        if not CODE.fullmatch(f.code):
            check.problems.append(
                _("%(where)s: a unit grid code has 15 digits (community code + 3-digit number).") % {"where": where}
            )
        elif f.code[:12] not in communities:
            check.problems.append(
                _("%(where)s: no current community has the code %(prefix)s.") % {"where": where, "prefix": f.code[:12]}
            )
        elif community_code and f.code[:12] != community_code:
            check.problems.append(
                _("%(where)s: the cell belongs to community %(prefix)s, not to %(asked)s.")
                % {"where": where, "prefix": f.code[:12], "asked": community_code}
            )
        if f.code in seen:
            check.problems.append(
                _("%(where)s: the code is already used by feature #%(first)d.")
                % {"where": where, "first": seen[f.code]}
            )
        else:
            seen[f.code] = f.index
    if community_code and community_code not in communities:
        if not Region.objects.current().filter(code=community_code, level=Level.COMMUNITY).exists():
            check.problems.append(_("No current community has the code %(code)s.") % {"code": community_code})
        else:
            check.problems.append(_("The file holds no cell of community %(code)s.") % {"code": community_code})
    return [communities[code] for code in sorted(communities) if not community_code or code == community_code]


def _check_geometry(cursor, features, check) -> None:
    """Each cell must be one valid (multi)polygon: an invalid one is refused, not repaired (a tiling must be
    exact, and a repair can move an edge)."""
    cursor.execute(
        """
        SELECT idx, code, reason, ST_IsEmpty(fixed), GeometryType(raw)
        FROM grids_tmp_boundary_feature ORDER BY idx
        """
    )
    staged = {idx: (code, reason, empty, kind) for idx, code, reason, empty, kind in cursor.fetchall()}
    for f in features:
        where = _("Feature #%(index)d (code %(code)s)") % {"index": f.index, "code": f.code or "—"}
        if f.index not in staged:
            check.problems.append(_("%(where)s: %(problem)s") % {"where": where, "problem": f.problem})
            continue
        _code, reason, empty, kind = staged[f.index]
        if reason:
            check.problems.append(_("%(where)s: invalid geometry (%(reason)s).") % {"where": where, "reason": reason})
        elif empty or kind not in ("POLYGON", "MULTIPOLYGON"):
            check.problems.append(
                _("%(where)s: a unit grid must be a polygon, not %(kind)s.") % {"where": where, "kind": kind}
            )


def _check_fit(cursor, communities, tolerance, check) -> None:
    """Outside the community, overlapping another cell, gaps left: each above `tolerance` m², in m²."""
    ids = [c.pk for c in communities]
    # When overlaps are named, the cells are joined with each other: a GiST index makes it probes, not n².
    cursor.execute("CREATE INDEX ON grids_tmp_boundary_feature USING gist (fixed); ANALYZE grids_tmp_boundary_feature")
    cursor.execute(
        """
        SELECT f.code, r.name, ST_Area(ST_Difference(f.fixed, r.geom)::geography) AS outside
        FROM grids_tmp_boundary_feature f JOIN grids_region r ON r.code = left(f.code, 12)
        WHERE r.id = ANY(%(ids)s) AND NOT ST_CoveredBy(f.fixed, r.geom)
        ORDER BY f.code
        """,
        {"ids": ids},
    )
    for code, name, outside in cursor.fetchall():
        if outside > tolerance:
            check.problems.append(
                _("Cell %(code)s lies %(area)s m² outside its community %(name)s.")
                % {"code": code, "area": _m2(outside), "name": name}
            )
    # Overlaps: where a community's cells add up to more than their union, name the overlapping pairs. The pairwise
    # relate is costly (a quarter of a millisecond a pair), so it runs only for the communities that have some.
    cursor.execute(
        """
        SELECT r.code, r.name, u.total - ST_Area(u.cover::geography),
               ST_Area(ST_Difference(r.geom, u.cover)::geography)
        FROM grids_region r,
             LATERAL (SELECT ST_Union(f.fixed) AS cover, sum(ST_Area(f.fixed::geography)) AS total
                      FROM grids_tmp_boundary_feature f WHERE left(f.code, 12) = r.code) u
        WHERE r.id = ANY(%(ids)s)
        ORDER BY r.code
        """,
        {"ids": ids},
    )
    overlapping, gaps = [], []
    for code, name, excess, gap in cursor.fetchall():
        if excess > tolerance:
            overlapping.append(code)
        if gap > tolerance:
            gaps.append((code, name, gap))
    if overlapping:
        _name_overlaps(cursor, overlapping, tolerance, check)
    for code, name, gap in gaps:
        cursor.execute(
            """
            SELECT ST_X(p), ST_Y(p) FROM grids_region r,
                 LATERAL (SELECT ST_PointOnSurface(ST_Difference(r.geom, ST_Union(f.fixed))) AS p
                          FROM grids_tmp_boundary_feature f WHERE left(f.code, 12) = r.code) g
            WHERE r.code = %s
            """,
            [code],
        )
        lon, lat = cursor.fetchone()
        check.gaps.append(
            _(
                "%(area)s m² of community %(name)s (%(code)s) is covered by no cell (for example at %(lon).5f, "
                "%(lat).5f)."
            )  # fmt: skip
            % {"area": _m2(gap), "name": name, "code": code, "lon": lon, "lat": lat}
        )


def _name_overlaps(cursor, communities: list[str], tolerance: float, check) -> None:
    cursor.execute(
        """
        SELECT a.code, b.code, ST_Area(ST_Intersection(a.fixed, b.fixed)::geography)
        FROM grids_tmp_boundary_feature a JOIN grids_tmp_boundary_feature b
          ON a.idx < b.idx AND a.fixed && b.fixed AND ST_Overlaps(a.fixed, b.fixed)
        WHERE left(a.code, 12) = ANY(%(codes)s)
        ORDER BY a.code, b.code
        """,
        {"codes": communities},
    )
    for first, second, overlap in cursor.fetchall():
        if overlap > tolerance:
            check.problems.append(
                _("Cells %(first)s and %(second)s overlap by %(area)s m².")
                % {"first": first, "second": second, "area": _m2(overlap)}
            )


def _m2(value: float) -> str:
    return f"{value:,.0f}" if value >= 10 else f"{value:.1f}"
