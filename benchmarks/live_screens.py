"""Live screens benchmark: 200 command-centre screens on the live stream while others use the site.

Against the demo database (`make run` loads it; any database after `seed_demo` will do):

    export DATABASE_URL=postgis://postgres@127.0.0.1:5432/cityops
    .venv/bin/python benchmarks/live_screens.py              # [--screens 200] [--seconds 20] [--transitions 5]
    .venv/bin/python benchmarks/live_screens.py --url http://127.0.0.1:8000   # a server that is already running

Without --url it starts the production server configuration (gunicorn, docker/gunicorn.conf.py: uvicorn workers,
2 x CPUs + 1 of them, production settings) on a free port and stops it at the end; its log is
var/live-screens-server.log. With --url the server must use the same database and SECRET_KEY as this script, since
the screens' sessions are written here.

1. Creates (once) `--screens` users `live-screen-NNN`, each posted like the demo's `dispatcher` (the city command
   centre: every case of the city is in scope), and a signed-in session for each.
2. Opens one live stream per user (GET /live/events/, Accept: text/event-stream), all at once, and waits until
   each has its first message.
3. Meanwhile `--clients` loops request /healthz, the command centre's case list (/command/cases/) and the API's
   (/api/v1/cases/) as the demo dispatcher for `--seconds`, and their latency is recorded. They run in a process
   of their own, so the screens' messages parsed in this one do not delay them.
4. During that time, `--transitions` times: the demo grid worker reports a case and the demo operator accepts it
   (case_report, case_transition: the services, committed), and each screen's arrival of the accept event is
   timed from the service's return (after its commit).
5. Prints p50/p95 per URL, the delays from commit to every screen, how many screens got every event, the
   server's threads and database connections while the screens are open, and the machine's load average before
   and after (on a shared machine the latencies follow it).

Goals: p95 ≤ 200 ms for /healthz and the case list with 200 screens open, every screen within 2 s of the commit.
The script itself (200 streams and the request loops) runs on the same machine and takes CPU from the server.
"""

import argparse
import asyncio
import logging
import multiprocessing
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from benchmarks.production_server import production_environ, session_cookie, start_server, stop_server  # noqa: E402

production_environ("live-screens")

import django  # noqa: E402

django.setup()

import httpx  # noqa: E402
from django.db import connection  # noqa: E402

from accounts.models import Posting, User  # noqa: E402
from cases.models import Case, CaseEvent  # noqa: E402
from cases.services import case_transition  # noqa: E402
from cases.services.intake import case_report  # noqa: E402


def screens_users(count):
    """`count` users posted like the demo dispatcher, created the first time; a session cookie for each."""
    model = User.objects.get(username="dispatcher")
    postings = list(Posting.objects.filter(user=model))
    users = []
    for n in range(count):
        user, created = User.objects.get_or_create(
            username=f"live-screen-{n:03d}", defaults={"full_name": f"大屏 {n:03d}"}
        )
        if created:
            user.set_unusable_password()
            user.save()
            for posting in postings:
                Posting.objects.create(
                    user=user, role=posting.role, region=posting.region, department=posting.department
                )
        users.append(user)
    return [session_cookie(user) for user in users], session_cookie(model)


def server_resources(process):
    """(worker processes, their threads in all, database connections to this database)."""
    workers, threads = 0, 0
    if process is not None:
        children = Path(f"/proc/{process.pid}/task/{process.pid}/children").read_text().split()
        for pid in children:
            status = Path(f"/proc/{pid}/status").read_text()
            threads += int(next(line.split()[1] for line in status.splitlines() if line.startswith("Threads:")))
            workers += 1
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        connections = cursor.fetchone()[0]
    return workers, threads, connections


def server_cpu_seconds(process):
    """CPU time (user + system) used so far by the server's worker processes: on a shared machine a steadier measure
    of the server's cost than the latencies, which follow the load."""
    if process is None:
        return None
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in Path(f"/proc/{process.pid}/task/{process.pid}/children").read_text().split():
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / ticks


class Screen:
    def __init__(self, n, cookie):
        self.n, self.cookie = n, cookie
        self.ready = asyncio.Event()
        self.arrivals = {}  # event id -> monotonic time of arrival
        self.failed = None

    async def follow(self, client, url):
        try:
            headers = {"Accept": "text/event-stream", "Cookie": self.cookie}
            async with client.stream("GET", f"{url}/live/events/", headers=headers, timeout=None) as response:
                if response.status_code != 200:
                    self.failed = f"HTTP {response.status_code}"
                    self.ready.set()
                    return
                event = None
                async for line in response.aiter_lines():
                    if line.startswith("event: "):
                        event = line[7:]
                        self.ready.set()
                    elif line.startswith("data: ") and event == "events":
                        now = time.monotonic()
                        for item in _event_ids(line[6:]):
                            self.arrivals.setdefault(item, now)
        except (httpx.HTTPError, asyncio.CancelledError) as exc:
            if not isinstance(exc, asyncio.CancelledError):
                self.failed = type(exc).__name__
            self.ready.set()


def _event_ids(data):
    import json

    return [event["id"] for event in json.loads(data)["events"]]


PATHS = ("/healthz", "/command/cases/?queue=all", "/api/v1/cases/")


async def measure(client, url, path, cookie, until, latencies):
    while time.monotonic() < until:
        started = time.perf_counter()
        response = await client.get(f"{url}{path}", headers={"Cookie": cookie})
        elapsed = (time.perf_counter() - started) * 1000
        if response.status_code >= 500 or (path != "/healthz" and response.status_code != 200):
            latencies.setdefault("errors", []).append(f"{path}: {response.status_code}")
        latencies.setdefault(path, []).append(elapsed)


async def _request_loops(url, cookie, seconds, clients):
    until = time.monotonic() + seconds
    latencies = {}
    async with httpx.AsyncClient(timeout=30) as requests:
        loops = [measure(requests, url, PATHS[n % 3], cookie, until, latencies) for n in range(clients)]
        await asyncio.gather(*loops)
    return latencies


def request_loops(url, cookie, seconds, clients):
    """The request loops, in a process of their own: the screens' 200 streams are parsed in this one, and a burst
    of their messages would otherwise hold the loops' event loop and be counted as the server's latency."""
    logging.getLogger("httpx").setLevel(logging.WARNING)
    return asyncio.run(_request_loops(url, cookie, seconds, clients))


def _transition():
    """A report by the demo grid worker, accepted by the demo operator; returns (accept event id, committed at)."""
    worker = User.objects.get(username="gridworker")
    operator = User.objects.get(username="operator")
    earlier = Case.objects.filter(reporter=worker).order_by("id").first()
    # A point of the worker's own grid (a loaded database's earlier reports may lie anywhere in the city).
    here = worker.postings.exclude(region=None).select_related("region").first().region.geom.point_on_surface
    case, _created = case_report(
        actor=worker, category=earlier.category, description="大屏测试：路面破损", lon=here.x, lat=here.y
    )
    case = case_transition(case_id=case.pk, actor=operator, action="accept")
    committed = time.monotonic()
    event_id = CaseEvent.objects.filter(case=case, action="accept").latest("id").id
    connection.close()
    return event_id, committed


def percentile(values, share):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def load_average():
    return "load average " + " ".join(f"{value:.2f}" for value in os.getloadavg()) + f" ({os.cpu_count()} CPUs)"


async def run(args, url, process):
    print(f"before: {load_average()}")
    cookies, dispatcher_cookie = await asyncio.to_thread(screens_users, args.screens)
    limits = httpx.Limits(max_connections=None, max_keepalive_connections=None)
    async with httpx.AsyncClient(limits=limits, timeout=30) as streams:
        screens = [Screen(n, cookie) for n, cookie in enumerate(cookies)]
        opened = time.monotonic()
        tasks = [asyncio.create_task(screen.follow(streams, url)) for screen in screens]
        await asyncio.wait_for(asyncio.gather(*(s.ready.wait() for s in screens)), 60)
        failed = [s for s in screens if s.failed]
        print(f"{len(screens) - len(failed)} of {len(screens)} screens connected in {time.monotonic() - opened:.1f} s")
        if failed:
            print("  failed:", sorted({s.failed for s in failed}))
        workers, threads, connections = await asyncio.to_thread(server_resources, process)
        if process is not None:
            print(f"server while they are open: {workers} worker processes, {threads} threads in all, "
                  f"{connections} database connections")  # fmt: skip
        else:
            print(f"database connections while they are open: {connections}")

        pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"))
        # Started (the process imported and set up) before the clock runs, with one round of requests.
        await asyncio.get_running_loop().run_in_executor(pool, request_loops, url, dispatcher_cookie, 0.1, 1)
        cpu_before = server_cpu_seconds(process)
        loops = asyncio.get_running_loop().run_in_executor(
            pool, request_loops, url, dispatcher_cookie, args.seconds, args.clients
        )
        committed = []
        gap = args.seconds / (args.transitions + 1)
        for _ in range(args.transitions):
            await asyncio.sleep(gap)
            committed.append(await asyncio.to_thread(_transition))
        latencies = await loops
        cpu_used = None if process is None else server_cpu_seconds(process) - cpu_before
        measured_load = load_average()
        pool.shutdown()
        await asyncio.sleep(2.5)  # the last transition's arrivals
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    print(f"\nrequests during {args.seconds} s with {len(screens)} screens open ({args.clients} request loops):")
    print(f"  at the end of them: {measured_load}")
    for path in PATHS:
        values = latencies.get(path, [])
        if values:
            print(f"  {path:28} n={len(values):4}  p50 {percentile(values, 0.5):6.0f} ms  "
                  f"p95 {percentile(values, 0.95):6.0f} ms  max {max(values):6.0f} ms")  # fmt: skip
    if latencies.get("errors"):
        print("  errors:", latencies["errors"][:5])
    if cpu_used is not None:
        requests = sum(len(latencies.get(path, [])) for path in PATHS)
        each = cpu_used / requests * 1000
        print(f"  server CPU meanwhile: {cpu_used:.1f} s for {requests} requests, {each:.1f} ms a request "
              f"(the streams' heartbeats and {args.transitions} events included)")  # fmt: skip

    delays, missing = [], 0
    for event_id, at in committed:
        for screen in screens:
            if event_id in screen.arrivals:
                delays.append((screen.arrivals[event_id] - at) * 1000)
            else:
                missing += 1
    print(f"\ncommit → screen ({len(committed)} accepts × {len(screens)} screens):")
    if delays:
        print(f"  received {len(delays)} of {len(committed) * len(screens)}  p50 {percentile(delays, 0.5):.0f} ms  "
              f"p95 {percentile(delays, 0.95):.0f} ms  max {max(delays):.0f} ms")  # fmt: skip
    print(f"  missing {missing}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", help="a running server (same database and SECRET_KEY)")
    parser.add_argument("--screens", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--clients", type=int, default=6, help="concurrent request loops measuring latency")
    parser.add_argument("--transitions", type=int, default=5)
    args = parser.parse_args()
    logging.getLogger("httpx").setLevel(logging.WARNING)
    process, url = (None, args.url.rstrip("/")) if args.url else start_server("live-screens")
    try:
        asyncio.run(run(args, url, process))
    finally:
        stop_server(process)


if __name__ == "__main__":
    main()
