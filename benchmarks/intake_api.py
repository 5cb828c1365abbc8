"""Intake through the API against a bare DRF create: a grid worker's POST /api/v1/cases/, 1 and 4 clients.

    export DATABASE_URL=postgis://postgres@127.0.0.1:5432/cityops_1m
    .venv/bin/python benchmarks/intake_api.py          # [--cases 60] [--clients 4] [--repeats 15] [--json]

1. Prepares the baseline, benchmarks/bare_drf (one model with a point, a ModelSerializer, a ModelViewSet, token
   authentication), in a database of its own on the same PostgreSQL server (`--bare-database`, by default the
   project database's name + "_bare"; made and migrated when missing).
2. Starts both with the production server configuration (gunicorn, docker/gunicorn.conf.py: uvicorn workers; the
   project with its production settings), one after the other, never both at once.
3. Posts, in each of `--repeats` (15) rounds, `--cases` (60) reports with one client and `--cases` with `--clients`
   clients at once (one after the other, the order reversed every other round), each client on a keep-alive
   connection of its own, each report a JSON body without photos (category, description, point, address),
   authenticated by an API token: to the project as the demo grid worker (`gridworker`) at random points of their
   community and random event categories, to the baseline the same fields. Every answer must be 201.
4. Prints cases/s for each (the medians of the rounds), the ratio project / baseline, the scale factor (the median
   of the rounds' ratios, clients / one client: the machine's speed drifts from round to round), the server's
   CPU per case (its worker processes, from /proc) and the queries per case, counted in-process on one request
   authenticated by the token, as a client's is.

The cases it makes stay in the project database (they are ordinary reports in the grid worker's community);
use a copy. Goals: project >= 0.5x the baseline with one client; 4 clients >= 1.8x one client. `--json` prints, as
the last line, {"rows": [{"what", "value", "unit", "goal", "met", "baseline", "queries"}]}.
"""

import argparse
import http.client
import json
import logging
import os
import random
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from benchmarks.production_server import production_environ  # noqa: E402

BARE_SETTINGS = "benchmarks.bare_drf.settings"
BARE_MODE = "--bare-helper"

if BARE_MODE not in sys.argv:
    production_environ("intake-api")
else:
    os.environ["DJANGO_SETTINGS_MODULE"] = BARE_SETTINGS

import django  # noqa: E402

django.setup()

from django.contrib.gis.geos import Point  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from rest_framework.test import APIClient  # noqa: E402

TICKS = os.sysconf("SC_CLK_TCK")


def bare_helper():
    """In the baseline's settings: a user with a token, and the queries of one create. Prints one JSON line."""
    from django.contrib.auth.models import User
    from rest_framework.authtoken.models import Token

    user, _ = User.objects.get_or_create(username="bench")
    token, _ = Token.objects.get_or_create(user=user)
    api = APIClient()
    api.force_authenticate(user)
    body = {"category": "E0102", "description": "暴露垃圾", "lon": 114.4, "lat": 23.1, "address": "东湖路"}
    with CaptureQueriesContext(connection) as queries:
        response = api.post("/reports/", body, format="json")
    assert response.status_code == 201, response.content
    print(json.dumps({"token": token.key, "queries": len(queries) + 1}))


def bare_prepare(url):
    """Make and migrate the baseline's database; (token, queries per create)."""
    import psycopg2

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    for database, statement in (("postgres", None), (name, "CREATE EXTENSION IF NOT EXISTS postgis")):
        conn = psycopg2.connect(urlunsplit(("postgresql", parts.netloc, f"/{database}", "", "")))
        conn.autocommit = True
        with conn.cursor() as cursor:
            if statement is None:
                cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
                if cursor.fetchone() is None:
                    cursor.execute(f'CREATE DATABASE "{name}"')
            else:
                cursor.execute(statement)
        conn.close()
    env = {**os.environ, "BARE_DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": BARE_SETTINGS}
    python = sys.executable
    subprocess.run(  # noqa: S603 - our own interpreter and module
        [python, "-m", "django", "migrate", "--verbosity", "0"], cwd=ROOT, env=env, check=True
    )
    out = subprocess.run(  # noqa: S603 - this script in its baseline mode
        [python, __file__, BARE_MODE], cwd=ROOT, env=env, check=True, capture_output=True, text=True
    ).stdout
    found = json.loads(out.strip().splitlines()[-1])
    return found["token"], found["queries"]


def project_prepare():
    """The grid worker's token, a body maker (random points of their community, random event classes) and the
    queries of one report, counted in this process."""
    from django.conf import settings

    from accounts.models import User
    from accounts.scope import user_scope
    from accounts.security.tokens import token_issue
    from cases.models import Category
    from grids.models import Region

    user = User.objects.get(username="gridworker")
    path = next(iter(user_scope(user).region_roles))
    community = Region.objects.get(path=path)
    minx, miny, maxx, maxy = community.geom.extent
    classes = [
        f"{kind}{code}"
        for kind, code in Category.objects.filter(parent__isnull=False, active=True, kind="E").values_list(
            "kind", "code"
        )
    ]
    prepared = community.geom.prepared
    rng = random.Random(7)

    def body():
        while True:
            lon, lat = rng.uniform(minx, maxx), rng.uniform(miny, maxy)
            if prepared.contains(Point(lon, lat, srid=4326)):
                break
        return {
            "category": rng.choice(classes),
            "description": "路边有暴露垃圾,请尽快处理",
            "lon": lon,
            "lat": lat,
            "address": "东湖路 12 号",
        }

    key = token_issue(user=user).key
    api = APIClient(SERVER_NAME="localhost")
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")  # as a client pays it: the token, its user and scope
    settings.API_DB_THREADS = 0  # counted on this thread's connection
    api.post("/api/v1/cases/", body(), format="json")  # the per-process caches, as a running server has them
    with CaptureQueriesContext(connection) as queries:
        response = api.post("/api/v1/cases/", body(), format="json")
    assert response.status_code == 201, response.content[:500]
    return key, body, len(queries)


def server_pids(process) -> list[str]:
    """The process ids of the server's workers."""
    return Path(f"/proc/{process.pid}/task/{process.pid}/children").read_text().split()


def server_cpu(process) -> float:
    """CPU seconds (user + system) of the server's worker processes so far."""
    total = 0
    for pid in server_pids(process):
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])
    return total / TICKS


def post_many(url, path, token, bodies, clients):
    """Post every body, `clients` at a time, each client on a keep-alive connection of its own; the elapsed seconds.

    The clients are the standard library's http.client with the bodies encoded beforehand: about 0.35 ms of this
    process's CPU per post, where httpx took 1.4-2.3 ms (more the more clients share its interpreter). The machine's
    two cores serve the server and PostgreSQL as well, so a heavier client would measure itself."""
    parts = urlsplit(url)
    headers = {"Authorization": f"Token {token}", "Content-Type": "application/json"}
    queue = [json.dumps(body).encode() for body in bodies]
    lock = threading.Lock()
    failures = []

    def loop():
        client = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
        try:
            while True:
                with lock:
                    if not queue:
                        return
                    body = queue.pop()
                client.request("POST", path, body, headers)
                response = client.getresponse()
                text = response.read()
                if response.status != 201:
                    failures.append(f"{response.status} {text[:300].decode(errors='replace')}")
        except (OSError, http.client.HTTPException) as error:  # a dropped connection: the run is not counted
            failures.append(f"{type(error).__name__}: {error}")
        finally:
            client.close()

    threads = [threading.Thread(target=loop) for _ in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    if failures:
        raise SystemExit(f"{path}: {len(failures)} posts failed, first: {failures[0]}")
    return elapsed


def measure(name, app, env, path, token, body, args):
    """{clients: [(cases/s, server CPU ms per case), ...]} for 1 and `--clients` clients in `--repeats` rounds, the
    order reversed every other round: the machine's speed drifts, and a round's two runs, a few seconds apart, see
    the same machine."""
    from benchmarks.production_server import start_server, stop_server

    process, url = start_server(name, app=app, env=env, ready=path)
    try:
        # Warm the workers, their database threads and connections, as on a server that has run a while: as many
        # clients as workers, four times over (each time's connections land on the workers as they happen to wake).
        workers = len(server_pids(process))
        for _time in range(4):
            post_many(url, path, token, [body() for _ in range(10 * workers)], workers)
        found = {clients: [] for clients in sorted({1, args.clients})}
        for repeat in range(args.repeats):
            for clients in sorted(found, reverse=bool(repeat % 2)):
                bodies = [body() for _ in range(args.cases)]
                cpu = server_cpu(process)
                elapsed = post_many(url, path, token, bodies, clients)
                found[clients].append((args.cases / elapsed, (server_cpu(process) - cpu) * 1000 / args.cases))
        return found
    finally:
        stop_server(process)


def round_ratios(runs, clients):
    """Each round's rate with `clients` clients over its rate with one: the two runs of a round are seconds apart, so
    the machine's drift between rounds cancels."""
    return [many[0] / one[0] for one, many in zip(runs[1], runs[clients], strict=True)]


def medians(runs):
    """(median cases/s, median server CPU ms per case) of a list of runs."""
    return statistics.median(rate for rate, _cpu in runs), statistics.median(cpu for _rate, cpu in runs)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=60, help="posts per run")
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument(
        "--repeats", type=int, default=15, help="rounds of a run of each; medians of the rates and the rounds' ratios"
    )
    parser.add_argument("--bare-database", help="the baseline's database URL (default: <DATABASE_URL>_bare)")
    parser.add_argument("--json", action="store_true", help="print the figures as one JSON object, last")
    args = parser.parse_args()
    logging.getLogger("httpx").setLevel(logging.WARNING)
    database = os.environ.get("DATABASE_URL", "postgis://postgres@127.0.0.1:5432/cityops")
    bare_url = args.bare_database or f"{database}_bare"
    load = os.getloadavg()
    bare_token, bare_queries = bare_prepare(bare_url)
    token, body, queries = project_prepare()
    connection.close()
    bare_env = {"DJANGO_SETTINGS_MODULE": BARE_SETTINGS, "BARE_DATABASE_URL": bare_url}
    bare_runs = measure("intake-bare", "benchmarks.bare_drf.asgi", bare_env, "/reports/", bare_token, body, args)
    our_runs = measure("intake-api", "huizhou_cityops.asgi", {}, "/api/v1/cases/", token, body, args)
    bare = {clients: medians(runs) for clients, runs in bare_runs.items()}
    ours = {clients: medians(runs) for clients, runs in our_runs.items()}
    n = args.clients
    print(f"{args.cases} posts per run, {args.repeats} rounds of a run of each (medians); "
          f"load average at start {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")  # fmt: skip
    for label, found, runs, count in (
        ("bare DRF create", bare, bare_runs, bare_queries),
        ("CityOps intake", ours, our_runs, queries),
    ):
        for clients, (rate, cpu) in found.items():
            each = ", ".join(f"{r:.1f}" for r, _c in runs[clients])
            print(
                f"{label:16} {clients} client(s): {rate:7.1f} cases/s ({each}), server CPU {cpu:5.1f} ms/case, "
                f"{count} queries"
            )
    ratio1, ration = ours[1][0] / bare[1][0], ours[n][0] / bare[n][0]
    pairs, bare_pairs = round_ratios(our_runs, n), round_ratios(bare_runs, n)
    scale = statistics.median(pairs)
    each = ", ".join(f"{pair:.2f}" for pair in pairs)
    print(f"ratio to the baseline: {ratio1:.2f}x with 1 client, {ration:.2f}x with {n}; "
          f"{n} clients / 1: {scale:.2f}x (median of the rounds' {each}; "
          f"baseline {statistics.median(bare_pairs):.2f}x)")  # fmt: skip
    print(f"load average at end {os.getloadavg()[0]:.2f}")
    if args.json:
        rows = [
            _row("intake, 1 client", ours[1][0], "/s", "", None, bare[1][0], queries),
            _row(f"intake, {n} clients", ours[n][0], "/s", "", None, bare[n][0], queries),
            _row("intake / bare DRF create, 1 client", ratio1, "x", ">= 0.5x", ratio1 >= 0.5, None, queries),
            _row(f"intake, {n} clients / 1 client", scale, "x", ">= 1.8x", scale >= 1.8, None, queries),
            _row("intake server CPU per case", ours[1][1], "ms", "", None, bare[1][1], queries),
        ]
        print(json.dumps({"rows": rows}, ensure_ascii=False))


def _row(what, value, unit, goal, met, baseline, queries):
    met = True if met is None else met
    base = None if baseline is None else round(baseline, 2)
    return {"what": what, "value": round(value, 2), "unit": unit, "goal": goal or "measured", "met": met,
            "baseline": base, "queries": queries}  # fmt: skip


if __name__ == "__main__":
    if BARE_MODE in sys.argv:
        bare_helper()
    else:
        main()
