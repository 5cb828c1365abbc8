"""Unit grids (单元网格): square cells cut from a community's boundary, numbered, versioned.

A community's cells tile it exactly: squares of a metric grid (CGCS2000 3-degree Gauss-Krüger, CM 114E, where
Huizhou lies) are brought to WGS84 corner by corner, so neighbours share their edges bit for bit, and each is
clipped to the community's own WGS84 boundary, which is never reprojected. A clipped cell smaller than
SLIVER_SHARE of a full one joins the neighbour it shares the longest edge with; the union stays the community.

Cells are regions of level "unit" (code = community code + 3-digit sequence, north → south rows, west → east in a
row). A new layer (UnitGridLayer version + 1) redraws cells whose code it keeps (the old boundary goes to
BoundaryVersion), retires those it no longer has (valid_to) and restores retired ones it has again; a case keeps
the region it was located in.
"""

import math
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from grids.models import LEVEL_DEPTH, Level, Region, UnitGridLayer

from .errors import GridImportError
from .geometry import boundaries_apply, stage_create, stage_drop
from .output import say
from .pieces import region_pieces_rebuild

# CGCS2000 / 3-degree Gauss-Kruger CM 114E: metres, little distortion over Huizhou (113.8–115.4 E).
METRIC_SRID = 4547
MAX_CELLS = 999  # three digits of sequence in the 15-digit code
# A clipped cell below this share of a full square is a sliver: it joins a neighbour instead of being a grid.
SLIVER_SHARE = 0.2
MIN_SIZE_M = 10
MAX_SIZE_M = 5000


class UnitGridError(GridImportError):
    """Unit grids cannot be made as asked; nothing was written."""


@dataclass
class UnitGridResult:
    """What one community's new layer did to its unit grids."""

    community: str
    name: str
    layer: UnitGridLayer
    created: list[str] = field(default_factory=list)
    redrawn: list[str] = field(default_factory=list)
    restored: list[str] = field(default_factory=list)
    retired: list[str] = field(default_factory=list)
    unchanged: int = 0
    touched_ids: list[int] = field(default_factory=list, repr=False)  # regions whose pieces must be rebuilt

    def lines(self) -> list[str]:
        """The outcome in words, in the active language."""
        how = (
            _("cells of %(size)d m") % {"size": self.layer.cell_size_m}
            if self.layer.cell_size_m
            else _("imported from %(file)s") % {"file": self.layer.file_name}
        )
        out = [
            _(
                "%(name)s (%(code)s): layer version %(version)d, %(cells)d unit grids, %(how)s — %(new)d new, "
                "%(redrawn)d redrawn, %(restored)d restored, %(retired)d retired, %(same)d unchanged."
            )
            % {
                "name": self.name,
                "code": self.community,
                "version": self.layer.version,
                "cells": self.layer.cells,
                "how": how,
                "new": len(self.created),
                "redrawn": len(self.redrawn),
                "restored": len(self.restored),
                "retired": len(self.retired),
                "same": self.unchanged,
            }
        ]
        if self.retired:
            out.append(_("Retired: %(codes)s") % {"codes": _codes_text(self.retired)})
        if self.redrawn:
            out.append(_("Redrawn (old boundary kept): %(codes)s") % {"codes": _codes_text(self.redrawn)})
        return out


def _codes_text(codes: list[str], most: int = 12) -> str:
    shown = ", ".join(codes[:most])
    return shown + (_(" and %(more)d more") % {"more": len(codes) - most} if len(codes) > most else "")


def communities_under(*, community_code=None, street_code=None, district_code=None) -> list[Region]:
    """The current communities named (one, or all of a street or district), with a boundary; raises if none."""
    named = ((community_code, Level.COMMUNITY), (street_code, Level.STREET), (district_code, Level.DISTRICT))
    given = [(code, level) for code, level in named if code]
    if len(given) != 1:
        raise UnitGridError(_("Name exactly one community, street or district."))
    code, level = given[0]
    root = Region.objects.current().defer("geom").filter(code=code, level=level).first()
    if root is None:
        raise UnitGridError(_("No current %(level)s has the code %(code)s.") % {"level": level.label, "code": code})
    communities = list(
        Region.objects.current().subtree(root).filter(level=Level.COMMUNITY).defer("geom").order_by("code")
    )
    without = Region.objects.filter(pk__in=[c.pk for c in communities], geom__isnull=True)
    missing = sorted(without.values_list("code", flat=True))
    if missing:
        raise UnitGridError(_("These communities have no boundary yet: %(codes)s.") % {"codes": _codes_text(missing)})
    if not communities:
        raise UnitGridError(_("%(code)s holds no community.") % {"code": code})
    return communities


def unit_grids_generate(
    *, community_code=None, street_code=None, district_code=None, size_m: int | None = None, now=None, stdout=None
) -> list[UnitGridResult]:
    """Cut the named communities into square unit grids of `size_m` metres (UNIT_GRID_SIZE_M), all or nothing.

    Writes unit regions, their pieces (so reports are located into them) and a new current layer per community.
    """
    size = settings.UNIT_GRID_SIZE_M if size_m is None else size_m
    if not MIN_SIZE_M <= size <= MAX_SIZE_M:
        raise UnitGridError(
            _("The cell size must be between %(min)d and %(max)d metres.") % {"min": MIN_SIZE_M, "max": MAX_SIZE_M}
        )
    now = now or timezone.now()
    results = []
    with transaction.atomic(), connection.cursor() as cursor:
        jit_off(cursor)
        communities = communities_under(
            community_code=community_code, street_code=street_code, district_code=district_code
        )
        for community in communities:
            _lock(community)
            count = _cut(cursor, community, size)
            if count > MAX_CELLS:
                raise UnitGridError(
                    _(
                        "%(name)s (%(code)s) would have %(count)d cells of %(size)d m, more than the %(max)d a "
                        "3-digit sequence can number; use a size of %(fits)d m or more."
                    )
                    % {
                        "name": community.name,
                        "code": community.code,
                        "count": count,
                        "size": size,
                        "max": MAX_CELLS,
                        "fits": _size_that_fits(cursor, community, size),
                    }
                )
            _number(cursor, community)
            result = cells_apply(
                cursor, community=community, source=UnitGridLayer.Source.GENERATED, size_m=size, now=now
            )
            results.append(result)
            for line in result.lines():
                say(stdout, line)
        cursor.execute("DROP TABLE IF EXISTS grids_tmp_unit_cell")
        # Once for all communities: each rebuild ends with an ANALYZE of the whole piece table.
        region_pieces_rebuild(region_ids=[pk for result in results for pk in result.touched_ids])
    return results


def jit_off(cursor) -> None:
    """PostGIS functions carry huge planner costs, so each small query over the staged cells looked worth JIT
    compiling: about 0.3 s of compilation for 5 ms of work. Off for the rest of the transaction."""
    cursor.execute("SET LOCAL jit = off")


def _lock(community: Region) -> None:
    # Two generations of the same community would both compute version n + 1: the row lock serialises them.
    Region.objects.select_for_update().filter(pk=community.pk).values_list("pk", flat=True).get()


def cell_table_create(cursor) -> None:
    """The staging table of one community's new cells (code and geometry; grid indexes when generated)."""
    cursor.execute("DROP TABLE IF EXISTS grids_tmp_unit_cell")
    cursor.execute(
        "CREATE TEMP TABLE grids_tmp_unit_cell "
        "(i int, j int, code text, geom geometry(MultiPolygon, 4326), area_m2 float8)"
    )


def _cut(cursor, community: Region, size: int) -> int:
    """Stage the community's clipped squares, slivers merged; returns how many cells there are."""
    cell_table_create(cursor)
    # ST_SquareGrid's squares start at the CRS origin, so the same size always gives the same squares.
    cursor.execute(
        """
        INSERT INTO grids_tmp_unit_cell (i, j, geom)
        SELECT g.i, g.j, ST_Multi(ST_CollectionExtract(ST_Intersection(g.cell, c.geom), 3))
        FROM grids_region c,
             LATERAL (SELECT s.i, s.j, ST_Transform(s.geom, 4326) AS cell
                      FROM ST_SquareGrid(%(size)s, ST_Transform(c.geom, %(srid)s)) s) g
        WHERE c.id = %(id)s AND ST_Intersects(g.cell, c.geom)
        """,
        {"size": float(size), "srid": METRIC_SRID, "id": community.pk},
    )
    cursor.execute(
        "DELETE FROM grids_tmp_unit_cell WHERE ST_IsEmpty(geom); "
        "UPDATE grids_tmp_unit_cell SET area_m2 = ST_Area(geom::geography)"
    )
    _merge_slivers(cursor, size * size * SLIVER_SHARE)
    cursor.execute("SELECT count(*) FROM grids_tmp_unit_cell")
    return cursor.fetchone()[0]


def _merge_slivers(cursor, threshold_m2: float) -> None:
    """Each sliver joins the full-size cell beside it it shares the longest edge with; one with no full-size cell
    within a millimetre (an islet) stays a cell of its own."""
    # First among the eight grid neighbours (index arithmetic, no geometric self-join); then, for what is left
    # (a needle-thin piece that touched only another sliver), any full-size cell it touches by now.
    for neighbours_only in (True, False):
        cursor.execute("DROP TABLE IF EXISTS grids_tmp_unit_merge")
        cursor.execute(
            """
            CREATE TEMP TABLE grids_tmp_unit_merge AS
            SELECT DISTINCT ON (s.i, s.j) s.i AS si, s.j AS sj, n.i AS ni, n.j AS nj
            FROM grids_tmp_unit_cell s JOIN grids_tmp_unit_cell n
              ON n.area_m2 >= %(threshold)s
             AND (NOT %(neighbours_only)s OR (abs(n.i - s.i) <= 1 AND abs(n.j - s.j) <= 1))
             AND s.geom && ST_Expand(n.geom, %(near)s) AND ST_DWithin(s.geom, n.geom, %(near)s)
            WHERE s.area_m2 < %(threshold)s
            ORDER BY s.i, s.j, ST_Length(ST_CollectionExtract(ST_Intersection(s.geom, n.geom), 2)) DESC,
                     n.area_m2 DESC, n.j DESC, n.i
            """,
            {"threshold": threshold_m2, "neighbours_only": neighbours_only, "near": 1e-8},
        )
        cursor.execute(
            """
            UPDATE grids_tmp_unit_cell n SET geom = ST_Multi(ST_CollectionExtract(ST_Union(n.geom, m.geom), 3))
            FROM (SELECT ni, nj, ST_Union(s.geom) AS geom
                  FROM grids_tmp_unit_merge JOIN grids_tmp_unit_cell s ON s.i = si AND s.j = sj GROUP BY ni, nj) m
            WHERE n.i = m.ni AND n.j = m.nj;
            DELETE FROM grids_tmp_unit_cell c USING grids_tmp_unit_merge m WHERE c.i = m.si AND c.j = m.sj;
            DROP TABLE grids_tmp_unit_merge;
            """
        )


def _number(cursor, community: Region) -> None:
    # Rows north → south (grid row j descending), west → east within a row (column i ascending).
    cursor.execute(
        """
        UPDATE grids_tmp_unit_cell c SET code = %(prefix)s || lpad(n.seq::text, 3, '0')
        FROM (SELECT i, j, row_number() OVER (ORDER BY j DESC, i) AS seq FROM grids_tmp_unit_cell) n
        WHERE c.i = n.i AND c.j = n.j
        """,
        {"prefix": community.code},
    )


def _size_that_fits(cursor, community: Region, size: int) -> int:
    """The smallest whole 10 m size whose cells number at most MAX_CELLS (from the area, then checked)."""
    cursor.execute("SELECT ST_Area(geom::geography) FROM grids_region WHERE id = %s", [community.pk])
    area = cursor.fetchone()[0]
    candidate = max(size + 10, int(math.ceil(math.sqrt(area / MAX_CELLS) / 10.0)) * 10)
    while _cut(cursor, community, candidate) > MAX_CELLS:
        candidate += 10
    return candidate


def cells_apply(cursor, *, community: Region, source: str, now, size_m=None, file_name="", report="") -> UnitGridResult:
    """Write the staged cells (grids_tmp_unit_cell, with codes) as the community's unit grids and a new current layer.

    The caller rebuilds the pieces of the result's `touched_ids` (region_pieces_rebuild) before committing."""
    today = timezone.localdate(now)
    origin = (_("unit grid of %(size)d m") % {"size": size_m}) if size_m else (file_name or _("imported"))
    params = {
        "community": community.pk,
        "today": today,
        "retired_on": today - timedelta(days=1),
        "source": origin[:200],
        "depth": LEVEL_DEPTH[Level.UNIT],
        "unit": Level.UNIT.value,
    }
    # Retired first: a cell kept by the new layer is never retired, one it drops is no longer current from today
    # (valid_to is the last day it was valid, inclusive), so region_locate stops finding it at once.
    cursor.execute(
        """
        UPDATE grids_region r SET valid_to = %(retired_on)s
        WHERE r.parent_id = %(community)s AND r.level = %(unit)s AND (r.valid_to IS NULL OR r.valid_to >= %(today)s)
          AND NOT EXISTS (SELECT 1 FROM grids_tmp_unit_cell c WHERE c.code = r.code)
        RETURNING r.id, r.code
        """,
        params,
    )
    retired = cursor.fetchall()
    cursor.execute(
        """
        UPDATE grids_region r SET valid_to = NULL, valid_from = %(today)s
        FROM grids_tmp_unit_cell c WHERE r.code = c.code AND r.valid_to IS NOT NULL AND r.valid_to < %(today)s
        RETURNING r.id, r.code
        """,
        params,
    )
    restored = cursor.fetchall()
    cursor.execute(
        """
        INSERT INTO grids_region (code, name, level, depth, parent_id, path, area_class, geom, synthetic, geom_source,
                                  valid_from)
        SELECT c.code, left(p.name, 52) || ' ' || right(c.code, 3), %(unit)s, %(depth)s, p.id, p.path || c.code || '/',
               p.area_class, c.geom, p.synthetic, %(source)s, %(today)s
        FROM grids_tmp_unit_cell c, grids_region p
        WHERE p.id = %(community)s AND NOT EXISTS (SELECT 1 FROM grids_region r WHERE r.code = c.code)
        RETURNING id, code
        """,
        params,
    )
    created = cursor.fetchall()
    stage_create(cursor)
    cursor.execute(
        """
        INSERT INTO grids_tmp_new_boundary (region_id, geom, synthetic, source)
        SELECT r.id, c.geom, p.synthetic, %(source)s
        FROM grids_tmp_unit_cell c JOIN grids_region r ON r.code = c.code JOIN grids_region p ON p.id = %(community)s
        """,
        params,
    )
    created_ids, restored_ids = {pk for pk, _c in created}, {pk for pk, _c in restored}
    changed = [pk for pk in boundaries_apply(cursor) if pk not in created_ids | restored_ids]
    stage_drop(cursor)
    cursor.execute("SELECT count(*) FROM grids_tmp_unit_cell")
    cells = cursor.fetchone()[0]
    codes = dict(Region.objects.filter(pk__in=changed).values_list("pk", "code"))
    result = UnitGridResult(
        community=community.code,
        name=community.name,
        layer=_layer_create(community, source, now, cells=cells, size_m=size_m, file_name=file_name),
        created=sorted(code for _pk, code in created),
        redrawn=sorted(codes.values()),
        restored=sorted(code for _pk, code in restored),
        retired=sorted(code for _pk, code in retired),
        touched_ids=sorted(created_ids | restored_ids | set(changed) | {pk for pk, _c in retired}),
    )
    result.unchanged = cells - len(result.created) - len(result.redrawn) - len(result.restored)
    result.layer.report = "\n".join([*result.lines(), *([report] if report else [])])
    result.layer.save(update_fields=["report"])
    return result


def _layer_create(community, source, now, *, cells, size_m, file_name) -> UnitGridLayer:
    layers = UnitGridLayer.objects.filter(community=community)
    last = layers.order_by("-version").values_list("version", flat=True).first() or 0
    layers.filter(current=True).update(current=False)
    return UnitGridLayer.objects.create(
        community=community,
        version=last + 1,
        source=source,
        cell_size_m=size_m,
        file_name=file_name[:200],
        cells=cells,
        created_at=now,
        current=True,
    )
