"""Assessment dashboard benchmark: the live month's first and cached request, as the demo auditor and leader.

Usage: .venv/bin/python benchmarks/assessment_dashboard.py [--users auditor,leader] [--runs 3] [--period KEY] [--json]
Needs cases in the configured database (DATABASE_URL), the demo users and the daily roll-ups written
(`manage.py assessment_rollups`; the beat task keeps them). Each run empties the cache (the live figures, today's
roll-up rows, frozen runs' rows), requests /assessment/ (the first request of the live month: roll-ups + today),
then requests it again (cached). Wall-clock and this process's CPU time (the database's CPU is not in it), and the
number of queries of each request. With --json the last line is {"rows": [...]} for the city-scale orchestrator.
"""

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "huizhou_cityops.settings.local")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.core.cache import cache  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from assessment.models import RollupDay  # noqa: E402
from cases.models import Case  # noqa: E402

FIRST_GOAL_MS, CACHED_GOAL_MS = 2000, 300


def request(client, url):
    with CaptureQueriesContext(connection) as queries:
        wall, cpu = time.perf_counter(), time.process_time()
        response = client.get(url)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    if response.status_code != 200:
        raise SystemExit(f"{url}: HTTP {response.status_code}")
    return wall * 1000, cpu * 1000, len(queries)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", default="auditor,leader")
    parser.add_argument("--runs", type=int, default=3, help="first+cached pairs per user (medians are printed)")
    parser.add_argument(
        "--period",
        default="",
        help="a period key (default: the live month), e.g. custom:<31 days ago>:<today>",
    )
    parser.add_argument("--json", action="store_true", help="print the JSON rows as the last line")
    args = parser.parse_args()

    load = os.getloadavg()[0]
    cases = Case.objects.count()
    days = RollupDay.objects.count()
    url = "/assessment/" + (f"?period={args.period}" if args.period else "")
    print(f"{cases:,} cases, {days} days rolled up, load average {load:.1f}; GET {url}")
    rows = []
    for username in args.users.split(","):
        user = get_user_model().objects.get(username=username)
        client = Client(HTTP_HOST="localhost")
        client.force_login(user)
        firsts, cached = [], []
        for _ in range(args.runs):
            cache.clear()
            firsts.append(request(client, url))
            cached.append(request(client, url))
        for label, runs, goal in (("first", firsts, FIRST_GOAL_MS), ("cached", cached, CACHED_GOAL_MS)):
            wall = statistics.median(r[0] for r in runs)
            cpu = statistics.median(r[1] for r in runs)
            queries = max(r[2] for r in runs)
            print(
                f"{username:8} {label:6} median {wall:8.0f} ms (CPU {cpu:.0f} ms; runs "
                f"{', '.join(f'{r[0]:.0f}' for r in runs)}), {queries} queries; goal <= {goal} ms"
            )
            rows.append(
                {
                    "what": f"assessment dashboard, {args.period or 'live month'}, {label} request ({username})",
                    "value": round(wall, 1),
                    "unit": "ms",
                    "goal": f"<= {goal} ms",
                    "met": wall <= goal,
                    "baseline": None,
                    "queries": queries,
                }
            )
    if args.json:
        print(json.dumps({"rows": rows}, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
