"""The region pieces held in memory for point lookups: prepared GEOS geometries behind a coarse grid of cells.

PostGIS answers a point lookup in about 0.2 ms, most of it the round trip; in memory it takes a few microseconds.
Each process builds the index lazily from the pieces (grids_regionpiece, ST_Subdivide'd to few vertices) and the
regions' columns (never their geometry), and keeps it while the database's stamp is unchanged. Statement triggers
on grids_region and grids_regionpiece give the stamp a fresh sequence value in the writing transaction, so every
writer (services, admin, bulk updates, a shell) invalidates it, and a rolled-back write leaves no stamp behind that
a later one could reuse. The stamp is read at most once every GRIDS_LOCATE_RECHECK_SECONDS per process; the
process that rebuilds pieces re-reads it at once (region_index_invalidate).

Memory (it lives in every web worker): the pieces are kept as their WKB in one buffer (about 1.2 MB for the city's
8,150 pieces) and a piece becomes a GEOS geometry, prepared, only when a lookup first tests it; the rows are read
one at a time from the cursor, so no list of every row is held while the index is built.
"""

import math
import threading
import time
from array import array
from dataclasses import dataclass

from django.conf import settings
from django.contrib.gis.geos import Point, WKBReader
from django.db import connection
from django.utils import timezone

# The regions' columns the index keeps (and region_locate returns), in this order.
REGION_FIELDS = (
    "id",
    "code",
    "name",
    "level",
    "depth",
    "parent_id",
    "path",
    "area_class",
    "synthetic",
    "geom_source",
    "valid_from",
    "valid_to",
)
_VALID_TO = REGION_FIELDS.index("valid_to")
_PARENT_ID = REGION_FIELDS.index("parent_id")

# Side of a cell in degrees (about 1 km): a cell lists the few pieces whose boxes reach it, deepest first.
CELL_DEGREES = 0.01

_STAMP_SQL = "SELECT stamp FROM grids_region_index_stamp WHERE id = 1"
# Deepest first; on a shared boundary the lower code wins: the order of the PostGIS lookup (region_locate_in_database).
_PIECES_SQL = """
    SELECT p.region_id, ST_AsBinary(p.geom), ST_XMin(p.geom), ST_YMin(p.geom), ST_XMax(p.geom), ST_YMax(p.geom)
    FROM grids_regionpiece p JOIN grids_region r ON r.id = p.region_id
    ORDER BY p.depth DESC, r.code, p.id
"""
_REGIONS_SQL = "SELECT {} FROM grids_region WHERE id IN (SELECT region_id FROM grids_regionpiece) OR id IN ("
_REGIONS_SQL += "SELECT parent_id FROM grids_region WHERE id IN (SELECT region_id FROM grids_regionpiece))"
_REGIONS_SQL = _REGIONS_SQL.format(", ".join(REGION_FIELDS))


@dataclass(frozen=True)
class RegionIndex:
    """An immutable snapshot: the pieces in lookup order, their boxes, and the cells that list them.

    Kept compact (it lives in every web worker): boxes and cell lists are flat arrays, a cell's piece numbers are
    members[starts[cell]:starts[cell + 1]], a piece's WKB is wkb[offsets[number]:offsets[number + 1]], and the
    regions' rows share their repeated values. `prepared` is the one mutable part: a piece's prepared geometry,
    filled in (under _geos_lock) the first time a lookup tests the piece."""

    stamp: int | None
    west: float
    south: float
    columns: int
    rows: int
    starts: array  # per cell, where its piece numbers begin in `members`; one more entry closes the last cell
    members: array  # piece numbers, each cell's in lookup order
    boxes: array  # per piece: xmin, ymin, xmax, ymax
    offsets: array  # per piece, where its WKB begins in `wkb`; one more entry closes the last piece
    wkb: bytes  # every piece's WKB, in lookup order
    prepared: list  # per piece: its PreparedGeometry once a lookup has tested it, else None
    regions_of: tuple  # per piece: the region's row (REGION_FIELDS)
    rows_by_id: dict  # region id -> row, for the parents

    def locate(self, lon: float, lat: float, *, today) -> tuple | None:
        """The row of the first piece (in lookup order) covering the point and current on `today`, or None."""
        column = self._cell(lon - self.west, self.columns)
        row = self._cell(lat - self.south, self.rows)
        if column is None or row is None:
            return None
        cell = row * self.columns + column
        boxes, members, point = self.boxes, self.members, None
        for at in range(self.starts[cell], self.starts[cell + 1]):
            number = members[at]
            box = number * 4
            if lon < boxes[box] or lat < boxes[box + 1] or lon > boxes[box + 2] or lat > boxes[box + 3]:
                continue
            region = self.regions_of[number]
            valid_to = region[_VALID_TO]
            if valid_to is not None and valid_to < today:
                continue
            if point is None:
                point = Point(lon, lat, srid=4326)
            # GEOS builds a prepared geometry's own index on its first use, which is not safe from two threads
            # at once (ctypes lets go of the GIL during the call); the geometry itself is read here on first use.
            with _geos_lock:
                prepared = self.prepared[number]
                if prepared is None:
                    wkb = memoryview(self.wkb)[self.offsets[number] : self.offsets[number + 1]]
                    prepared = self.prepared[number] = WKBReader().read(wkb).prepared
                covered = prepared.covers(point)
            if covered:
                return region
        return None

    def parent_of(self, region: tuple) -> tuple | None:
        return self.rows_by_id.get(region[_PARENT_ID])

    @staticmethod
    def _cell(offset: float, count: int) -> int | None:
        # The same arithmetic places a piece's box and a point, so a point inside a box is in one of its cells.
        if not 0 <= offset < math.inf:  # also NaN
            return None
        cell = int(offset / CELL_DEGREES)
        return cell if cell < count else None


def region_index_build(*, stamp: int | None = None) -> RegionIndex:
    """Read the pieces and regions (two queries, no ORM) and build the index; `stamp` is what they were read at.

    Rows are taken from the cursor one at a time and only their compact form is kept (the pieces' WKB in one buffer,
    their boxes in an array): the build's peak is about the index's own size."""
    shared: dict = {}  # one object for each repeated value (levels, classes, sources, dates)
    rows_by_id = {}
    boxes, offsets, wkb, regions_of = array("d"), array("I", [0]), bytearray(), []
    with connection.cursor() as cursor:
        cursor.execute(_REGIONS_SQL)
        for row in cursor:
            rows_by_id[row[0]] = tuple(shared.setdefault(value, value) for value in row)
        cursor.execute(_PIECES_SQL)
        for region_id, piece_wkb, xmin, ymin, xmax, ymax in cursor:
            boxes.extend((xmin, ymin, xmax, ymax))
            wkb += piece_wkb
            offsets.append(len(wkb))
            regions_of.append(rows_by_id[region_id])
    count = len(regions_of)
    if not count:
        return RegionIndex(stamp, 0.0, 0.0, 0, 0, array("I", [0]), array("I"), boxes, offsets, b"", [], (), rows_by_id)
    west, south = min(boxes[0::4]), min(boxes[1::4])
    columns = int((max(boxes[2::4]) - west) / CELL_DEGREES) + 1
    rows = int((max(boxes[3::4]) - south) / CELL_DEGREES) + 1
    # Two passes over the pieces' cell ranges, counting then filling flat arrays: no list per cell is ever made
    # (tens of thousands of small objects, freed right after the build but leaving the worker's heap fragmented).
    ranges = array("I")  # per piece: first column, last column, first row, last row
    for number in range(count):
        xmin, ymin, xmax, ymax = boxes[number * 4], boxes[number * 4 + 1], boxes[number * 4 + 2], boxes[number * 4 + 3]
        ranges.extend((
            int((xmin - west) / CELL_DEGREES), int((xmax - west) / CELL_DEGREES),
            int((ymin - south) / CELL_DEGREES), int((ymax - south) / CELL_DEGREES),
        ))  # fmt: skip
    starts = array("I", bytes(4 * (columns * rows + 1)))
    for number in range(count):
        first_column, last_column, first_row, last_row = ranges[number * 4 : number * 4 + 4]
        for row in range(first_row, last_row + 1):
            for column in range(first_column, last_column + 1):
                starts[row * columns + column + 1] += 1
    for cell in range(columns * rows):
        starts[cell + 1] += starts[cell]
    # Pieces are numbered in lookup order and filled in that order, so every cell's members stay in that order.
    members = array("I", bytes(4 * starts[-1]))
    filled = array("I", starts[:-1])
    for number in range(count):
        first_column, last_column, first_row, last_row = ranges[number * 4 : number * 4 + 4]
        for row in range(first_row, last_row + 1):
            for column in range(first_column, last_column + 1):
                cell = row * columns + column
                members[filled[cell]] = number
                filled[cell] += 1
    return RegionIndex(
        stamp, west, south, columns, rows, starts, members, boxes, offsets, bytes(wkb), [None] * count,
        tuple(regions_of), rows_by_id,
    )  # fmt: skip


_geos_lock = threading.Lock()
_build_lock = threading.Lock()
_current: RegionIndex | None = None
_checked_at = -math.inf


def region_index_current() -> RegionIndex:
    """This process's index, rebuilt when the database's stamp has changed (read at most every few seconds)."""
    global _current, _checked_at
    index = _current
    now = time.monotonic()
    if index is not None and now - _checked_at < settings.GRIDS_LOCATE_RECHECK_SECONDS:
        return index
    with _build_lock:
        # Read the stamp before the pieces: the index is never older than the stamp it is kept under.
        stamp = region_index_stamp()
        if _current is None or _current.stamp != stamp or stamp is None:
            _current = region_index_build(stamp=stamp)
        _checked_at = now
        return _current


def region_index_stamp() -> int | None:
    """The stamp the triggers give every write to the regions or their pieces (one query)."""
    with connection.cursor() as cursor:
        cursor.execute(_STAMP_SQL)
        row = cursor.fetchone()
    return None if row is None else row[0]


def region_index_invalidate() -> None:
    """Make this process re-read the stamp at its next lookup (after it wrote regions or pieces itself)."""
    global _checked_at
    _checked_at = -math.inf


def region_index_locate(*, lon: float, lat: float) -> tuple[tuple, tuple | None] | None:
    """(region row, parent row) of the deepest current region covering the point, or None."""
    index = region_index_current()
    region = index.locate(float(lon), float(lat), today=timezone.localdate())
    if region is None:
        return None
    return region, index.parent_of(region)
