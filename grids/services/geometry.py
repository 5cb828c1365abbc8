"""SQL shared by the boundary services: staged boundaries replace current ones, old ones are archived."""

from django.utils import timezone

# Every boundary writer fills the temp table grids_tmp_new_boundary (region_id, geom, synthetic, source),
# then calls `boundaries_apply`.


def stage_create(cursor) -> None:
    """An empty staging table for new boundaries (dropped by `stage_drop`, or by the rollback on error)."""
    cursor.execute("DROP TABLE IF EXISTS grids_tmp_new_boundary")
    cursor.execute(
        "CREATE TEMP TABLE grids_tmp_new_boundary "
        "(region_id bigint PRIMARY KEY, geom geometry(MultiPolygon, 4326), synthetic boolean, source text)"
    )


def stage_drop(cursor) -> None:
    cursor.execute("DROP TABLE IF EXISTS grids_tmp_new_boundary")


def boundaries_apply(cursor) -> list[int]:
    """Write the staged boundaries that differ from the current ones; returns the ids of the regions changed."""
    # A boundary is never edited in place: the previous one goes to BoundaryVersion with the time it stopped being
    # valid (and the time it started: the previous version's end).
    cursor.execute(
        """
        WITH changed AS (
            SELECT n.region_id, n.geom, n.synthetic, n.source, r.geom AS old_geom, r.synthetic AS old_synthetic,
                   r.geom_source AS old_source,
                   (r.geom IS NULL OR ST_AsEWKB(r.geom) <> ST_AsEWKB(n.geom)) AS moved
            FROM grids_tmp_new_boundary n JOIN grids_region r ON r.id = n.region_id
            WHERE r.geom IS NULL OR ST_AsEWKB(r.geom) <> ST_AsEWKB(n.geom)
               OR r.synthetic <> n.synthetic OR r.geom_source <> n.source
        ), archived AS (
            INSERT INTO grids_boundaryversion (region_id, geom, synthetic, source, valid_from, valid_to)
            SELECT c.region_id, c.old_geom, c.old_synthetic, c.old_source,
                   (SELECT max(v.valid_to) FROM grids_boundaryversion v WHERE v.region_id = c.region_id), %(now)s
            FROM changed c WHERE c.moved AND c.old_geom IS NOT NULL
        )
        UPDATE grids_region r SET geom = c.geom, synthetic = c.synthetic, geom_source = c.source
        FROM changed c WHERE r.id = c.region_id
        RETURNING r.id
        """,
        {"now": timezone.now()},
    )
    return sorted(row[0] for row in cursor.fetchall())
