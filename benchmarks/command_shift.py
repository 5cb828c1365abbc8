"""Command shift benchmark: the command centre on a busy shift — 10 events/s on the live feed, 50 open screens.

    export DATABASE_URL=postgis://postgres@127.0.0.1:5432/cityops_cityscale_1m
    .venv/bin/python benchmarks/command_shift.py      # [--screens 50] [--rate 10] [--seconds 30] [--url URL] [--json]

Without --url it starts the production server (benchmarks/production_server.py) and stops it at the end.

1. `--screens` users posted like the demo dispatcher (benchmarks/live_screens.py `screens_users`) each open the
   command centre as static/command/command.js does: the page, then the live stream with the tab counts
   (/live/events/?counts=1; only while it has carried no counts, the counts from /command/counts/ at most once
   every 3 s with up to 1 s of jitter), and the list (/command/cases/?queue=all, 25 rows) 0.8 s after the last
   batch naming a case.
2. Meanwhile another process commits `--rate` transitions a second through the services (a report by the demo
   grid worker, then its acceptance by the demo operator), paced on the clock.
3. And one person works the centre: the command page, the list and a case's panel in turn, as the demo dispatcher,
   in a process of its own, timed per request. The baseline: the same person alone on the same server first (a
   third of --seconds, at least 5 s), before the screens open.
4. Prints the person's p50/p95 per request, the transitions committed per second, what the screens fetched and
   received, and whether the centre stays responsive: p95 ≤ 200 ms for each of the person's requests.

The script (screens, committer, person) runs on the same machine as the server and takes CPU from it.
With --json the last line is {"rows": [{"what", "value", "unit", "goal", "met", "baseline", "queries"}]}.
"""

import argparse
import asyncio
import json
import logging
import multiprocessing
import os
import random
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

# The live-screens benchmark sets up Django (production settings, its SECRET_KEY) and makes the screens' users.
from benchmarks.live_screens import percentile, screens_users  # noqa: E402

# isort: split
import httpx  # noqa: E402
from django.db import connection  # noqa: E402

from accounts.models import User  # noqa: E402
from benchmarks.production_server import start_server, stop_server  # noqa: E402
from cases.models import Case  # noqa: E402

COUNTS_EVERY = 3.0  # command.js COUNTS_EVERY_MS
COUNTS_JITTER = 1.0
LIST_DEBOUNCE = 0.8  # command.js LIST_DEBOUNCE
GOAL_MS = 200
PERSON_PATHS = ("/command/", "/command/cases/?queue=all", "/command/cases/{case}/")


class ShiftScreen:
    """One command-centre screen as command.js behaves: the stream with its tab counts (`?counts=1`; the counts are
    fetched, throttled, only while the stream has not carried any), and the debounced list."""

    def __init__(self, cookie):
        self.cookie = cookie
        self.ready = asyncio.Event()
        self.failed = None
        self.events = self.counts = self.pushed = self.lists = self.errors = 0
        self.counts_pushed = False
        self._last_counts = 0.0
        self._counts_task = self._list_task = None

    def _get(self, client, url):
        return client.get(url, headers={"Cookie": self.cookie, "Accept": "application/json"})

    async def follow(self, client, url):
        try:
            await self._get(client, f"{url}/command/")
            headers = {"Accept": "text/event-stream", "Cookie": self.cookie}
            stream_url = f"{url}/live/events/?counts=1"
            async with client.stream("GET", stream_url, headers=headers, timeout=None) as response:
                if response.status_code != 200:
                    self.failed = f"HTTP {response.status_code}"
                    return
                kind = None
                async for line in response.aiter_lines():
                    if line.startswith("event: "):
                        kind = line[7:]
                        self.ready.set()
                    elif line.startswith("data: ") and kind in ("events", "cursor"):
                        data = json.loads(line[6:])
                        if "counts" in data:
                            self.pushed += 1
                            self.counts_pushed = True
                        self._on_events(client, url, data.get("events") or [])
        except httpx.HTTPError as exc:
            self.failed = type(exc).__name__
        finally:
            self.ready.set()

    def _on_events(self, client, url, events):
        if not events:
            return
        self.events += len(events)
        if not self.counts_pushed and (self._counts_task is None or self._counts_task.done()):
            wait = max(0.0, self._last_counts + COUNTS_EVERY - time.monotonic())
            self._counts_task = asyncio.create_task(self._counts(client, url, wait))
        if any(event.get("case") for event in events):
            if self._list_task is not None and not self._list_task.done():
                self._list_task.cancel()  # debounced: the last batch's timer wins
            self._list_task = asyncio.create_task(self._list(client, url))

    async def _counts(self, client, url, wait):
        await asyncio.sleep(wait)
        self._last_counts = time.monotonic()
        await asyncio.sleep(random.random() * COUNTS_JITTER)
        self.counts += 1
        await self._fetch(client, f"{url}/command/counts/")

    async def _list(self, client, url):
        await asyncio.sleep(LIST_DEBOUNCE)
        self.lists += 1
        await self._fetch(client, f"{url}/command/cases/?queue=all&size=25")

    async def _fetch(self, client, url):
        try:
            self.errors += (await self._get(client, url)).status_code != 200
        except httpx.HTTPError:
            self.errors += 1

    def stop(self):
        """Cancels the refreshes still waiting (the page is closed)."""
        for task in (self._counts_task, self._list_task):
            if task is not None:
                task.cancel()


# ---- the transitions (a process of their own) ----


def commit_transitions(rate, seconds):
    """Report-then-accept pairs at `rate` transitions a second for `seconds`; returns (committed, seconds taken)."""
    from cases.services import case_transition
    from cases.services.intake import case_report

    worker = User.objects.get(username="gridworker")
    operator = User.objects.get(username="operator")
    category = Case.objects.filter(reporter=worker).order_by("id").first().category
    here = worker.postings.exclude(region=None).select_related("region").first().region.geom.point_on_surface
    started = time.monotonic()
    committed, pending = 0, None
    while time.monotonic() - started < seconds:
        due = started + committed / rate
        if due > time.monotonic():
            time.sleep(due - time.monotonic())
        if pending is None:
            pending, _created = case_report(
                actor=worker, category=category, description="值班测试：路面破损", lon=here.x, lat=here.y
            )
        else:
            case_transition(case_id=pending.pk, actor=operator, action="accept")
            pending = None
        committed += 1
    taken = time.monotonic() - started
    connection.close()
    return committed, taken


# ---- the person at the desk (a process of its own) ----


async def _person(url, cookie, seconds, case_id):
    latencies = {path: [] for path in PERSON_PATHS}
    errors = []
    until = time.monotonic() + seconds
    async with httpx.AsyncClient(timeout=30) as client:
        while time.monotonic() < until:
            for path in PERSON_PATHS:
                started = time.perf_counter()
                response = await client.get(url + path.format(case=case_id), headers={"Cookie": cookie})
                latencies[path].append((time.perf_counter() - started) * 1000)
                if response.status_code != 200:
                    errors.append(f"{path}: {response.status_code}")
    return latencies, errors


def person(url, cookie, seconds, case_id):
    logging.getLogger("httpx").setLevel(logging.WARNING)
    return asyncio.run(_person(url, cookie, seconds, case_id))


def _warm(*_args):
    """Starts a pool's process (imports, Django set up) before the clock runs."""
    return os.getpid()


async def run(args, url):
    cookies, dispatcher_cookie = await asyncio.to_thread(screens_users, args.screens)
    case_id = await asyncio.to_thread(lambda: Case.objects.open().order_by("-id").values_list("id", flat=True)[0])
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=context) as desk:
        # The baseline: the same person's requests on the same server, before the screens open and the feed runs.
        quiet = await asyncio.get_running_loop().run_in_executor(
            desk, person, url, dispatcher_cookie, max(args.seconds / 3, 5), case_id
        )
    limits = httpx.Limits(max_connections=None, max_keepalive_connections=None)
    async with httpx.AsyncClient(limits=limits, timeout=30) as client:
        screens = [ShiftScreen(cookie) for cookie in cookies]
        opened = time.monotonic()
        tasks = [asyncio.create_task(screen.follow(client, url)) for screen in screens]
        await asyncio.wait_for(asyncio.gather(*(screen.ready.wait() for screen in screens)), 120)
        failed = [screen.failed for screen in screens if screen.failed]
        print(f"{len(screens) - len(failed)} of {len(screens)} screens open in {time.monotonic() - opened:.1f} s")
        with (
            ProcessPoolExecutor(max_workers=1, mp_context=context) as committer,
            ProcessPoolExecutor(max_workers=1, mp_context=context) as desk,
        ):
            loop = asyncio.get_running_loop()
            await asyncio.gather(loop.run_in_executor(committer, _warm), loop.run_in_executor(desk, _warm))
            cpu = time.process_time()
            transitions = loop.run_in_executor(committer, commit_transitions, args.rate, args.seconds)
            work = loop.run_in_executor(desk, person, url, dispatcher_cookie, args.seconds, case_id)
            (committed, taken), (latencies, errors) = await asyncio.gather(transitions, work)
            cpu = time.process_time() - cpu
        await asyncio.sleep(LIST_DEBOUNCE + COUNTS_EVERY + COUNTS_JITTER)  # the last refreshes
        for task in tasks:
            task.cancel()
        for screen in screens:
            screen.stop()
        await asyncio.gather(*tasks, return_exceptions=True)
        await asyncio.sleep(0)  # the cancelled refreshes end before the client closes
    return screens, committed, taken, latencies, errors, cpu, quiet[0]


def report(args, screens, committed, taken, latencies, errors, cpu, quiet):
    rate = committed / taken
    print(f"\n{committed} transitions committed in {taken:.1f} s ({rate:.1f}/s, aim {args.rate}/s); "
          f"load average {', '.join(f'{v:.1f}' for v in os.getloadavg())}")  # fmt: skip
    events = sorted(screen.events for screen in screens)
    print(f"screens: events received min {events[0]} / median {events[len(events) // 2]} of {committed}; "
          f"counts fetched {sum(s.counts for s in screens)}, pushed {sum(s.pushed for s in screens)}, "
          f"lists {sum(s.lists for s in screens)}, "
          f"errors {sum(s.errors for s in screens)}; the screens' client used {cpu:.1f} s CPU")  # fmt: skip
    rows = []
    for path, values in latencies.items():
        if not values:
            continue
        p50, p95 = percentile(values, 0.5), percentile(values, 0.95)
        alone = percentile(quiet[path], 0.95) if quiet.get(path) else None
        met = p95 <= GOAL_MS and not errors
        print(f"  {path:28} n={len(values):4}  p50 {p50:6.0f} ms  p95 {p95:6.0f} ms  max {max(values):6.0f} ms  "
              f"(alone: p95 {alone or 0:.0f} ms)  {'met' if met else 'NOT met'}")  # fmt: skip
        rows.append(
            {
                "what": f"command shift ({len(screens)} screens, {rate:.1f} events/s): {path.split('?')[0]} p95",
                "value": round(p95, 1),
                "unit": "ms",
                "goal": f"p95 ≤ {GOAL_MS} ms",
                "met": met,
                "baseline": f"alone p95 {alone:.0f} ms" if alone is not None else None,
                "queries": None,
            }
        )
    if errors:
        print("  errors:", errors[:5])
    responsive = all(row["met"] for row in rows) and rate >= 0.9 * args.rate
    print(f"the centre {'stays' if responsive else 'does NOT stay'} responsive (p95 ≤ {GOAL_MS} ms for each request)")
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", help="A running server (same database and SECRET_KEY).")
    parser.add_argument("--screens", type=int, default=50)
    parser.add_argument("--rate", type=float, default=10, help="Transitions committed per second (default 10).")
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--json", action="store_true", help="End with the rows as one JSON line.")
    args = parser.parse_args()
    logging.getLogger("httpx").setLevel(logging.WARNING)
    print(f"{Case.objects.count():,} cases, {Case.objects.open().count():,} open")
    connection.close()
    process, url = (None, args.url.rstrip("/")) if args.url else start_server("command-shift")
    try:
        rows = report(args, *asyncio.run(run(args, url)))
    finally:
        stop_server(process)
    if args.json:
        print(json.dumps({"rows": rows}, ensure_ascii=False))


if __name__ == "__main__":
    main()
