"""Writes of the facility inventory that need no catalogue (the import lives in cases.services.facilities)."""

from django.utils import timezone

from grids.selectors import region_locate


def facility_locate(*, facility, now=None) -> None:
    """Set the facility's grid (the deepest region covering its point) and its update time; does not save."""
    region = region_locate(lon=facility.point.x, lat=facility.point.y) if facility.point is not None else None
    facility.region = region
    facility.region_path = region.path if region is not None else ""
    facility.updated_at = now or timezone.now()
