"""Facility inventory benchmark: import N synthetic facilities from CSV, then the nearest-facility lookup p95.

Usage: .venv/bin/python benchmarks/facilities.py [-n|--rows 1000000] [--lookups 2000] [--seed 2260] [--keep]
Needs the demo grid, departments and catalogue in the configured database (`manage.py seed_demo --cases 0`);
DATABASE_URL picks the database. The facilities (codes BENCH-…) are deleted at the end unless --keep.
Goals: ≥ 20,000 rows/s for the import (COPY into staging, one upsert), ≤ 20 ms p95 for the lookup.
"""

import argparse
import csv
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "huizhou_cityops.settings.local")

import django  # noqa: E402

django.setup()

from django.db import connection, reset_queries  # noqa: E402

from cases.services.facilities import component_class_codes, facilities_import  # noqa: E402
from grids.models import Department, Facility, Region  # noqa: E402
from grids.selectors import facility_nearest  # noqa: E402

PREFIX = "BENCH-"


def random_points(count: int, seed: int) -> list[tuple[float, float]]:
    """`count` points inside Huizhou's communities, spread by area (ST_GeneratePoints, seeded)."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            WITH c AS (
                SELECT id, geom, ST_Area(geom) AS area, sum(ST_Area(geom)) OVER () AS total
                FROM grids_region WHERE level = 'community' AND geom IS NOT NULL
            )
            SELECT ST_X(p.geom), ST_Y(p.geom)
            FROM c, LATERAL ST_Dump(ST_GeneratePoints(c.geom, greatest(1, ceil(%s * c.area / c.total))::int, %s)) p
            """,
            [count, seed],
        )
        points = cursor.fetchall()
    random.Random(seed).shuffle(points)
    return points[:count]


def write_csv(path: Path, count: int, seed: int) -> None:
    rng = random.Random(seed)
    classes = component_class_codes()
    owners = list(Department.objects.filter(active=True).values_list("code", flat=True))
    points = random_points(count, seed)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["code", "class_code", "name", "owner", "maintainer", "state", "address", "lon", "lat"])
        for i, (lon, lat) in enumerate(points):
            maintainer = rng.choice(owners) if rng.random() < 0.2 else ""
            state = "in_use" if rng.random() < 0.9 else "damaged"
            row = [f"{PREFIX}{i:07d}", rng.choice(classes), "", rng.choice(owners), maintainer, state, ""]
            writer.writerow([*row, f"{lon:.7f}", f"{lat:.7f}"])


def run_import(args) -> None:
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "facilities.csv"
        started = time.perf_counter()
        write_csv(path, args.rows, args.seed)
        print(f"generated {args.rows:,} rows in {time.perf_counter() - started:.1f} s ({path.stat().st_size >> 20} MB)")
        report = facilities_import(path=path, stdout=sys.stdout, progress_every=250_000, source="benchmark")
    print(
        f"import: {report.read:,} rows in {report.seconds:.1f} s = {report.read / report.seconds:,.0f} rows/s "
        f"({report.created:,} created, {report.updated:,} updated, {report.bad:,} bad)"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--rows", type=int, default=1_000_000, help="facilities to import (default 1000000)")
    parser.add_argument("--lookups", type=int, default=2000, help="nearest-facility lookups (default 2000)")
    parser.add_argument("--seed", type=int, default=2260)
    parser.add_argument("--keep", action="store_true", help="keep the imported facilities")
    parser.add_argument("--lookups-only", action="store_true", help="no import: look up among the kept facilities")
    args = parser.parse_args()
    if not Region.objects.filter(level="community", geom__isnull=False).exists():
        print("No community boundaries in this database: run `manage.py seed_demo --cases 0` first.", file=sys.stderr)
        return 1

    if not args.lookups_only:
        run_import(args)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE grids_facility")

    rng = random.Random(args.seed + 1)
    classes = component_class_codes()
    probes = random_points(args.lookups, args.seed + 1)
    facility_nearest(lon=probes[0][0], lat=probes[0][1], class_code=classes[0])  # warm-up
    timings, found = [], 0
    for lon, lat in probes:
        class_code = rng.choice(classes)
        started = time.perf_counter()
        # A wide radius, so each lookup really walks the index to the nearest facility of its class.
        rows = facility_nearest(lon=lon, lat=lat, class_code=class_code, radius_m=5000, limit=5)
        timings.append((time.perf_counter() - started) * 1000)
        found += bool(rows)
        reset_queries()
    timings.sort()
    p95 = timings[int(len(timings) * 0.95) - 1]
    print(
        f"nearest facility of a class: {len(timings)} lookups, median {statistics.median(timings):.2f} ms, "
        f"p95 {p95:.2f} ms, max {timings[-1]:.2f} ms ({found} found one within 5 km)"
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "EXPLAIN SELECT id FROM grids_facility WHERE class_code = %s "
            "ORDER BY point <-> ST_SetSRID(ST_MakePoint(%s, %s), 4326) LIMIT 20",
            [classes[0], probes[0][0], probes[0][1]],
        )
        print("plan: " + " / ".join(line.strip() for (line,) in cursor.fetchall()[:3]))
    print(f"{Facility.objects.filter(code__startswith=PREFIX).count():,} benchmark facilities in the table")
    if not args.keep:
        # One DELETE (no cases name them): the ORM's delete would first read every row into Python.
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM grids_facility WHERE code LIKE %s", [PREFIX + "%"])
            print(f"deleted {cursor.rowcount:,} benchmark facilities")
            # The dead rows out of the table and its indexes: the next run's codes would otherwise meet a million
            # dead index entries of the same codes, each checked against the table.
            cursor.execute("VACUUM grids_facility")
    return 0


if __name__ == "__main__":
    sys.exit(main())
