"""Case map benchmark: the command map's case layer (/command/map/cases/) at every zoom the map offers.

    export DATABASE_URL=postgis://postgres@127.0.0.1:5432/cityops_cityscale_1m
    .venv/bin/python benchmarks/case_map.py            # [--user dispatcher] [--runs 20] [--json]

As the city dispatcher (every open case of the city in scope), for each zoom of the map (city 9, district 11,
street 13, community 15, street level 17) on a 1600 × 900 px screen, it asks the case layer of the default tab (all
open cases) for `--runs` boxes: at city zoom the box around every open case, at the other zooms boxes centred on
open cases drawn at random (where the work is). Requests go through the whole Django stack in this process (the
test client, gzip included, as the browser asks). Per zoom it prints the answer's time p50/p95 and CPU, its
gzipped size, its queries, and checks the answer shows every open case in view: the cells' counts plus the
markers equal a plain count of the open cases covered by the box. The baseline is that plain count's time.

Goal: p95 ≤ 150 ms and ≤ 100 KB on the wire at every zoom, all open cases shown (aggregated server-side).
With --json the last line is {"rows": [{"what", "value", "unit", "goal", "met", "baseline", "queries"}]}.
"""

import argparse
import gzip
import json
import math
import os
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "huizhou_cityops.settings.local")
os.environ.setdefault("DEBUG", "false")  # no query log, no debug pages: what a deployment runs

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.contrib.gis.geos import Polygon  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from cases.models import Case  # noqa: E402

ZOOMS = {"city": 9, "district": 11, "street": 13, "community": 15, "street level": 17}
SCREEN = (1600, 900)
GOAL_MS, GOAL_KB = 150, 100


def box_at(lon, lat, zoom):
    """The box a SCREEN-sized Leaflet map shows at `zoom` centred on (lon, lat) (Web Mercator, 256 px tiles)."""
    width = SCREEN[0] * 360 / (256 * 2**zoom)
    height = SCREEN[1] * 360 / (256 * 2**zoom) * math.cos(math.radians(lat))
    return (lon - width / 2, lat - height / 2, lon + width / 2, lat + height / 2)


def boxes(zoom, runs, rng, open_points):
    """`runs` boxes at `zoom`: around the city's open cases at city zoom (panned a little each time), else centred
    on open cases drawn at random."""
    if zoom != ZOOMS["city"]:
        return [box_at(*rng.choice(open_points), zoom) for _ in range(runs)]
    lons = [p[0] for p in open_points]
    lats = [p[1] for p in open_points]
    lon, lat = (min(lons) + max(lons)) / 2, (min(lats) + max(lats)) / 2
    return [box_at(lon + rng.uniform(-0.05, 0.05), lat + rng.uniform(-0.05, 0.05), zoom) for _ in range(runs)]


def open_in(bbox):
    """The plain count the answer must add up to, and its time (the baseline)."""
    started = time.perf_counter()
    count = Case.objects.open().filter(point__coveredby=Polygon.from_bbox(bbox)).count()
    return count, time.perf_counter() - started


def measure(client, zoom_name, zoom, bboxes):
    times, cpu, sizes, queries, baselines, missing = [], [], [], [], [], 0
    shapes = []
    for bbox in bboxes:
        bbox = tuple(round(v, 5) for v in bbox)  # as the page sends it (command.js bboxParam)
        url = "/command/map/cases/?bbox=" + ",".join(f"{v:.5f}" for v in bbox)
        with CaptureQueriesContext(connection) as captured:
            started, started_cpu = time.perf_counter(), time.process_time()
            response = client.get(url, HTTP_ACCEPT_ENCODING="gzip, deflate")
            times.append(time.perf_counter() - started)
            cpu.append(time.process_time() - started_cpu)
        queries.append(len(captured))
        if response.status_code != 200:
            raise SystemExit(f"{url} answered {response.status_code}")
        body = response.content
        sizes.append(len(body))
        if response.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        else:
            sizes[-1] = len(gzip.compress(body))
        data = json.loads(body)
        shown = sum(c["count"] for c in data["cells"]) + len(data["cases"])
        expected, baseline = open_in(bbox)
        baselines.append(baseline)
        missing += shown != expected
        shapes.append((len(data["cells"]), len(data["cases"]), expected))
    ordered = sorted(times)
    return {
        "zoom": zoom_name,
        "level": zoom,
        "p50_ms": statistics.median(times) * 1000,
        "p95_ms": ordered[min(len(ordered) - 1, math.ceil(0.95 * len(ordered)) - 1)] * 1000,
        "cpu_ms": statistics.median(cpu) * 1000,
        "max_kb": max(sizes) / 1024,
        "queries": max(queries),
        "baseline_ms": statistics.median(baselines) * 1000,
        "wrong": missing,
        "cells": max(s[0] for s in shapes),
        "markers": max(s[1] for s in shapes),
        "open_in_view": (min(s[2] for s in shapes), max(s[2] for s in shapes)),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--user", default="dispatcher", help="A city-wide command user (default: the demo's).")
    parser.add_argument("--runs", type=int, default=20, help="Boxes per zoom (default 20).")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", action="store_true", help="End with the rows as one JSON line.")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(get_user_model().objects.get(username=args.user))
    points = [(p.x, p.y) for p in Case.objects.open().values_list("point", flat=True).order_by("id")[:200_000]]
    if not points:
        raise SystemExit("no open case: load some with `DEBUG=1 manage.py seed_load --cases N`")
    print(f"{Case.objects.count():,} cases, {Case.objects.open().count():,} open; load average {os.getloadavg()}")
    client.get("/command/map/cases/?bbox=" + ",".join(f"{v:.5f}" for v in box_at(*points[0], 13)))  # warm up
    rows = []
    for name, zoom in ZOOMS.items():
        result = measure(client, name, zoom, boxes(zoom, args.runs, rng, points))
        met = result["p95_ms"] <= GOAL_MS and result["max_kb"] <= GOAL_KB and not result["wrong"]
        print(
            f"{name:12} z{zoom:<2} p50 {result['p50_ms']:7.1f} ms  p95 {result['p95_ms']:7.1f} ms  "
            f"CPU {result['cpu_ms']:6.1f} ms  ≤ {result['max_kb']:6.1f} KB gzip  {result['queries']} queries  "
            f"cells ≤ {result['cells']}, markers ≤ {result['markers']}, open in view "
            f"{result['open_in_view'][0]:,}–{result['open_in_view'][1]:,}  "
            f"{'all shown' if not result['wrong'] else str(result['wrong']) + ' boxes NOT all shown'}  "
            f"(plain count {result['baseline_ms']:.1f} ms)  {'met' if met else 'NOT met'}"
        )
        rows.append(
            {
                "what": f"case map, {name} zoom (p95; ≤ {result['max_kb']:.0f} KB gzip, "
                f"{'all open cases shown' if not result['wrong'] else 'NOT all shown'})",
                "value": round(result["p95_ms"], 1),
                "unit": "ms",
                "goal": f"≤ {GOAL_MS} ms, ≤ {GOAL_KB} KB, all open cases",
                "met": met,
                "baseline": f"plain count {result['baseline_ms']:.1f} ms",
                "queries": result["queries"],
            }
        )
    met = sum(r["met"] for r in rows)
    print(f"{met} of {len(rows)} zooms meet the goal")
    if args.json:
        print(json.dumps({"rows": rows}, ensure_ascii=False))


if __name__ == "__main__":
    main()
