"""Facilities of the inventory for tests: placed at a point, located in the grid like an import would."""

import itertools

from django.contrib.gis.geos import Point

from grids.models import Department, Facility
from grids.services.facilities import facility_locate

_numbers = itertools.count(1)


def facility_at(*, lon, lat, class_code="0101", owner=None, maintainer=None, code=None, state="in_use", **fields):
    """A saved facility at lon/lat; `owner` and `maintainer` may be Department objects or codes."""
    if isinstance(owner, str):
        owner = Department.objects.get(code=owner)
    if isinstance(maintainer, str):
        maintainer = Department.objects.get(code=maintainer)
    facility = Facility(
        code=code or f"T-{class_code}-{next(_numbers):05d}",
        class_code=class_code,
        name=fields.pop("name", "测试部件"),
        point=Point(lon, lat, srid=4326),
        owner=owner,
        maintainer=maintainer,
        state=state,
        **fields,
    )
    facility_locate(facility=facility)
    facility.save()
    return facility


def offset(lon, lat, *, east_m=0.0, north_m=0.0):
    """lon/lat moved by metres (near Huizhou: 1° latitude ≈ 110.8 km, 1° longitude ≈ 102.3 km)."""
    return lon + east_m / 102_300, lat + north_m / 110_800
