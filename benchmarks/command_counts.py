"""Command-centre counts benchmark: /command/ and /command/counts/ for a city-wide user at the database's size.

    export DATABASE_URL=postgis://postgres@127.0.0.1:5432/cityops      # any database after seed_demo (+ seed_load)
    .venv/bin/python benchmarks/command_counts.py      # [--user dispatcher] [--runs 30] [--baseline-runs 15] [--json]

Both URLs are requested in this process through Django's test client (the whole view: middleware, selectors,
template), signed in as `--user`, one warm-up request first. For each it prints p50/p95 of the wall time, the
median CPU time of this process (Python's share; the database's is in the wall time) and the number of queries.

The baseline is the same request with the tab counts read the way they were before the counters, one aggregate
over the user's open cases (`queue_q` per tab), patched in for `--baseline-runs` requests, each right beside one of
the counters' (the order swapped every turn); the web process's CPU is compared over those paired turns.

Then (unless --screens 0) benchmarks/command_counts_live.py, in a process of its own: --screens command-centre
streams carrying their counts on the production server while the feed runs at --rate events a second, with the
counts endpoint and the page requested meanwhile.

With --json the last line of stdout is {"rows": [{"what", "value", "unit", "goal", "met", "baseline", "queries"}]}.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from contextlib import contextmanager, nullcontext
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
LIVE_GOAL = 200.0


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


def _queries(client, url):
    """The queries of one GET of `url` (after a warm-up GET that must answer 200)."""
    response = client.get(url)
    if response.status_code != 200:
        raise SystemExit(f"{url} answered {response.status_code}")
    # Counted by hand: the test client's request_started would reset the connection's query log.
    request_started.disconnect(reset_queries)
    connection.force_debug_cursor = True
    try:
        before = len(connection.queries_log)
        client.get(url)
        return len(connection.queries_log) - before
    finally:
        connection.force_debug_cursor = False
        request_started.connect(reset_queries)


def _timed(client, url):
    """(wall ms, CPU ms of this process) of one GET."""
    wall, cpu = time.perf_counter(), time.process_time()
    client.get(url)
    return (time.perf_counter() - wall) * 1000, (time.process_time() - cpu) * 1000


def measure(client, url, runs, baseline_runs):
    """(counters, baseline): each (walls, CPUs, queries), the baseline None without `baseline_runs`.

    The first `baseline_runs` turns request the URL both ways, one right after the other, the order swapped every
    turn: the machine's speed drifts by more than the counts' share of the page, and two requests a few
    milliseconds apart see the same machine. The counters' remaining turns follow."""
    ours = ([], [], _queries(client, url))
    base = None
    if baseline_runs:
        with counts_by_aggregate():
            base = ([], [], _queries(client, url))
    for turn in range(max(runs, baseline_runs)):
        ways = [(ours, nullcontext)] if turn < runs else []
        if base is not None and turn < baseline_runs:
            ways.append((base, counts_by_aggregate))
        for (walls, cpus, _queries_count), way in ways[:: -1 if turn % 2 else 1]:
            with way():
                wall, cpu = _timed(client, url)
            walls.append(wall)
            cpus.append(cpu)
    return ours, base


def summary(walls, cpus):
    """(p50 ms, p95 ms, median CPU ms)."""
    return statistics.median(walls), percentile(walls, 0.95), statistics.median(cpus)


def line(p50, p95, cpu, queries):
    return f"p50 {p50:7.1f} ms  p95 {p95:7.1f} ms  CPU {cpu:6.1f} ms  {queries} queries"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--user", default="dispatcher")
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--baseline-runs", type=int, default=15, help="turns paired with the baseline; 0: no baseline")
    parser.add_argument("--screens", type=int, default=50, help="0: no live run")
    parser.add_argument("--rate", type=float, default=10, help="feed events a second in the live run")
    parser.add_argument("--seconds", type=float, default=20, help="length of the live run")
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
        (walls, cpus, queries), base = measure(client, url, args.runs, min(args.baseline_runs, args.runs))
        p50, p95, cpu = summary(walls, cpus)
        if base is not None:
            base_walls, base_cpus, base_queries = base
            print(f"{url:18} baseline (one aggregate): {line(*summary(base_walls, base_cpus), base_queries)}")
            # The CPU compared turn by turn: the counters' requests of the paired turns against the baseline's.
            paired_cpu, base_cpu = statistics.median(cpus[: len(base_cpus)]), statistics.median(base_cpus)
            print(f"{url:18} CPU in the {len(base_cpus)} paired turns: {paired_cpu:.1f} ms against {base_cpu:.1f} ms")
        print(f"{url:18} counters:                 {line(p50, p95, cpu, queries)}")
        base_p = summary(base[0], base[1]) if base is not None else None
        for what, value, baseline in (("p50", p50, base_p and base_p[0]), ("p95", p95, base_p and base_p[1])):
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
                "what": f"{url} CPU of the web process{', paired with the baseline' if base else ''} ({cases:,} cases)",
                "value": round(paired_cpu if base is not None else cpu, 1),
                "unit": "ms",
                "goal": "less than the baseline",
                "met": base is None or paired_cpu <= base_cpu,
                "baseline": round(base_cpu, 1) if base is not None else None,
                "queries": queries,
            }
        )
    if args.screens:
        rows += live_rows(args)
    if args.json:
        print(json.dumps({"rows": rows}, ensure_ascii=False))


def live_rows(args):
    """The live run's figures as rows (none, with a word on stderr, when it could not run)."""
    command = [sys.executable, str(Path(__file__).with_name("command_counts_live.py")), "--json"]
    command += ["--screens", str(args.screens), "--rate", str(args.rate), "--seconds", str(args.seconds)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603 - our own script
    if done.returncode != 0:
        print(f"the live run failed:\n{done.stderr[-2000:]}", file=sys.stderr)
        return []
    result = json.loads(done.stdout.strip().splitlines()[-1])
    setting = f"{result['screens']} screens, feed {result['rate']:g} events/s"
    print(f"\nlive: {setting}")
    rows = []
    for path, values in result["latencies"].items():
        if not values:
            continue
        for what, share in (("p50", 0.5), ("p95", 0.95)):
            value = percentile(values, share)
            print(f"  {path:18} {what} {value:7.1f} ms (n={len(values)})")
            # Responsive while the feed runs: the live screens' goal (benchmarks/live_screens.py), p95 <= 200 ms.
            rows.append(_row(f"{path} {what} with {setting}", value, "ms", "<= 200 ms", value <= LIVE_GOAL))
    delays = result["delays"]
    if delays:
        p95 = percentile(delays, 0.95)
        print(f"  commit -> counts on every screen: p95 {p95:.0f} ms, missing {result['missing']}")
        rows.append(
            _row(f"commit -> tab counts on every screen, p95 ({setting})", p95, "ms", "<= 2000 ms, none missing",
                 p95 <= 2000 and result["missing"] == 0)
        )  # fmt: skip
    # No index scan of the counters counted (an empty counters table, read without its index): not shown, not met.
    shared = result["messages"] / result["reads"] if result["reads"] else 0.0
    print(f"  {result['messages']} counts messages from {result['reads']} counts reads ({shared:.1f} x)")
    rows.append(_row(f"counts messages per counts read ({setting})", shared, "x", "> 1 (reads shared)", shared > 1))
    return rows


def percentile(values, share):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def _row(what, value, unit, goal, met):
    return {"what": what, "value": round(value, 1), "unit": unit, "goal": goal, "met": met, "baseline": None,
            "queries": None}  # fmt: skip


if __name__ == "__main__":
    main()
