"""Deterministic synthetic boundaries for regions that have no official one (demo streets and communities).

Where a public source gives a child's real office location (fixtures/huizhou/street-offices.csv, one source
per row), that point seeds the child's cell, so the synthetic street is grown around its real office; the
boundary stays flagged synthetic.
"""

import csv
import math
from pathlib import Path

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from grids.models import LEVEL_DEPTH, Level

from .errors import GridImportError
from .geometry import boundaries_apply, stage_create, stage_drop
from .output import say
from .pieces import region_pieces_rebuild

# Part of every fingerprint: changing the algorithm below must change it, so old cells get regenerated.
ALGORITHM = "bisect-voronoi-anchored-2"
SOURCE_PREFIX = "synthetic #"
# Sample points per child: enough for the bisection to give cells of similar area, few enough to stay fast.
POINTS_PER_CHILD = 40
SEED = 2260
# The levels a synthetic boundary can be drawn for, parents first. Unit grids are not among them: they are cut
# into squares by `unit_grids_generate` (grids/services/unit_grids.py), never grown as Voronoi cells.
GENERATED_LEVELS = [level.value for level in Level if 0 < LEVEL_DEPTH[level] < LEVEL_DEPTH[Level.UNIT]]
# Known office locations of regions (code, lon, lat, source): the seeds of their synthetic cells.
ANCHORS_FILE = settings.BASE_DIR / "fixtures" / "huizhou" / "street-offices.csv"


def anchors_read(path: Path = ANCHORS_FILE) -> dict:
    """{region code: (lon, lat)} from a CSV with code, lon, lat and source columns; rows without a source are
    refused (every location must say where it comes from). A missing file means no anchors."""
    if not Path(path).exists():
        return {}
    anchors = {}
    with open(path, encoding="utf-8", newline="") as handle:
        for line, row in enumerate(csv.DictReader(handle), start=2):
            if not (row.get("source") or "").strip():
                raise GridImportError(
                    _("%(file)s line %(line)d: say where the location comes from (source).")
                    % {"file": Path(path).name, "line": line}
                )
            try:
                lon, lat = float(row["lon"]), float(row["lat"])
            except (KeyError, TypeError, ValueError) as exc:
                raise GridImportError(
                    _("%(file)s line %(line)d: lon and lat must be numbers.") % {"file": Path(path).name, "line": line}
                ) from exc
            anchors[row["code"].strip()] = (lon, lat)
    return anchors


def boundaries_generate(*, level: str, stdout=None, anchors: dict | None = None) -> dict:
    """Tile each parent (minus real children) among its `level` children without real boundary; deterministic.

    `anchors` ({code: (lon, lat)}, default: ANCHORS_FILE) seed those children's cells at their office.
    """
    # How: seeded random points in the area are cut into equal-count groups, one per child; each group's medoid
    # seeds a Voronoi cell, and the cell clipped to the area is the child's boundary, so the children tile the
    # parent. An anchored child takes its office point instead of the medoid nearest to it. A fingerprint of the
    # input (area, children, anchors) in geom_source lets unchanged parents be skipped.
    depth = LEVEL_DEPTH.get(level) if level in GENERATED_LEVELS else None
    if not depth:
        levels = ", ".join(GENERATED_LEVELS)
        raise GridImportError(
            _("Cannot generate boundaries for “%(level)s”; use one of %(levels)s.") % {"level": level, "levels": levels}
        )
    params = {"level": level, "depth": depth, "today": timezone.localdate(), "prefix": SOURCE_PREFIX}
    anchors = anchors_read() if anchors is None else anchors
    with transaction.atomic(), connection.cursor() as cursor:
        waiting = _waiting_for_parent(cursor, params)
        _anchors_stage(cursor, anchors, params)
        _collect_work(cursor, params)
        unchanged = _drop_unchanged(cursor)
        no_room = _drop_no_room(cursor)
        cursor.execute("SELECT count(*), coalesce(sum(n), 0) FROM grids_tmp_synth_work")
        regenerated, children = cursor.fetchone()
        failed, changed_ids = [], []
        if regenerated:
            stage_create(cursor)
            _split_single(cursor)
            _split_many(cursor)
            failed = _failed_children(cursor)
            changed_ids = boundaries_apply(cursor)
            stage_drop(cursor)
            region_pieces_rebuild(region_ids=changed_ids)
        cursor.execute(
            "DROP TABLE IF EXISTS grids_tmp_synth_work, grids_tmp_synth_point, grids_tmp_synth_seed, "
            "grids_tmp_synth_anchor"
        )
    result = {
        "level": level,
        "regenerated_parents": regenerated,
        "unchanged_parents": unchanged,
        "regions": len(changed_ids),
        "waiting": waiting,
        "no_room": no_room,
        "failed": failed,
    }
    _say_result(stdout, result, children)
    return result


def _say_result(stdout, result: dict, children: int) -> None:
    say(
        stdout,
        _("Synthetic %(level)s boundaries: %(parents)d parent(s) split among %(children)d children; %(same)d kept.")
        % {
            "level": result["level"],
            "parents": result["regenerated_parents"],
            "children": children,
            "same": result["unchanged_parents"],
        },
    )
    if result["waiting"]:
        say(
            stdout,
            _("%(count)d region(s) wait for their parent's boundary: %(codes)s")
            % {"count": len(result["waiting"]), "codes": ", ".join(result["waiting"][:20])},
        )
    for key, message in (
        ("no_room", _("No room left by the real boundaries of their siblings: %(codes)s")),
        ("failed", _("No polygon could be generated for: %(codes)s")),
    ):
        if result[key]:
            say(stdout, message % {"codes": ", ".join(result[key])})


def _waiting_for_parent(cursor, params: dict) -> list[str]:
    cursor.execute(
        """
        SELECT c.code FROM grids_region c JOIN grids_region p ON p.id = c.parent_id
        WHERE c.level = %(level)s AND (c.geom IS NULL OR c.synthetic) AND p.geom IS NULL
          AND (c.valid_to IS NULL OR c.valid_to >= %(today)s)
        ORDER BY c.code
        """,
        params,
    )
    return [row[0] for row in cursor.fetchall()]


def _anchors_stage(cursor, anchors: dict, params: dict) -> None:
    """The anchors of this level's current regions, as points, in a temp table (empty without anchors)."""
    cursor.execute("DROP TABLE IF EXISTS grids_tmp_synth_anchor")
    cursor.execute("CREATE TEMP TABLE grids_tmp_synth_anchor (region_id integer PRIMARY KEY, pt geometry)")
    if not anchors:
        return
    codes = list(anchors)
    cursor.execute(
        "SELECT code, id FROM grids_region WHERE level = %(level)s AND code = ANY(%(codes)s)",
        {**params, "codes": codes},
    )
    rows = [(pk, *anchors[code]) for code, pk in cursor.fetchall()]
    cursor.executemany("INSERT INTO grids_tmp_synth_anchor VALUES (%s, ST_SetSRID(ST_MakePoint(%s, %s), 4326))", rows)


def _collect_work(cursor, params: dict) -> None:
    """One row per parent: the children to draw (ordered by code), the area left to them, a fingerprint."""
    cursor.execute("DROP TABLE IF EXISTS grids_tmp_synth_work")
    cursor.execute(
        """
        CREATE TEMP TABLE grids_tmp_synth_work AS
        SELECT p.id AS parent_id, k.ids AS kid_ids, k.codes AS kid_codes, cardinality(k.ids) AS n,
               CASE WHEN real.geom IS NULL THEN p.geom
                    ELSE ST_Multi(ST_CollectionExtract(ST_Difference(p.geom, real.geom), 3)) END AS area
        FROM grids_region p
        JOIN LATERAL (
            SELECT array_agg(c.id ORDER BY c.code) AS ids, array_agg(c.code ORDER BY c.code) AS codes
            FROM grids_region c
            WHERE c.parent_id = p.id AND c.level = %(level)s AND (c.geom IS NULL OR c.synthetic)
              AND (c.valid_to IS NULL OR c.valid_to >= %(today)s)
        ) k ON k.ids IS NOT NULL
        LEFT JOIN LATERAL (
            SELECT ST_Union(c.geom) AS geom FROM grids_region c
            WHERE c.parent_id = p.id AND c.geom IS NOT NULL AND NOT c.synthetic
              AND (c.valid_to IS NULL OR c.valid_to >= %(today)s)
        ) real ON true
        WHERE p.depth = %(depth)s - 1 AND p.geom IS NOT NULL AND (p.valid_to IS NULL OR p.valid_to >= %(today)s)
        """,
        params,
    )
    cursor.execute(
        """
        ALTER TABLE grids_tmp_synth_work ADD COLUMN source text;
        UPDATE grids_tmp_synth_work w SET source = %(prefix)s || md5(
            ST_AsEWKB(area) || convert_to(array_to_string(kid_codes, ',') || %(algorithm)s || coalesce((
                SELECT string_agg(a.region_id || ' ' || ST_AsText(a.pt), ',' ORDER BY a.region_id)
                FROM grids_tmp_synth_anchor a WHERE a.region_id = ANY(w.kid_ids)), ''), 'UTF8'));
        """,
        {"prefix": SOURCE_PREFIX, "algorithm": ALGORITHM},
    )


def _drop_unchanged(cursor) -> int:
    """Parents whose children already carry this exact fingerprint need no work (quick re-runs)."""
    cursor.execute(
        """
        DELETE FROM grids_tmp_synth_work w
        WHERE NOT EXISTS (
            SELECT 1 FROM grids_region c
            WHERE c.id = ANY(w.kid_ids) AND (c.geom IS NULL OR c.geom_source <> w.source)
        )
        """
    )
    return cursor.rowcount


def _drop_no_room(cursor) -> list[str]:
    cursor.execute(
        "DELETE FROM grids_tmp_synth_work WHERE area IS NULL OR ST_IsEmpty(area) OR ST_Area(area) = 0 "
        "RETURNING kid_codes"
    )
    return sorted(code for (codes,) in cursor.fetchall() for code in codes)


def _split_single(cursor) -> None:
    cursor.execute(
        """
        INSERT INTO grids_tmp_new_boundary (region_id, geom, synthetic, source)
        SELECT kid_ids[1], area, true, source FROM grids_tmp_synth_work WHERE n = 1
        """
    )


def _split_many(cursor) -> None:
    """Seeded points → equal-count bisection into one group per child → group medoids → clipped Voronoi cells."""
    cursor.execute("DROP TABLE IF EXISTS grids_tmp_synth_point")
    cursor.execute(
        """
        CREATE TEMP TABLE grids_tmp_synth_point AS
        SELECT w.parent_id, d.path[1] AS i, ST_X(d.geom) AS x, ST_Y(d.geom) AS y, 1::bigint AS grp, w.n AS need
        FROM grids_tmp_synth_work w, LATERAL ST_Dump(ST_GeneratePoints(w.area, w.n * %(per)s, %(seed)s)) d
        WHERE w.n > 1
        """,
        {"per": POINTS_PER_CHILD, "seed": SEED},
    )
    while _bisect(cursor):
        pass
    _pick_seeds(cursor)
    _anchor_seeds(cursor)
    _clip_cells(cursor)


def _pick_seeds(cursor) -> None:
    """One seed per group: the sample point nearest the group's mean, numbered in Z-order."""
    # A seed is a sample point, so it lies inside the area and its clipped cell can never be empty.
    cursor.execute("DROP TABLE IF EXISTS grids_tmp_synth_seed")
    cursor.execute(
        """
        CREATE TEMP TABLE grids_tmp_synth_seed AS
        WITH means AS (
            SELECT parent_id, grp, avg(x) AS mx, avg(y) AS my FROM grids_tmp_synth_point GROUP BY parent_id, grp
        ), medoids AS (
            SELECT DISTINCT ON (p.parent_id, p.grp) p.parent_id, p.i, ST_SetSRID(ST_MakePoint(p.x, p.y), 4326) AS pt
            FROM grids_tmp_synth_point p JOIN means m ON m.parent_id = p.parent_id AND m.grp = p.grp
            ORDER BY p.parent_id, p.grp, (p.x - m.mx) ^ 2 + (p.y - m.my) ^ 2, p.i
        )
        -- Z-order (geohash) numbering: consecutive codes get neighbouring cells.
        SELECT parent_id, pt, row_number() OVER (PARTITION BY parent_id ORDER BY ST_GeoHash(pt, 12), i) AS ord
        FROM medoids
        """
    )


def _anchor_seeds(cursor) -> None:
    """Each anchored child's seed becomes its office point, in place of the medoid nearest to it; the other
    medoids go to the other children in their Z-order. Anchors outside the area left to the children are ignored."""
    cursor.execute(
        """
        SELECT w.parent_id, k.ord, ST_X(a.pt), ST_Y(a.pt)
        FROM grids_tmp_synth_work w CROSS JOIN LATERAL unnest(w.kid_ids) WITH ORDINALITY AS k(id, ord)
        JOIN grids_tmp_synth_anchor a ON a.region_id = k.id
        WHERE w.n > 1 AND ST_Contains(w.area, a.pt)
        ORDER BY w.parent_id, k.ord
        """
    )
    anchored = {}
    for parent_id, ord_, x, y in cursor.fetchall():
        anchored.setdefault(parent_id, {})[ord_] = (x, y)
    if not anchored:
        return
    cursor.execute(
        "SELECT parent_id, ST_X(pt), ST_Y(pt) FROM grids_tmp_synth_seed WHERE parent_id = ANY(%s) "
        "ORDER BY parent_id, ord",
        [list(anchored)],
    )
    medoids = {}
    for parent_id, x, y in cursor.fetchall():
        medoids.setdefault(parent_id, []).append((x, y))
    rows = []
    for parent_id, offices in anchored.items():
        free = medoids[parent_id]
        scale = math.cos(math.radians(sum(y for _x, y in free) / len(free)))
        for x, y in offices.values():
            nearest = min(range(len(free)), key=lambda j: ((free[j][0] - x) * scale) ** 2 + (free[j][1] - y) ** 2)
            free.pop(nearest)
        others = [k for k in range(1, len(free) + len(offices) + 1) if k not in offices]
        seeds = {**dict(zip(others, free, strict=True)), **offices}
        rows += [(parent_id, x, y, k) for k, (x, y) in seeds.items()]
    cursor.execute("DELETE FROM grids_tmp_synth_seed WHERE parent_id = ANY(%s)", [list(anchored)])
    cursor.executemany(
        "INSERT INTO grids_tmp_synth_seed (parent_id, pt, ord) VALUES (%s, ST_SetSRID(ST_MakePoint(%s, %s), 4326), %s)",
        rows,
    )


def _clip_cells(cursor) -> None:
    """Child number k of a parent gets the Voronoi cell of seed k, clipped to the parent's area."""
    cursor.execute(
        """
        INSERT INTO grids_tmp_new_boundary (region_id, geom, synthetic, source)
        SELECT w.kid_ids[s.ord], ST_Multi(ST_CollectionExtract(ST_Intersection(c.cell, w.area), 3)), true, w.source
        FROM grids_tmp_synth_work w
        JOIN LATERAL (
            SELECT (ST_Dump(ST_VoronoiPolygons(ST_Collect(s.pt ORDER BY s.ord), 0, w.area))).geom AS cell
            FROM grids_tmp_synth_seed s WHERE s.parent_id = w.parent_id
        ) c ON true
        JOIN grids_tmp_synth_seed s ON s.parent_id = w.parent_id AND ST_Contains(c.cell, s.pt)
        WHERE w.n > 1
        """
    )


def _bisect(cursor) -> int:
    """Split every group that still needs several children in two, across its longer side, by point count.

    Equal point counts mean equal areas (the points are uniform), so the children get cells of similar size;
    unlike k-means, a far-off island cannot capture a whole child. Returns the number of points moved.
    """
    cursor.execute(
        """
        WITH g AS (
            SELECT parent_id, grp, need, count(*) AS cnt,
                   (max(x) - min(x)) * cos(radians(avg(y))) >= max(y) - min(y) AS wide
            FROM grids_tmp_synth_point WHERE need > 1 GROUP BY parent_id, grp, need
        ), ranked AS (
            SELECT p.parent_id, p.i, g.need, g.need / 2 AS left_need,
                   greatest(
                       g.need / 2,
                       least(g.cnt - (g.need - g.need / 2), round(g.cnt * (g.need / 2) / g.need::numeric))
                   ) AS left_count,
                   row_number() OVER (
                       PARTITION BY p.parent_id, p.grp ORDER BY CASE WHEN g.wide THEN p.x ELSE p.y END, p.i
                   ) AS rn
            FROM grids_tmp_synth_point p JOIN g ON g.parent_id = p.parent_id AND g.grp = p.grp
        )
        UPDATE grids_tmp_synth_point p
        SET grp = p.grp * 2 + (r.rn > r.left_count)::int,
            need = CASE WHEN r.rn > r.left_count THEN r.need - r.left_need ELSE r.left_need END
        FROM ranked r WHERE r.parent_id = p.parent_id AND r.i = p.i
        """
    )
    return cursor.rowcount


def _failed_children(cursor) -> list[str]:
    """Children left without a polygon are reported and not written (their old boundary, if any, stays)."""
    cursor.execute(
        """
        DELETE FROM grids_tmp_new_boundary n USING grids_region r
        WHERE r.id = n.region_id AND (n.geom IS NULL OR ST_IsEmpty(n.geom))
        RETURNING r.code
        """
    )
    failed = {row[0] for row in cursor.fetchall()}
    cursor.execute(
        """
        SELECT r.code FROM grids_tmp_synth_work w, unnest(w.kid_ids) AS k(id) JOIN grids_region r ON r.id = k.id
        WHERE NOT EXISTS (SELECT 1 FROM grids_tmp_new_boundary n WHERE n.region_id = k.id)
        """
    )
    failed |= {row[0] for row in cursor.fetchall()}
    return sorted(failed)
