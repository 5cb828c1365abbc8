"""Command-centre counts benchmark: /command/ and /command/counts/ for a city-wide user at the database's size.

    export DATABASE_URL=postgis://postgres@127.0.0.1:5432/cityops      # any database after seed_demo (+ seed_load)
    .venv/bin/python benchmarks/command_counts.py      # [--user dispatcher] [--runs 30] [--baseline-runs 5] [--json]

Both URLs are requested in this process through Django's test client (the whole view: middleware, selectors,
template), signed in as `--user`, one warm-up request first. For each it prints p50/p95 of the wall time, the
median CPU time of this process (Python's share; the database's is in the wall time) and the number of queries.

The baseline is the same request with the tab counts read the way they were before the counters, one aggregate
over the user's open cases (`queue_q` per tab), patched in for `--baseline-runs` requests.

With --json the last line of stdout is {"rows": [{"what", "value", "unit", "goal", "met", "baseline", "queries"}]}.
"""

import argparse
import json
import os
import statistics
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from unittest import mock

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "huizhou_cityops.settings.local")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.core.signals import request_started  # noqa: E402
from django.db import connection, reset_queries  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.test import Client  # noqa: E402

from cases.models import Case  # noqa: E402
from dispatch.queues import QUEUES, queue_q  # noqa: E402

GOALS = {"/command/": 100.0, "/command/counts/": 20.0}


def aggregate_counts(*, user, now):
    """The tab counts as one aggregate over the user's open cases: how they were read before the counters."""
    return (
        Case.objects.visible_to(user)
        .open()
        .aggregate(**{q.key: Count("pk", filter=queue_q(q.key, now)) for q in QUEUES})
    )


@contextmanager
def counts_by_aggregate():
    with mock.patch("dispatch.pages.command.command_queue_counts", aggregate_counts):
        yield


def measure(client, url, runs):
    """(p50 ms, p95 ms, median CPU ms, queries) of `runs` GETs after one warm-up."""
    response = client.get(url)
    if response.status_code != 200:
        raise SystemExit(f"{url} answered {response.status_code}")
    # Counted by hand: the test client's request_started would reset the connection's query log.
    request_started.disconnect(reset_queries)
    connection.force_debug_cursor = True
    try:
        before = len(connection.queries_log)
        client.get(url)
        queries = len(connection.queries_log) - before
    finally:
        connection.force_debug_cursor = False
        request_started.connect(reset_queries)
    walls, cpus = [], []
    for _ in range(runs):
        wall, cpu = time.perf_counter(), time.process_time()
        client.get(url)
        cpus.append((time.process_time() - cpu) * 1000)
        walls.append((time.perf_counter() - wall) * 1000)
    walls.sort()
    p95 = walls[min(len(walls) - 1, round(0.95 * (len(walls) - 1)))]
    return statistics.median(walls), p95, statistics.median(cpus), queries


def line(p50, p95, cpu, queries):
    return f"p50 {p50:7.1f} ms  p95 {p95:7.1f} ms  CPU {cpu:6.1f} ms  {queries} queries"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--user", default="dispatcher")
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--baseline-runs", type=int, default=5, help="0: no baseline")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    client = Client()
    client.force_login(get_user_model().objects.get(username=args.user))
    cases, open_cases = Case.objects.count(), Case.objects.open().count()
    load = os.getloadavg()[0]
    print(f"{cases:,} cases, {open_cases:,} open; user {args.user}; load average {load:.2f}")
    rows = []
    for url, goal in GOALS.items():
        p50, p95, cpu, queries = measure(client, url, args.runs)
        base = None
        if args.baseline_runs:
            with counts_by_aggregate():
                base = measure(client, url, args.baseline_runs)
            print(f"{url:18} baseline (one aggregate): {line(*base)}")
        print(f"{url:18} counters:                 {line(p50, p95, cpu, queries)}")
        for what, value, baseline in (("p50", p50, base and base[0]), ("p95", p95, base and base[1])):
            rows.append(
                {
                    "what": f"{url} {what} ({cases:,} cases, {args.user})",
                    "value": round(value, 1),
                    "unit": "ms",
                    "goal": f"<= {goal:g} ms",
                    "met": value <= goal,
                    "baseline": round(baseline, 1) if baseline is not None else None,
                    "queries": queries,
                }
            )
        rows.append(
            {
                "what": f"{url} CPU of the web process ({cases:,} cases)",
                "value": round(cpu, 1),
                "unit": "ms",
                "goal": "less than the baseline",
                "met": base is None or cpu <= base[2],
                "baseline": round(base[2], 1) if base else None,
                "queries": queries,
            }
        )
    if args.json:
        print(json.dumps({"rows": rows}, ensure_ascii=False))


if __name__ == "__main__":
    main()
