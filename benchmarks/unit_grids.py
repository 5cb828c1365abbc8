"""Unit-grid benchmark: cut a street's communities into square unit grids, check and import the same cells from a
GeoJSON file, and locate points in them — inside a transaction that is rolled back, so the database is unchanged.

Usage: .venv/bin/python benchmarks/unit_grids.py [--street 441302001] [--size 100] [-n 5000]
Needs the demo grid in the configured database (`manage.py seed_demo`); DATABASE_URL picks the database.
"""

import argparse
import json
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

from django.db import connection, reset_queries, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from grids.models import Level, Region  # noqa: E402
from grids.selectors import region_locate  # noqa: E402
from grids.services.unit_grid_import import unit_grids_import  # noqa: E402
from grids.services.unit_grids import unit_grids_generate  # noqa: E402


def _export(street: Region, path: Path) -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT code, ST_AsGeoJSON(geom, 15) FROM grids_region WHERE level = 'unit' AND path LIKE %s "
            "AND (valid_to IS NULL OR valid_to >= %s)",
            [street.path + "%", timezone.localdate()],
        )
        features = [
            {"type": "Feature", "properties": {"code": code}, "geometry": json.loads(shape)}
            for code, shape in cursor.fetchall()
        ]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}), encoding="utf-8")
    return len(features)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--street", default="441302001", help="street code (default 441302001, 桥东街道)")
    parser.add_argument("--size", type=int, default=100, help="cell edge in metres (default 100)")
    parser.add_argument("-n", "--points", type=int, default=5000, help="lookups in the street (default 5000)")
    args = parser.parse_args()
    street = Region.objects.filter(code=args.street, level=Level.STREET, geom__isnull=False).first()
    if street is None:
        print(f"No street {args.street} with a boundary: run `manage.py seed_demo` first.", file=sys.stderr)
        return 1
    with transaction.atomic():
        started = time.perf_counter()
        results = unit_grids_generate(street_code=args.street, size_m=args.size)
        generated = time.perf_counter() - started
        cells = sum(r.layer.cells for r in results)
        print(f"generate: {len(results)} communities, {cells:,} cells of {args.size} m in {generated:.2f} s "
              f"({cells / generated:,.0f} cells/s)")  # fmt: skip

        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "cells.geojson"
            exported = _export(street, path)
            started = time.perf_counter()
            unit_grids_import(path=path)
            imported = time.perf_counter() - started
        print(f"import (checked: codes, validity, outside, overlaps, gaps): {exported:,} cells in {imported:.2f} s "
              f"({exported / imported:,.0f} cells/s)")  # fmt: skip

        rng = random.Random(2260)
        west, south, east, north = street.geom.extent
        points = [(rng.uniform(west, east), rng.uniform(south, north)) for _ in range(args.points)]
        region_locate(lon=points[0][0], lat=points[0][1])
        timings, in_units = [], 0
        for lon, lat in points:
            began = time.perf_counter()
            region = region_locate(lon=lon, lat=lat)
            timings.append((time.perf_counter() - began) * 1000)
            in_units += bool(region and region.level == Level.UNIT)
            reset_queries()
        timings.sort()
        p95 = timings[int(len(timings) * 0.95) - 1]
        print(f"locate: {len(points):,} points in the street's box, {in_units:,} in unit grids; "
              f"median {statistics.median(timings):.2f} ms, p95 {p95:.2f} ms")  # fmt: skip
        transaction.set_rollback(True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
