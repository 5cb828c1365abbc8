"""A hand-made patrol world for the missed-report figure: four unit grids in 东湖社区, a patrol area, tracks.

The cells are 0.001° squares (about 102 m east–west, 111 m north–south here), numbered west → east, then north →
south like real unit grids:

    A (…901)  B (…902)      the patrol area holds A and B
    C (…903)  D (…904)      C and D belong to no patrol area
"""

import uuid
from datetime import timedelta

from django.contrib.gis.geos import MultiPolygon, Point, Polygon

from grids.models import Level, Network, PatrolArea, PatrolSession, Region, TrackPoint
from grids.services import region_pieces_rebuild

CELL = 0.001
# About 10 m in latitude: a track point this far outside a cell is within the default 30 m tolerance.
TEN_METRES = 10 / 111_320


class PatrolWorld:
    """Cells A–D laid out from a south-west corner, with points to put cases and tracks at."""

    def __init__(self, community, lon, lat):
        self.x0, self.y0 = lon - CELL, lat - CELL
        self.cells = {}
        for i, name in enumerate("ABCD"):
            col, row = i % 2, i // 2  # row 0 is the northern one
            west, south = self.x0 + col * CELL, self.y0 + (1 - row) * CELL
            geom = MultiPolygon(Polygon.from_bbox((west, south, west + CELL, south + CELL)), srid=4326)
            self.cells[name] = Region.objects.create(
                code=f"{community.code}{901 + i}",
                name=f"单元网格{name}",
                level=Level.UNIT,
                parent=community,
                geom=geom,
                synthetic=True,
                geom_source="test",
            )
        region_pieces_rebuild(region_ids=[c.pk for c in self.cells.values()])

    def centre(self, name, dx=0.0, dy=0.0):
        """The centre of a cell, moved by (dx, dy) degrees."""
        c = self.cells[name].geom.centroid
        return Point(c.x + dx, c.y + dy, srid=4326)

    def just_south_of(self, name):
        """A point about 10 m south of the cell's southern edge (inside the cell below it)."""
        c = self.cells[name].geom.centroid
        return Point(c.x, c.y - CELL / 2 - TEN_METRES, srid=4326)

    def area(self, cells, workers, *, network=Network.CITY_MANAGEMENT, active=True, code="test-area"):
        area = PatrolArea.objects.create(
            code=code, name=code, network=network, community=self.cells["A"].parent, active=active
        )
        area.unit_grids.set([self.cells[c] for c in cells])
        area.workers.set(workers)
        return area


def patrol(user, start, end, *, area=None):
    """A patrol session (attendance) from start to end (None: still on patrol)."""
    return PatrolSession.objects.create(
        user=user, patrol_area=area, client_id=uuid.uuid4(), started_at=start, ended_at=end, start_point=None
    )


def walk(session, start, end, point, every=timedelta(minutes=5)):
    """Track points at `point` from start to end inclusive, one every `every`."""
    rows, at = [], start
    while at <= end:
        rows.append(TrackPoint(session=session, user_id=session.user_id, recorded_at=at, point=point))
        at += every
    return TrackPoint.objects.bulk_create(rows)
