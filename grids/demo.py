"""The grid part of `seed_demo`: Huizhou's divisions and boundaries, then its departments."""

from django.db.models import Count

from grids.models import Level, Region


def seed(*, stdout=None) -> str:
    """Load (or refresh) the Huizhou grid and departments; returns a one-line summary. Idempotent."""
    from grids.services import grid_load_huizhou
    from grids.services.departments import departments_seed_huizhou

    grid_load_huizhou(stdout=stdout)
    departments = departments_seed_huizhou()
    counts = dict(Region.objects.values_list("level").annotate(n=Count("pk")).order_by())
    return (
        f"{counts.get(Level.CITY, 0)} city, {counts.get(Level.DISTRICT, 0)} districts, "
        f"{counts.get(Level.STREET, 0)} streets, {counts.get(Level.COMMUNITY, 0)} communities; "
        f"{departments} departments"
    )
