"""Point-lookup benchmark: locate N seeded random points in Huizhou's bounding box, in one process.

Usage: .venv/bin/python benchmarks/locate_points.py [-n 20000] [--seed 2260] [--json]
Needs the demo grid in the configured database (`manage.py seed_demo`); DATABASE_URL picks the database. Runs on
the production settings. Times region_locate (the in-memory index, grids.point_index) and, for the same points,
the PostGIS lookup it replaced (region_locate_in_database), and checks that both give the same answer for every
point. Also prints the index's build time and what it adds to the process's memory.
"""

import argparse
import json
import os
import random
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "huizhou_cityops.settings.production")
os.environ.setdefault("SECRET_KEY", "locate-points-benchmark-secret-key")
os.environ.setdefault("ALLOWED_HOSTS", "127.0.0.1,localhost")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from grids.models import Region  # noqa: E402
from grids.point_index import region_index_build, region_index_current  # noqa: E402
from grids.selectors import region_locate, region_locate_in_database  # noqa: E402

# Huizhou's extent (WGS84); about 40 % of it is land inside the city, the rest sea or neighbouring cities.
HUIZHOU_BBOX = (113.85, 22.55, 115.45, 24.0)
GOAL_PER_SECOND = 10_000
# The PostGIS lookup before the in-memory index (README, demo grid, one process).
BASELINE_PER_SECOND = 4_575


def _rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def _timed(locate, points):
    """(wall seconds, CPU seconds, codes) of locating every point."""
    codes = []
    started, cpu = time.perf_counter(), time.process_time()
    for lon, lat in points:
        region = locate(lon=lon, lat=lat)
        codes.append(region.code if region else None)
    return time.perf_counter() - started, time.process_time() - cpu, codes


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--points", type=int, default=20_000, help="number of lookups (default 20000)")
    parser.add_argument("--seed", type=int, default=2260, help="random seed (default 2260)")
    parser.add_argument("--json", action="store_true", help="print the figures as one JSON object, last line")
    args = parser.parse_args()

    if not Region.objects.filter(level="community", geom__isnull=False).exists():
        print("No community boundaries in this database: run `manage.py seed_demo` first.", file=sys.stderr)
        return 1
    rng = random.Random(args.seed)
    west, south, east, north = HUIZHOU_BBOX
    points = [(rng.uniform(west, east), rng.uniform(south, north)) for _ in range(args.points)]

    # The index's build (its first lookup) with what it allocates and what it adds to the resident set.
    connection.ensure_connection()
    rss_before = _rss_mb()
    started, cpu = time.perf_counter(), time.process_time()
    index = region_index_current()
    build_wall, build_cpu = time.perf_counter() - started, time.process_time() - cpu
    region_locate(lon=points[0][0], lat=points[0][1])
    _timed(region_locate, points[:2000])  # warm-up: GEOS builds each prepared piece's own index on first use
    rss_index = _rss_mb() - rss_before

    with CaptureQueriesContext(connection) as queries:
        wall, cpu, codes = _timed(region_locate, points)
    rate, cpu_rate = args.points / wall, args.points / cpu

    region_locate_in_database(lon=points[0][0], lat=points[0][1])  # connection and prepared statement
    db_wall, db_cpu, db_codes = _timed(region_locate_in_database, points)
    db_rate = args.points / db_wall
    differing = sum(1 for mine, theirs in zip(codes, db_codes, strict=True) if mine != theirs)

    # What the index's Python objects take (a second build, traced; GEOS's own memory is not traced).
    tracemalloc.start()
    again = region_index_build()
    python_mb = tracemalloc.get_traced_memory()[0] / 2**20
    tracemalloc.stop()
    del again

    by_level: dict[str, int] = {}
    levels = {row[1]: row[3] for row in index.regions_of}
    for code in codes:
        level = levels[code] if code else "outside"
        by_level[level] = by_level.get(level, 0) + 1
    load = os.getloadavg()
    print(f"in memory: {args.points} lookups in {wall:.2f} s: {rate:,.0f} lookups/s, one process")
    print(f"  CPU {cpu:.2f} s: {cpu_rate:,.0f} lookups per CPU second")
    print(f"  {len(queries)} queries; index of {len(index.prepared)} pieces in {len(index.starts) - 1} cells")
    print(f"  built in {build_wall:.2f} s (CPU {build_cpu:.2f} s)")
    print(f"  memory: RSS +{rss_index:.1f} MB once built and used (its Python objects {python_mb:.1f} MB)")
    print(f"PostGIS:   {args.points} lookups in {db_wall:.2f} s (CPU {db_cpu:.2f} s): {db_rate:,.0f} lookups/s")
    print(f"  answers differing from PostGIS: {differing} of {args.points}")
    print("  " + ", ".join(f"{level}: {count}" for level, count in sorted(by_level.items())))
    print(f"  load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    if args.json:
        # Met only when every answer equals PostGIS's as well.
        goal = f">= {GOAL_PER_SECOND:,}/s, answers as PostGIS"
        rows = [
            {"what": "point lookups (in memory)", "value": round(rate), "unit": "/s", "goal": goal,
             "met": rate >= GOAL_PER_SECOND and not differing, "baseline": BASELINE_PER_SECOND,
             "queries": len(queries)},
            {"what": "point lookups per CPU second (in memory)", "value": round(cpu_rate), "unit": "/s", "goal": goal,
             "met": cpu_rate >= GOAL_PER_SECOND and not differing, "baseline": None, "queries": len(queries)},
            {"what": "point lookups (PostGIS, same run)", "value": round(db_rate), "unit": "/s", "goal": "reference",
             "met": True, "baseline": BASELINE_PER_SECOND, "queries": args.points},
            {"what": "index build (first lookup)", "value": round(build_wall * 1000), "unit": "ms",
             "goal": "once per process", "met": True, "baseline": None, "queries": 3},
            {"what": "index memory (RSS added)", "value": round(rss_index, 1), "unit": "MB", "goal": "counts in 120 MB",
             "met": True, "baseline": None, "queries": None},
        ]  # fmt: skip
        print(json.dumps({"rows": rows}))
    return 0 if differing == 0 else 2


if __name__ == "__main__":
    sys.exit(main())
