"""Web worker memory: the production server warmed up with a realistic mix of requests; peak RSS, USS, PSS per worker.

Usage: .venv/bin/python benchmarks/worker_memory.py [--rounds 30] [--concurrency 8] [--json]
Needs the demo (`manage.py seed_demo`) in the configured database (DATABASE_URL). Starts the production server
(benchmarks/production_server.py: gunicorn with uvicorn workers, docker/gunicorn.conf.py, production settings;
its log is var/worker-memory-server.log), reads each worker's memory once it answers (a bare worker), then sends
`--rounds` times a mix of what the demo's people do (the command centre and its lists, a case's panel, the map
layers, the intake page, point lookups, the API lists, the department board, the grid worker's tasks, the
assessment dashboard, the big screen, /healthz) as those demo users, `--concurrency` at once, and prints for every
worker its peak RSS (VmHWM) and, at the end, its RSS, USS (private pages) and PSS (/proc/<pid>/smaps_rollup).
Goal: peak RSS <= 120 MB per worker. Also prints the server's database connections after the mix (pg_stat_activity).
"""

import argparse
import asyncio
import json
import os
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from benchmarks.production_server import production_environ, session_cookie, start_server  # noqa: E402

production_environ("worker-memory")

import django  # noqa: E402

django.setup()

import logging  # noqa: E402

import httpx  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection  # noqa: E402

from cases.models import Case  # noqa: E402

GOAL_MB = 120
BASELINE_PEAK_MB = 212  # before this work: the demo mix on the production server


def request_mix(rng: random.Random) -> list[tuple[str, str]]:
    """(username, path) pairs of one round: what the demo's people open in a few minutes of work."""
    cases = list(Case.objects.order_by("-pk").values_list("pk", flat=True)[:200])
    # Points inside the city (at sea the API answers 404, which is right but not what a caller usually sends).
    west, south, east, north = 114.0, 22.8, 114.9, 23.6
    lookups = [
        f"/api/v1/regions/locate/?lon={rng.uniform(west, east):.6f}&lat={rng.uniform(south, north):.6f}"
        for _ in range(4)
    ]
    panels = [f"/command/cases/{pk}/" for pk in rng.sample(cases, min(3, len(cases)))]
    city, downtown = "bbox=113.85,22.55,115.45,24.0", "bbox=114.38,23.08,114.44,23.13"
    maps = [f"/command/map/cases/?{city}", f"/command/map/grids/?{city}&level=street",
            f"/command/map/grids/?{downtown}&level=community", f"/command/map/cases/?{downtown}"]  # fmt: skip
    lon, lat = rng.uniform(114.38, 114.44), rng.uniform(23.08, 23.13)
    intake = [
        "/command/intake/",
        f"/command/intake/check/?lon={lon:.6f}&lat={lat:.6f}",
        "/command/intake/places/?place_q=桥东",
    ]
    return (
        [("dispatcher", path) for path in ["/command/", "/command/cases/", "/command/counts/", *panels, *maps]]
        + [("dispatcher", path) for path in ["/api/v1/cases/", "/api/v1/dispatch/queue/", *lookups]]
        + [("operator", path) for path in intake]
        + [("operator", "/command/cases/?queue=accept"), ("district-dispatcher", "/command/cases/")]
        + [("handler", "/dept/"), ("handler", "/dept/board/"), ("street-handler", "/dept/")]
        + [("gridworker", "/m/tasks/"), ("gridworker", "/api/v1/notifications/")]
        + [("leader", "/assessment/"), ("leader", "/assessment/map/"), ("leader", "/screen/data/")]
        + [(None, "/healthz"), (None, "/public/transparency/data/")]
    )


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def workers_of(master_pid: int) -> list[int]:
    children = Path(f"/proc/{master_pid}/task/{master_pid}/children").read_text().split()
    return sorted(int(pid) for pid in children)


def memory_mb(pid: int) -> dict[str, float]:
    """RSS and peak RSS (status), USS and PSS (smaps_rollup), in MB."""
    figures = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            figures[key] = int(value.split()[0]) / 1024
    rollup = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]:
        key, _, value = line.partition(":")
        rollup[key] = int(value.split()[0]) / 1024
    figures["USS"] = rollup.get("Private_Clean", 0) + rollup.get("Private_Dirty", 0)
    figures["PSS"] = rollup.get("Pss", 0)
    return figures


async def _run(url, cookies, mix_rounds, concurrency):
    statuses: dict[int, int] = {}
    timings: list[float] = []
    queue: asyncio.Queue = asyncio.Queue()
    for round_ in mix_rounds:
        for item in round_:
            queue.put_nowait(item)

    async def loop(client):
        while not queue.empty():
            username, path = queue.get_nowait()
            headers = {"Cookie": cookies[username]} if username else {}
            started = time.perf_counter()
            response = await client.get(url + path, headers=headers)
            timings.append(time.perf_counter() - started)
            statuses[response.status_code] = statuses.get(response.status_code, 0) + 1

    # A new connection per request, as from many browsers: the workers share them as the kernel hands them out.
    limits = httpx.Limits(max_keepalive_connections=0)
    async with httpx.AsyncClient(timeout=60, limits=limits) as client:
        await asyncio.gather(*(loop(client) for _ in range(concurrency)))
    return statuses, timings


def server_connections() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return cursor.fetchone()[0]


def main() -> int:
    logging.getLogger("httpx").setLevel(logging.WARNING)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=30, help="rounds of the request mix (default 30)")
    parser.add_argument("--concurrency", type=int, default=8, help="requests at once (default 8)")
    parser.add_argument("--seed", type=int, default=2260)
    parser.add_argument("--json", action="store_true", help="print the figures as one JSON object, last line")
    args = parser.parse_args()

    users = {u.username: u for u in get_user_model().objects.filter(username__in=_usernames())}
    missing = set(_usernames()) - set(users)
    if missing:
        print(f"Demo users missing ({', '.join(sorted(missing))}): run `manage.py seed_demo` first.", file=sys.stderr)
        return 1
    cookies = {name: session_cookie(user) for name, user in users.items()}
    rng = random.Random(args.seed)
    mix_rounds = [request_mix(rng) for _ in range(args.rounds)]
    connection.close()

    process, url = start_server("worker-memory")
    try:
        time.sleep(2)  # every worker up and idle
        pids = workers_of(process.pid)
        bare = {pid: memory_mb(pid) for pid in pids}
        cpu_before = sum(cpu_seconds(pid) for pid in pids)
        started = time.perf_counter()
        statuses, timings = asyncio.run(_run(url, cookies, mix_rounds, args.concurrency))
        elapsed = time.perf_counter() - started
        server_cpu = sum(cpu_seconds(pid) for pid in workers_of(process.pid)) - cpu_before
        connections = server_connections()
        after = {pid: memory_mb(pid) for pid in workers_of(process.pid)}
    finally:
        process.terminate()
        process.wait(timeout=30)

    requests = sum(statuses.values())
    timings.sort()
    load = os.getloadavg()
    print(
        f"{len(pids)} workers, {requests} requests in {elapsed:.1f} s ({args.concurrency} at once), statuses {statuses}"
    )
    median, p95 = timings[len(timings) // 2] * 1000, timings[int(len(timings) * 0.95)] * 1000
    print(f"  per request: median {median:.0f} ms, p95 {p95:.0f} ms; the workers' CPU {server_cpu:.1f} s in all")
    print(f"  database connections of the server after the mix: {connections}")
    print(f"{'worker':>8} {'bare RSS':>9} {'peak RSS':>9} {'RSS':>7} {'USS':>7} {'PSS':>7}  (MB)")
    for pid, figures in after.items():
        before = bare.get(pid, {}).get("VmRSS", float("nan"))
        print(
            f"{pid:>8} {before:>9.1f} {figures['VmHWM']:>9.1f} {figures['VmRSS']:>7.1f}"
            f" {figures['USS']:>7.1f} {figures['PSS']:>7.1f}"
        )
    peak = max(figures["VmHWM"] for figures in after.values())
    bare_rss = max(figures["VmRSS"] for figures in bare.values())
    uss = max(figures["USS"] for figures in after.values())
    pss = max(figures["PSS"] for figures in after.values())
    print(f"peak RSS of the largest worker: {peak:.1f} MB (goal <= {GOAL_MB} MB); load average {load[0]:.2f}")
    errors = sum(count for status, count in statuses.items() if status >= 500)
    if args.json:
        rows = [
            {"what": "worker peak RSS after the mix", "value": round(peak, 1), "unit": "MB", "goal": f"<= {GOAL_MB} MB",
             "met": peak <= GOAL_MB and not errors, "baseline": BASELINE_PEAK_MB, "queries": None},
            {"what": "worker USS after the mix", "value": round(uss, 1), "unit": "MB", "goal": "reference",
             "met": True, "baseline": None, "queries": None},
            {"what": "worker PSS after the mix", "value": round(pss, 1), "unit": "MB", "goal": "reference",
             "met": True, "baseline": None, "queries": None},
            {"what": "bare worker RSS", "value": round(bare_rss, 1), "unit": "MB", "goal": "reference",
             "met": True, "baseline": None, "queries": None},
            {"what": "median request in the mix", "value": round(median, 1), "unit": "ms",
             "goal": "reference", "met": True, "baseline": None, "queries": None},
        ]  # fmt: skip
        print(json.dumps({"rows": rows}))
    return 0 if not errors else 2


def _usernames():
    return ("dispatcher", "operator", "district-dispatcher", "handler", "street-handler", "gridworker", "leader")


if __name__ == "__main__":
    sys.exit(main())
