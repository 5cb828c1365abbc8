"""Factories for the grid: regions with realistic boxes inside Huizhou, and departments.

Codes start with the fictional city 99xx, or use digits 9xx / 9x under a real parent, so they never collide
with the session's real Huizhou grid. A region given a parent with a boundary gets a box inside it.
"""

import factory
from django.contrib.gis.geos import MultiPolygon, Polygon

from grids.models import Department, DepartmentKind, DepartmentLevel, Level, Region
from grids.services import region_pieces_rebuild

# Downtown Huizhou (惠城区), where factory boxes are laid out west to east, then south to north.
ORIGIN = (114.36, 23.05)
STEP = 0.02
# Box edge per level, in degrees (0.01° is about 1 km here).
BOX_SIZE = {Level.CITY: 0.6, Level.DISTRICT: 0.2, Level.STREET: 0.05, Level.COMMUNITY: 0.01, Level.UNIT: 0.001}


def box(*, lon: float, lat: float, size: float) -> MultiPolygon:
    """A square MultiPolygon (SRID 4326) centred on lon/lat."""
    half = size / 2
    return MultiPolygon(Polygon.from_bbox((lon - half, lat - half, lon + half, lat + half)), srid=4326)


def _geom_for(region, n: int) -> MultiPolygon:
    size = BOX_SIZE[region.level]
    parent = region.parent
    if parent is not None and parent.geom is not None:
        centre = parent.geom.point_on_surface
        inside = box(lon=centre.x, lat=centre.y, size=size).intersection(parent.geom)
        return inside if isinstance(inside, MultiPolygon) else MultiPolygon(inside, srid=4326)
    return box(lon=ORIGIN[0] + (n % 10) * STEP, lat=ORIGIN[1] + (n // 10 % 10) * STEP, size=size)


class RegionFactory(factory.django.DjangoModelFactory):
    """A city-level region of its own; use the level factories below for a region with ancestors."""

    class Meta:
        model = Region
        skip_postgeneration_save = True

    level = Level.CITY
    parent = None
    code = factory.Sequence(lambda n: f"99{n % 100:02d}")
    name = factory.Sequence(lambda n: f"测试市{n}")
    area_class = "1"
    geom = factory.LazyAttributeSequence(lambda o, n: _geom_for(o, n))
    synthetic = False
    geom_source = "factory"

    @factory.post_generation
    def pieces(obj, create, extracted, **kwargs):
        """Pieces too, so region_locate finds the region (pass pieces=False to skip)."""
        if create and obj.geom is not None and extracted is not False:
            region_pieces_rebuild(region_ids=[obj.pk])


class CityFactory(RegionFactory):
    pass


class DistrictFactory(RegionFactory):
    level = Level.DISTRICT
    parent = factory.SubFactory(CityFactory)
    code = factory.LazyAttributeSequence(lambda o, n: f"{o.parent.code}{90 + n % 10:02d}")
    name = factory.Sequence(lambda n: f"测试区{n}")


class StreetFactory(RegionFactory):
    level = Level.STREET
    parent = factory.SubFactory(DistrictFactory)
    code = factory.LazyAttributeSequence(lambda o, n: f"{o.parent.code}{900 + n % 100:03d}")
    name = factory.Sequence(lambda n: f"测试街道{n}")


class CommunityFactory(RegionFactory):
    level = Level.COMMUNITY
    parent = factory.SubFactory(StreetFactory)
    code = factory.LazyAttributeSequence(lambda o, n: f"{o.parent.code}{900 + n % 100:03d}")
    name = factory.Sequence(lambda n: f"测试社区{n}居委会")


class DepartmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Department

    code = factory.Sequence(lambda n: f"test-dept-{n}")
    name = factory.Sequence(lambda n: f"测试管理局{n}")
    level = DepartmentLevel.CITY
    kind = DepartmentKind.GOVERNMENT
    home_region = factory.SubFactory(CityFactory)
    contact_name = factory.Faker("name", locale="zh_CN")
    contact_phone = factory.Sequence(lambda n: f"0752-{2000000 + n}")
    email = factory.LazyAttribute(lambda d: f"{d.code}@cityops.example.gov.cn")
