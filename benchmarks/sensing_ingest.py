"""Sensing ingestion benchmark: 100 sources post detections, 70 % of them repeats of problems already seen.

Against the demo database (`make run` loads it; any database after `seed_demo` will do):

    export DATABASE_URL=postgis://postgres@127.0.0.1:5432/cityops
    .venv/bin/python benchmarks/sensing_ingest.py             # [--sources 100] [--events 6000] [--concurrency 24]
    .venv/bin/python benchmarks/sensing_ingest.py --url http://127.0.0.1:8000   # a server and workers already running

Without --url it starts the production server configuration (gunicorn, docker/gunicorn.conf.py: uvicorn workers,
2 x CPUs + 1 of them, production settings) on a free port and a Celery worker on the `followup` queue with
`--worker-concurrency` (2, as `make run` and docker-compose) processes, and stops them at the end; their logs are
var/sensing-ingest-server.log and var/sensing-ingest-worker.log.

1. Creates (once) `--sources` sources `bench-sensing-NNN` (cameras of the city bureau) allowed five event classes at
   threshold 0.5, with a rate limit no run reaches, and gives each a new key (the keys live only in this process).
2. Picks the real problems: (class, point) pairs on communities of the city, each more than three merging distances
   from every other of its class and from any open case of its class (so no earlier run's case absorbs them).
3. Builds `--events` detections: `--repeat` (70 %) of them repeat a problem already posted (same class, a point
   within 15 m of it, another source and event id), the rest are first sightings; all at confidence ≥ 0.6.
4. Posts them with `--concurrency` kept-alive connections, as JSON without snapshot (each request encoded before the
   clock starts, sent by a plain asyncio client), and times each answer (202: stored, the worker decides later).
5. Waits until the worker has processed every one of them (the drain: from the last answer until none is left
   `received`), then reads what each became.
6. Prints events/s accepted, p50/p95/p99 POST latency, the drain time, the end-to-end rate (events / (posting time +
   drain)), the outcomes, and checks exactly one case per
   real problem (every detection of a problem joined to the same case, different problems different cases, as many
   cases created as real problems).

Goals: ≥ 300 events/s on 2 cores with p95 ≤ 100 ms, and exactly one case per real problem. The load generator runs on
the same machine and takes CPU from the server and the worker: the figures are the server's throughput while it does.
"""

import argparse
import asyncio
import collections
import json
import math
import os
import random
import subprocess
import sys
import time
from collections import Counter, defaultdict
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from benchmarks.production_server import production_environ, start_server  # noqa: E402

production_environ("sensing-ingest")

import django  # noqa: E402

django.setup()

import redis  # noqa: E402
from django.conf import settings  # noqa: E402
from django.contrib.gis.geos import Point  # noqa: E402
from django.db import connection  # noqa: E402

from cases.models import Category, SensingEvent, SensingSource, SensingThreshold  # noqa: E402
from grids.models import Department, Level, Region  # noqa: E402

CELERY = str(Path(sys.executable).with_name("celery"))
CLASSES = ("E0102", "E0103", "E0104", "E0505", "E0507")
METRES_PER_DEGREE = 111_320.0


def bench_sources(count):
    """`count` benchmark sources, created the first time, each with a new key: [(source id, key)]."""
    owner = Department.objects.filter(active=True).order_by("level", "id").first()
    categories = [Category.objects.get(kind=c[0], code=c[1:]) for c in CLASSES]
    keys = []
    for n in range(count):
        source = SensingSource.objects.filter(name=f"bench-sensing-{n:03d}").first()
        if source is None:
            source = SensingSource(name=f"bench-sensing-{n:03d}", kind="camera", owner=owner)
        raw = source.issue_key()
        source.revoked_at = None
        source.rate_limit = 1_000_000
        source.save()
        for category in categories:
            SensingThreshold.objects.get_or_create(source=source, category=category, defaults={"threshold": 0.5})
        keys.append(raw)
    return keys


def _far_enough(point, taken, distance_m):
    lon, lat = point
    for other_lon, other_lat in taken:
        dx = (lon - other_lon) * METRES_PER_DEGREE * math.cos(math.radians(lat))
        dy = (lat - other_lat) * METRES_PER_DEGREE
        if math.hypot(dx, dy) < 3 * distance_m:
            return False
    return True


def _open_case_near(class_code, lon, lat, distance_m):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT 1 FROM cases_case c JOIN cases_category g ON g.id = c.category_id "
            "WHERE g.kind = %s AND g.code = %s AND c.status NOT IN ('closed', 'not_accepted', 'not_registered', "
            "'voided', 'self_closed') AND ST_DWithin(c.point::geography, "
            "ST_SetSRID(ST_MakePoint(%s, %s), 4326)::geography, %s) LIMIT 1",
            [class_code[0], class_code[1:], lon, lat, 3 * distance_m],
        )
        return cursor.fetchone() is not None


def real_problems(count, rng):
    """`count` (class, lon, lat) problems on the city's communities, apart from each other and from open cases."""
    distance = settings.SENSING_MERGE_METRES
    communities = list(Region.objects.filter(level=Level.COMMUNITY).values_list("code", flat=True))
    rng.shuffle(communities)
    taken = defaultdict(list)
    problems = []
    regions = Region.objects.filter(code__in=communities).only("geom", "code")
    surfaces = {r.code: r.geom for r in regions.iterator(chunk_size=200)}
    attempts = 0
    while len(problems) < count and attempts < count * 20:
        attempts += 1
        geom = surfaces[communities[attempts % len(communities)]]
        xmin, ymin, xmax, ymax = geom.extent
        lon, lat = rng.uniform(xmin, xmax), rng.uniform(ymin, ymax)
        class_code = CLASSES[attempts % len(CLASSES)]
        if not geom.contains(Point(lon, lat, srid=4326)):
            continue
        if not _far_enough((lon, lat), taken[class_code], distance) or _open_case_near(class_code, lon, lat, distance):
            continue
        taken[class_code].append((lon, lat))
        problems.append((class_code, lon, lat))
    return problems


def detections(total, repeat_share, problems, sources, rng, tag):
    """The posts in order: first sightings of each problem, and repeats of problems already posted."""
    posts, seen = [], []
    pending = list(range(len(problems)))
    for n in range(total):
        if seen and (rng.random() < repeat_share or not pending):
            problem = rng.choice(seen)
        else:
            problem = pending.pop()
            seen.append(problem)
        class_code, lon, lat = problems[problem]
        angle, metres = rng.uniform(0, 2 * math.pi), rng.uniform(0, 15)
        lon += metres * math.cos(angle) / (METRES_PER_DEGREE * math.cos(math.radians(lat)))
        lat += metres * math.sin(angle) / METRES_PER_DEGREE
        body = {
            "event_id": f"{tag}-{n}",
            "time": datetime.now(UTC).isoformat(),
            "class_code": class_code,
            "confidence": round(rng.uniform(0.6, 0.99), 3),
            "lon": round(lon, 7),
            "lat": round(lat, 7),
            "attributes": {"bench": tag, "track": n},
        }
        posts.append((problem, rng.randrange(sources), body))
    return posts


def start_worker(concurrency):
    """A Celery worker on the followup queue (where `followup.sensing_process` runs), as `make run` starts it."""
    log = (ROOT / "var" / "sensing-ingest-worker.log").open("w")
    quiet = ["--without-gossip", "--without-mingle", "--without-heartbeat", "--loglevel=WARNING"]
    process = subprocess.Popen(  # noqa: S603 - our own celery, fixed arguments
        [CELERY, "-A", "huizhou_cityops", "worker", "-Q", "followup", "-n", "bench-sensing@%h",
         "-c", str(concurrency), *quiet],
        cwd=ROOT, env=os.environ, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    time.sleep(3)  # the worker connects to the broker; a kick sent before waits in the queue anyway
    if process.poll() is not None:
        raise SystemExit("the worker did not start; see var/sensing-ingest-worker.log")
    return process


def drain(tag, timeout):
    """Wait until no event of this run is left `received`; the seconds it took (None: not within `timeout`)."""
    started = time.perf_counter()
    mine = SensingEvent.objects.filter(external_id__startswith=f"{tag}-", outcome="received")
    while time.perf_counter() - started < timeout:
        if not mine.exists():
            return time.perf_counter() - started
        time.sleep(0.2)
    return None


def outcomes_of(tag):
    """{event id: (outcome, case id)} of this run's events."""
    rows = SensingEvent.objects.filter(external_id__startswith=f"{tag}-").values_list(
        "external_id", "outcome", "case_id"
    )
    return {external_id: (outcome, case_id) for external_id, outcome, case_id in rows}


def encoded_requests(url, posts, keys):
    """Every post as the bytes of its HTTP/1.1 request, built before the clock starts (the client shares the CPU)."""
    host = urlsplit(url).netloc
    requests = []
    for problem, source, body in posts:
        payload = json.dumps(body, separators=(",", ":")).encode()
        head = (
            f"POST /api/v1/sensing/events/ HTTP/1.1\r\nHost: {host}\r\nX-Api-Key: {keys[source]}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(payload)}\r\n\r\n"
        )
        requests.append((problem, body["event_id"], head.encode() + payload))
    return requests


async def _answer(reader):
    """(status, JSON body or {}) of one HTTP/1.1 answer with a Content-Length."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    code = int(lines[0].split(" ", 2)[1])
    headers = dict(line.split(":", 1) for line in lines[1:] if ":" in line)
    headers = {name.strip().lower(): value.strip() for name, value in headers.items()}
    if "content-length" not in headers:
        raise RuntimeError(f"an answer without Content-Length: {lines[0]}")
    body = await reader.readexactly(int(headers["content-length"]))
    is_json = headers.get("content-type", "").startswith("application/json")
    return code, (json.loads(body) if is_json and body else {})


async def post_all(url, requests, concurrency):
    """Send every pre-encoded request over `concurrency` kept-alive connections; [(problem, status, answer, s)].

    A plain asyncio client (one write, one read per request): an HTTP library would take a good part of the CPU the
    server needs on this machine."""
    parts = urlsplit(url)
    queue = collections.deque(requests)
    results = []

    async def worker():
        reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
        try:
            while queue:
                problem, event_id, request = queue.popleft()
                started = time.perf_counter()
                for attempt in range(2):
                    try:
                        writer.write(request)
                        code, answer = await _answer(reader)
                        break
                    except (ConnectionError, asyncio.IncompleteReadError):
                        # The server closed a kept-alive connection (its keep-alive time-out): once more on a new one.
                        writer.close()
                        reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
                        if attempt:
                            raise
                elapsed = time.perf_counter() - started
                results.append((problem, code, {**answer, "event_id": event_id}, elapsed))
        finally:
            writer.close()

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return results


def _cpu_seconds(pids):
    """User + system CPU time of the processes (seconds), from /proc."""
    ticks, total = os.sysconf("SC_CLK_TCK"), 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError):
            continue
        total += int(fields[11]) + int(fields[12])
    return total / ticks


def server_pids(process):
    if process is None:
        return []
    return Path(f"/proc/{process.pid}/task/{process.pid}/children").read_text().split()


def database_pids():
    """The backends serving this database (the server's kept connections), this script's own excepted."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return [row[0] for row in cursor.fetchall()]


def percentile(values, share):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else float("nan")


def report(results, seconds, drained, outcomes, problems_posted):
    latencies = [r[3] for r in results]
    statuses = Counter(r[1] for r in results)
    accepted = statuses.get(202, 0) + statuses.get(200, 0)
    print(f"events: {len(results)} in {seconds:.1f} s = {accepted / seconds:.0f} events/s accepted")
    print(
        f"POST latency: p50 {percentile(latencies, 0.5) * 1000:.0f} ms, p95 {percentile(latencies, 0.95) * 1000:.0f} "
        f"ms, p99 {percentile(latencies, 0.99) * 1000:.0f} ms, max {max(latencies) * 1000:.0f} ms"
    )
    print(f"answers: {dict(statuses)}")
    if drained is None:
        print("drain: NOT finished (events still received); see var/sensing-ingest-worker.log")
        return False
    print(f"drain: {drained:.1f} s after the last answer; all processed {seconds + drained:.1f} s after the first post")
    print(f"end to end: {len(results) / (seconds + drained):.0f} events/s (events / (posting time + drain))")
    tally = Counter(outcome for outcome, _case in outcomes.values())
    print(f"outcomes: {dict(tally)}")
    by_problem = defaultdict(set)
    for problem, _status, answer, _elapsed in results:
        by_problem[problem].add(outcomes.get(answer["event_id"], (None, None))[1])
    split = [p for p, cases in by_problem.items() if len(cases) != 1 or None in cases]
    cases = [next(iter(ids)) for ids in by_problem.values() if len(ids) == 1]
    shared = len(cases) - len(set(cases))
    print(f"real problems posted: {problems_posted}; cases created: {tally.get('created', 0)}")
    print(f"problems with other than one case: {len(split)}; cases shared by two problems: {shared}")
    return not split and not shared and tally.get("created", 0) == problems_posted


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sources", type=int, default=100)
    parser.add_argument("--events", type=int, default=6000)
    parser.add_argument("--repeat", type=float, default=0.7)
    parser.add_argument("--concurrency", type=int, default=24)
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--url")
    parser.add_argument("--worker-concurrency", type=int, default=2)
    parser.add_argument("--drain-timeout", type=float, default=600)
    args = parser.parse_args()
    seed = args.seed if args.seed is not None else int(time.time())
    rng = random.Random(seed)
    keys = bench_sources(args.sources)
    problems = real_problems(math.ceil(args.events * (1 - args.repeat)) + 1, rng)
    tag = f"bench-{seed}"
    posts = detections(args.events, args.repeat, problems, args.sources, rng, tag)
    problems_posted = len({p for p, _s, _b in posts})
    connection.close()
    # Follow-up work an earlier run left on the queue is done first by this run's worker: say how much there is.
    waiting = redis.Redis.from_url(settings.CELERY_BROKER_URL).llen(settings.FOLLOWUP_QUEUE)
    process, url = (None, args.url) if args.url else start_server("sensing-ingest")
    worker = None if args.url else start_worker(args.worker_concurrency)
    try:
        servers, workers = server_pids(process), [worker.pid, *server_pids(worker)] if worker else []
        before, worker_before = _cpu_seconds(servers), _cpu_seconds(workers)
        requests = encoded_requests(url, posts, keys)
        client_cpu = time.process_time()
        started = time.perf_counter()
        results = asyncio.run(post_all(url, requests, args.concurrency))
        client_cpu = time.process_time() - client_cpu
        seconds = time.perf_counter() - started
        server_cpu = _cpu_seconds(servers) - before
        drained = drain(tag, args.drain_timeout)
        worker_cpu = _cpu_seconds(workers) - worker_before
        # The kept connections were opened during the run: their backends' whole CPU time is the run's.
        database_cpu = _cpu_seconds(database_pids())
        outcomes = outcomes_of(tag)
    finally:
        for child in (process, worker):
            if child is not None:
                child.terminate()
                child.wait(timeout=30)
    print(
        f"sensing ingest: {args.sources} sources, {args.events} events, {args.repeat:.0%} repeats, "
        f"{args.concurrency} connections, seed {seed}, {os.cpu_count()} CPUs; {waiting} messages waiting on the "
        f"{settings.FOLLOWUP_QUEUE} queue before the run"
    )
    ok = report(results, seconds, drained, outcomes, problems_posted)
    if process is not None:
        per_event = (server_cpu + worker_cpu + database_cpu) / len(results) * 1000
        print(
            f"CPU: server processes {server_cpu:.1f} s, worker {worker_cpu:.1f} s, database backends "
            f"{database_cpu:.1f} s = {per_event:.1f} ms per event (POST {server_cpu / len(results) * 1000:.1f} ms "
            f"on the server); the client {client_cpu:.1f} s (load average now {os.getloadavg()[0]:.1f})"
        )
    print("exactly one case per real problem: " + ("yes" if ok else "NO"))
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
