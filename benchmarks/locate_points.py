"""Point-lookup benchmark: locate N seeded random points in Huizhou's bounding box, in one process.

Usage: .venv/bin/python benchmarks/locate_points.py [-n 20000] [--seed 2260]
Needs the demo grid in the configured database (`manage.py seed_demo`); DATABASE_URL picks the database.
"""

import argparse
import os
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "huizhou_cityops.settings.local")

import django  # noqa: E402

django.setup()

from django.db import reset_queries  # noqa: E402

from grids.models import Region  # noqa: E402
from grids.selectors import region_locate  # noqa: E402

# Huizhou's extent (WGS84); about 40 % of it is land inside the city, the rest sea or neighbouring cities.
HUIZHOU_BBOX = (113.85, 22.55, 115.45, 24.0)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--points", type=int, default=20_000, help="number of lookups (default 20000)")
    parser.add_argument("--seed", type=int, default=2260, help="random seed (default 2260)")
    args = parser.parse_args()

    if not Region.objects.filter(level="community", geom__isnull=False).exists():
        print("No community boundaries in this database: run `manage.py seed_demo` first.", file=sys.stderr)
        return 1
    rng = random.Random(args.seed)
    west, south, east, north = HUIZHOU_BBOX
    points = [(rng.uniform(west, east), rng.uniform(south, north)) for _ in range(args.points)]

    region_locate(lon=points[0][0], lat=points[0][1])  # warm-up: connection and prepared statement
    by_level: dict[str, int] = {}
    started = time.perf_counter()
    for lon, lat in points:
        region = region_locate(lon=lon, lat=lat)
        level = region.level if region else "outside"
        by_level[level] = by_level.get(level, 0) + 1
        reset_queries()  # DEBUG keeps every query otherwise; this measures lookups, not the debug log
    elapsed = time.perf_counter() - started

    print(f"{args.points} lookups in {elapsed:.2f} s: {args.points / elapsed:,.0f} lookups/s (one process)")
    print("  " + ", ".join(f"{level}: {count}" for level, count in sorted(by_level.items())))
    return 0


if __name__ == "__main__":
    sys.exit(main())
