"""Command-centre screens on the live stream with their tab counts, while cases move: called by
benchmarks/command_counts.py (`--screens`), or on its own:

    .venv/bin/python benchmarks/command_counts_live.py   # [--screens 50] [--rate 10] [--seconds 20] [--json]

Starts the production server (benchmarks/production_server.py) and opens `--screens` streams asking for the counts
(`/live/events/?counts=1`), as users posted like the demo `dispatcher` (benchmarks/live_screens.py makes them).
Meanwhile the demo grid worker reports cases and the demo operator accepts them, `--rate` events a second (a
report and an accept: two events), and a loop in a process of its own requests /command/counts/ and /command/ as
the dispatcher. Prints the requests' p50/p95, how soon after each accept's commit every screen had counts that
include it, and how many counts reads the database made (index scans of the counters) against the counts messages
the screens received: the shared read is one per set of grids and wake-up, not one per screen.
"""

import argparse
import asyncio
import json
import logging
import multiprocessing
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from benchmarks.production_server import production_environ, start_server  # noqa: E402

production_environ("live-screens")

import django  # noqa: E402

django.setup()

import httpx  # noqa: E402
from django.db import connection  # noqa: E402

from benchmarks.live_screens import _transition, percentile, screens_users  # noqa: E402

PATHS = ("/command/counts/", "/command/")


class CountingScreen:
    """One stream asking for the counts: when each event arrived, and when counts covering it arrived."""

    def __init__(self, cookie, query="?counts=1"):
        self.cookie, self.query = cookie, query
        self.ready = asyncio.Event()
        self.counted = []  # (monotonic time, cursor) of each message carrying counts
        self.failed = None

    async def follow(self, client, url):
        try:
            headers = {"Accept": "text/event-stream", "Cookie": self.cookie}
            async with client.stream("GET", f"{url}/live/events/{self.query}", headers=headers, timeout=None) as r:
                if r.status_code != 200:
                    self.failed = f"HTTP {r.status_code}"
                    self.ready.set()
                    return
                async for line in r.aiter_lines():
                    if line.startswith("event: "):
                        self.ready.set()
                    elif line.startswith("data: ") and '"counts"' in line:
                        self.counted.append((time.monotonic(), json.loads(line[6:])["cursor"]))
        except (httpx.HTTPError, asyncio.CancelledError) as exc:
            if not isinstance(exc, asyncio.CancelledError):
                self.failed = type(exc).__name__
            self.ready.set()

    def counts_after(self, event_id):
        """When the screen first had counts read after the event (a message whose cursor covers it)."""
        return next((at for at, cursor in self.counted if cursor >= event_id), None)


async def _loops(url, cookie, seconds):
    until = time.monotonic() + seconds
    latencies = {}
    async with httpx.AsyncClient(timeout=30) as client:

        async def loop(path):
            while time.monotonic() < until:
                started = time.perf_counter()
                response = await client.get(f"{url}{path}", headers={"Cookie": cookie})
                latencies.setdefault(path, []).append((time.perf_counter() - started) * 1000)
                if response.status_code != 200:
                    latencies.setdefault("errors", []).append(f"{path}: {response.status_code}")

        await asyncio.gather(*(loop(path) for path in PATHS))
    return latencies


def request_loops(url, cookie, seconds):
    logging.getLogger("httpx").setLevel(logging.WARNING)
    return asyncio.run(_loops(url, cookie, seconds))


def counter_scans():
    """Index scans of the counters so far: each counts read scans QueueCount once."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT idx_scan FROM pg_stat_user_tables WHERE relname = 'dispatch_queuecount'")
        scans = cursor.fetchone()[0]
    connection.close()
    return scans


def server_cpu_seconds(process):
    """User + system CPU of the server's worker processes so far (from /proc)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    children = Path(f"/proc/{process.pid}/task/{process.pid}/children").read_text().split()
    for pid in children:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / ticks


async def run(args, url, process):
    cookies, dispatcher_cookie = await asyncio.to_thread(screens_users, args.screens)
    limits = httpx.Limits(max_connections=None, max_keepalive_connections=None)
    async with httpx.AsyncClient(limits=limits, timeout=30) as streams:
        query = "" if args.no_counts else "?counts=1"
        screens = [CountingScreen(cookie, query) for cookie in cookies]
        tasks = [asyncio.create_task(screen.follow(streams, url)) for screen in screens]
        await asyncio.wait_for(asyncio.gather(*(s.ready.wait() for s in screens)), 60)
        failed = sum(1 for s in screens if s.failed)
        pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"))
        await asyncio.get_running_loop().run_in_executor(pool, request_loops, url, dispatcher_cookie, 0.1)
        await asyncio.sleep(1)
        scans_before = await asyncio.to_thread(counter_scans)
        cpu_before = server_cpu_seconds(process)
        messages_before = sum(len(s.counted) for s in screens)
        loops = asyncio.get_running_loop().run_in_executor(pool, request_loops, url, dispatcher_cookie, args.seconds)
        committed, started = [], time.monotonic()
        pairs = max(1, round(args.rate * args.seconds / 2))  # a report and an accept: two events
        for n in range(pairs):
            await asyncio.sleep(max(0.0, started + n * 2 / args.rate - time.monotonic()))
            committed.append(await asyncio.to_thread(_transition))
        feed_seconds = time.monotonic() - started
        latencies = await loops
        window = time.monotonic() - started
        cpu = server_cpu_seconds(process) - cpu_before
        pool.shutdown()
        await asyncio.sleep(2.5)
        scans = await asyncio.to_thread(counter_scans) - scans_before
        messages = sum(len(s.counted) for s in screens) - messages_before
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    delays, missing = [], 0
    for event_id, at in committed:
        for screen in screens:
            seen = screen.counts_after(event_id)
            if seen is None:
                missing += 1
            else:
                delays.append((seen - at) * 1000)
    return {
        "screens": len(screens) - failed,
        "rate": round(2 * len(committed) / feed_seconds, 1),
        "latencies": {p: latencies.get(p, []) for p in PATHS},
        "errors": latencies.get("errors", [])[:5],
        "delays": delays,
        "missing": missing,
        "messages": messages,
        "reads": scans,
        "server_cpu_per_second": round(cpu / window, 2),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--screens", type=int, default=50)
    parser.add_argument("--rate", type=float, default=10, help="events a second")
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--json", action="store_true", help="the raw figures as one JSON line")
    parser.add_argument("--no-counts", action="store_true", help="streams without the counts, for comparison")
    args = parser.parse_args()
    logging.getLogger("httpx").setLevel(logging.WARNING)
    process, url = start_server("command-counts")
    try:
        result = asyncio.run(run(args, url, process))
    finally:
        process.terminate()
        process.wait(timeout=30)
    if args.json:
        print(json.dumps(result))
        return
    print(f"{result['screens']} screens, feed at {result['rate']} events/s")
    for path, values in result["latencies"].items():
        if values:
            print(f"  {path:18} n={len(values):4}  p50 {percentile(values, 0.5):6.0f} ms  "
                  f"p95 {percentile(values, 0.95):6.0f} ms")  # fmt: skip
    if result["delays"]:
        print(f"  commit → counts on every screen: p50 {percentile(result['delays'], 0.5):.0f} ms, "
              f"p95 {percentile(result['delays'], 0.95):.0f} ms, missing {result['missing']}")  # fmt: skip
    print(f"  {result['messages']} counts messages to the screens from {result['reads']} counts reads")
    print(f"  the server's workers used {result['server_cpu_per_second']} CPU-seconds a second")


if __name__ == "__main__":
    main()
