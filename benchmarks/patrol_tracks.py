"""Patrol benchmark: track uploads as phones send them, and the command centre's reads of who is on patrol.

Usage: .venv/bin/python benchmarks/patrol_tracks.py [--workers 200] [--hours 8] [--batch 20]
Needs the grid in the configured database (DATABASE_URL); loads Huizhou's grid when it is empty. Everything it
writes is rolled back.

It puts `--workers` grid workers on patrol in 东湖社区's street, uploads for one of them a whole shift of fixes
(`--hours` at one every 30 s) in batches of `--batch` (what a phone sends after ten minutes without a connection),
then the same batches again (idempotent repeats) and a late batch of older points; and times the on-duty layer for
a city dispatcher and the nearest-on-patrol lookup over every worker. Prints medians and p95s.
"""

import argparse
import os
import statistics
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "huizhou_cityops.settings.local")

import django  # noqa: E402

django.setup()

from django.contrib.gis.geos import Point  # noqa: E402
from django.db import transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts.models import Posting, Role, User  # noqa: E402
from grids.duty_selectors import patrol_list_on_duty_for_user, patrol_nearest_on_duty  # noqa: E402
from grids.models import Level, Region  # noqa: E402
from grids.services.patrols import patrol_start, patrol_track_add  # noqa: E402

COMMUNITY = "441302001001"


def p95(values):
    return sorted(values)[max(0, int(len(values) * 0.95) - 1)]


def ms(seconds):
    return f"{seconds * 1000:.1f} ms"


def _worker(name, region):
    user = User.objects.create(username=name)
    Posting.objects.create(user=user, role=Role.GRID_WORKER, region=region)
    return user


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--workers", type=int, default=200)
    parser.add_argument("--hours", type=float, default=8)
    parser.add_argument("--batch", type=int, default=20)
    args = parser.parse_args()
    if not Region.objects.filter(level=Level.COMMUNITY, geom__isnull=False).exists():
        from grids.services import grid_load_huizhou

        print("loading the Huizhou grid …")
        grid_load_huizhou()
    community = Region.objects.get(code=COMMUNITY)
    origin = community.geom.point_on_surface
    now = timezone.now()
    start = now - timedelta(hours=args.hours, minutes=5)
    with transaction.atomic():
        workers = [_worker(f"bench-patrol-{i}", community) for i in range(args.workers)]
        dispatcher = User.objects.create(username="bench-dispatcher")
        Posting.objects.create(user=dispatcher, role=Role.DISPATCHER, region=Region.objects.get(code="4413"))
        for i, worker in enumerate(workers):
            session, _ = patrol_start(user=worker, client_id=uuid.uuid4(), started_at=start, now=now)
            here = Point(origin.x + 0.0004 * (i % 20), origin.y + 0.0004 * (i // 20), srid=4326)
            patrol_track_add(user=worker, client_id=session.client_id, points=[{"recorded_at": start, "point": here}])
        walker = workers[0]
        client_id = walker.patrol_sessions.get().client_id
        fixes = int(args.hours * 3600 / 30)
        points = [
            {
                "recorded_at": start + timedelta(seconds=30 * (i + 1)),
                "point": Point(origin.x + 0.00001 * (i % 300), origin.y + 0.00001 * (i // 300), srid=4326),
                "accuracy_m": 8.0,
                "battery": 0.9,
            }
            for i in range(fixes)
        ]
        late, points = points[:100], points[100:]
        batches = [points[i : i + args.batch] for i in range(0, len(points), args.batch)]
        timings = []
        for batch in batches:
            t0 = time.perf_counter()
            patrol_track_add(user=walker, client_id=client_id, points=batch, now=now)
            timings.append(time.perf_counter() - t0)
        repeats = []
        for batch in batches[-20:]:
            t0 = time.perf_counter()
            patrol_track_add(user=walker, client_id=client_id, points=batch, now=now)
            repeats.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        session, stored = patrol_track_add(user=walker, client_id=client_id, points=late, now=now)
        late_s = time.perf_counter() - t0
        layer, nearest = [], []
        ids = [w.pk for w in workers]
        for _ in range(20):
            dispatcher = User.objects.get(pk=dispatcher.pk)  # a fresh request's user (no cached scope)
            t0 = time.perf_counter()
            rows = list(patrol_list_on_duty_for_user(user=dispatcher))
            layer.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            ranked = patrol_nearest_on_duty(point=origin, user_ids=ids)
            nearest.append(time.perf_counter() - t0)
        transaction.set_rollback(True)
    total = sum(timings)
    print(
        f"track upload: {len(batches)} batches of {args.batch} ({fixes - 100} fixes, one shift): "
        f"median {ms(statistics.median(timings))}, p95 {ms(p95(timings))}, {(fixes - 100) / total:,.0f} points/s"
    )
    print(f"repeated batch (stores nothing): median {ms(statistics.median(repeats))}")
    print(
        f"late batch of 100 older fixes: {ms(late_s)}, stored {stored}, "
        f"patrol now {session.points} points, {session.distance_m / 1000:.1f} km"
    )
    print(f"on-patrol layer ({len(rows)} workers): median {ms(statistics.median(layer))}, p95 {ms(p95(layer))}")
    print(f"nearest on patrol among {len(ranked)}: median {ms(statistics.median(nearest))}, p95 {ms(p95(nearest))}")


if __name__ == "__main__":
    main()
