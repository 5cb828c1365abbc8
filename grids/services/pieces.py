"""Pre-subdivided region pieces for fast point lookups (the MapIt approach)."""

from django.db import connection
from django.utils import timezone

from ..point_index import region_index_invalidate

# ST_Subdivide's vertex budget per piece: small pieces make each ST_Covers test cheap and the GiST boxes tight.
MAX_VERTICES = 64


def region_pieces_rebuild(*, region_ids: list[int] | None = None) -> int:
    """Replace the pieces of the given regions (all current regions when None); returns the pieces written."""
    if region_ids is not None and not region_ids:
        return 0
    with connection.cursor() as cursor:
        if region_ids is None:
            cursor.execute("DELETE FROM grids_regionpiece")
        else:
            cursor.execute("DELETE FROM grids_regionpiece WHERE region_id = ANY(%(ids)s)", {"ids": region_ids})
        cursor.execute(
            """
            INSERT INTO grids_regionpiece (region_id, depth, geom)
            SELECT s.id, s.depth, (ST_Dump(s.piece)).geom
            FROM (
                SELECT r.id, r.depth, ST_Subdivide(r.geom, %(max_vertices)s) AS piece
                FROM grids_region r
                WHERE r.geom IS NOT NULL AND (r.valid_to IS NULL OR r.valid_to >= %(today)s)
                  AND (%(all)s OR r.id = ANY(%(ids)s))
            ) s
            """,
            {
                "ids": region_ids or [],
                "all": region_ids is None,
                "today": timezone.localdate(),
                "max_vertices": MAX_VERTICES,
            },
        )
        written = cursor.rowcount
        # Fresh statistics so the planner keeps using the GiST index right after a bulk load.
        cursor.execute("ANALYZE grids_regionpiece")
    # The triggers gave the regions a new stamp; this process's lookups re-read it at once (the others within
    # GRIDS_LOCATE_RECHECK_SECONDS of the commit).
    region_index_invalidate()
    return written
