"""Big-screen benchmark: the figures of /screen/ (every panel, uncached) over a large workload, per scope.

Run it on a database of its own (or the demo's), loaded with `seed_load`:

    createdb -h 127.0.0.1 -U postgres cityops_screen_bench
    psql -h 127.0.0.1 -U postgres -d cityops_screen_bench -c 'CREATE EXTENSION postgis'
    export DATABASE_URL=postgis://postgres@127.0.0.1:5432/cityops_screen_bench
    .venv/bin/python manage.py migrate && DEBUG=1 .venv/bin/python manage.py seed_demo
    DEBUG=1 .venv/bin/python manage.py seed_load --cases 100000
    .venv/bin/python benchmarks/screen_figures.py            # [--users dispatcher,district-dispatcher] [--runs 5]

For each user it times every panel's selector and the whole answer `screen_figures` (what one refresh of the
screen costs when the cache is cold; the cache then shares it for SCREEN_CACHE_SECONDS among every screen of the
scope), and counts its queries. The department ranking is the assessment's live month: its first run computes the
month, later runs read the assessment's own one-minute cache, as the screen does. Medians of --runs.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "huizhou_cityops.settings.local")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from assessment.selectors import screen  # noqa: E402
from cases.models import Case  # noqa: E402

PANELS = {
    "intake": lambda s, now: screen.screen_intake_today(s, now),
    "lights": lambda s, now: screen.screen_open_lights(s, now),
    "trend": lambda s, now: screen.screen_trend(s, now),
    "map counts": lambda s, now: screen.screen_open_by_community(s),
    "overdue": lambda s, now: screen.screen_most_overdue(s, now),
    "ranking": lambda s, now: screen.screen_department_ranking(s, now),
    "ticker": lambda s, now: screen.screen_recent_events(s),
    "whole answer": lambda s, now: screen.screen_figures(s, now),
}


def timed(fn, runs):
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000, max(times) * 1000


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--users", default="dispatcher,district-dispatcher")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    settings.SCREEN_GRID_CACHE_SECONDS = 0  # time the polygons' query, not the cache
    print(f"{Case.objects.count():,} cases, {Case.objects.open().count():,} open")
    for username in args.users.split(","):
        bench(get_user_model().objects.get(username=username), args.runs)


def bench(user, runs):
    scope = screen.screen_scope_for_user(user=user)
    now = timezone.now()
    with CaptureQueriesContext(connection) as captured:
        screen.screen_figures(scope, now)
    print(f"\n{user.username} · {scope.name}: {len(captured)} queries")
    for name, panel in PANELS.items():
        median, worst = timed(lambda panel=panel: panel(scope, now), runs)
        print(f"  {name:13} median {median:8.1f} ms   worst {worst:8.1f} ms")
    median, _worst = timed(lambda: screen.screen_communities_geojson(scope), 1)
    print(f"  {'polygons':13} {median:8.1f} ms (then cached for SCREEN_GRID_CACHE_SECONDS)")


if __name__ == "__main__":
    main()
