"""The grid factories build valid regions with realistic geometry and their pieces."""

from django.contrib.gis.geos import Polygon

from grids.models import Level
from tests.factories.grids import CommunityFactory, DepartmentFactory, RegionFactory, StreetFactory

HUIZHOU_BBOX = Polygon.from_bbox((113.85, 22.55, 115.45, 24.0))


def test_a_community_comes_with_its_ancestors_inside_huizhou(db):
    community = CommunityFactory()
    street = community.parent
    assert [street.level, street.parent.level, street.parent.parent.level] == [
        Level.STREET,
        Level.DISTRICT,
        Level.CITY,
    ]
    assert community.path == f"{street.path}{community.code}/" and len(community.code) == 12
    assert HUIZHOU_BBOX.contains(community.geom)
    assert street.geom.covers(community.geom)
    assert community.pieces.exists()


def test_a_region_under_a_real_street_stays_inside_it(huizhou_grid):
    community = CommunityFactory(parent=huizhou_grid.qiaodong)
    assert community.code.startswith("441302001") and community.code[9] == "9"
    assert huizhou_grid.qiaodong.geom.covers(community.geom)


def test_factories_can_skip_geometry_and_pieces(db):
    region = RegionFactory(geom=None)
    assert region.geom is None and not region.pieces.exists()
    street = StreetFactory(pieces=False)
    assert street.geom is not None and not street.pieces.exists()


def test_a_department_has_a_home_region(db):
    department = DepartmentFactory()
    assert department.home_region.level == Level.CITY
    assert department.contact_phone.startswith("0752-")
