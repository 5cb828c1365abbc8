"""Database connections of the production server: per-request time and PostgreSQL connections under load.

Usage: .venv/bin/python benchmarks/db_connections.py [--requests 200] [--concurrency 16] [--json]
Needs the demo (`manage.py seed_demo`) in the configured database (DATABASE_URL). Starts the production server
(benchmarks/production_server.py: gunicorn with uvicorn workers, production settings; log var/db-connections-
server.log) three ways and for each one times `--requests` requests one after another (the grid worker's
notifications in the API: the session, the user and one small list, three queries), then sends `--concurrency`
at once for the same number of rounds while counting the PostgreSQL backends of the database every 0.1 s, and
counts them again 3 s after the load:

1. CONN_MAX_AGE=0, straight to PostgreSQL: every request opens a connection (a new PostgreSQL backend) and closes it.
2. With --persistent, CONN_MAX_AGE=600, straight to PostgreSQL: Django's persistent connections, which under ASGI
   belong to the request's own thread, so they pile up (one per request until their threads are collected) and
   can exhaust PostgreSQL's max_connections, for everyone using that server: run it on a server of your own.
3. CONN_MAX_AGE=0 through PgBouncer in session mode (docs/deploy.md): the request's connection goes to the pooler,
   which hands it one of a few server connections it keeps open. Skipped when `pgbouncer` is not installed
   (apt-get install pgbouncer); this script starts its own on a free port with a configuration in a temporary
   folder, as the user `postgres` (PgBouncer does not run as root).
"""

import argparse
import asyncio
import json
import logging
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from benchmarks.production_server import production_environ, session_cookie, start_server  # noqa: E402

production_environ("db-connections")

import django  # noqa: E402

django.setup()

import httpx  # noqa: E402
import psycopg2  # noqa: E402
from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection  # noqa: E402

PATH = "/api/v1/notifications/"
BASELINE_MS = 18  # what opening a PostgreSQL connection added to every request before (README)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_pgbouncer(folder: Path):
    """(process, port) of a PgBouncer in session mode in front of the configured PostgreSQL, or None."""
    binary = shutil.which("pgbouncer") or ("/usr/sbin/pgbouncer" if Path("/usr/sbin/pgbouncer").exists() else None)
    if binary is None:
        return None
    db = settings.DATABASES["default"]
    port = _free_port()
    (folder / "users.txt").write_text(f'"{db["USER"]}" "{db.get("PASSWORD") or ""}"\n')
    (folder / "pgbouncer.ini").write_text(
        f"""[databases]
* = host={db["HOST"] or "127.0.0.1"} port={db["PORT"] or 5432}
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {port}
unix_socket_dir =
auth_type = trust
auth_file = {folder / "users.txt"}
pool_mode = session
default_pool_size = 20
max_client_conn = 1000
server_reset_query = DISCARD ALL
server_check_query = SELECT 1
ignore_startup_parameters = extra_float_digits
logfile = {folder / "pgbouncer.log"}
log_connections = 0
log_disconnections = 0
"""
    )
    shutil.chown(folder, user="postgres")  # the pooler runs as postgres and writes its log there
    process = subprocess.Popen(  # noqa: S603 - the installed pgbouncer, our own configuration
        [binary, "-u", "postgres", str(folder / "pgbouncer.ini")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return process, port
        except OSError:
            time.sleep(0.1)
    process.terminate()
    return None


def backends(dsn: dict) -> int:
    with psycopg2.connect(**dsn) as conn, conn.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()", [dsn["dbname"]]
        )
        count = cursor.fetchone()[0]
    conn.close()
    return count


async def _load(url, cookie, count, concurrency):
    timings, statuses = [], {}

    async def loop(client, n):
        for _ in range(n):
            started = time.perf_counter()
            response = await client.get(url + PATH, headers={"Cookie": cookie})
            timings.append(time.perf_counter() - started)
            statuses[response.status_code] = statuses.get(response.status_code, 0) + 1

    async with httpx.AsyncClient(timeout=60) as client:
        await asyncio.gather(*(loop(client, count) for _ in range(concurrency)))
    return sorted(timings), statuses


def measure(name, environ, cookie, dsn, args):
    process, url = start_server("db-connections", env=environ)
    try:
        asyncio.run(_load(url, cookie, 5, 5))  # warm-up: every worker has served a request
        sequential, statuses = asyncio.run(_load(url, cookie, args.requests, 1))
        peak, stop = [0], threading.Event()

        def sample():
            while not stop.is_set():
                peak[0] = max(peak[0], backends(dsn))
                time.sleep(0.1)

        sampler = threading.Thread(target=sample)
        sampler.start()
        loaded, more = asyncio.run(_load(url, cookie, args.requests // args.concurrency + 1, args.concurrency))
        stop.set()
        sampler.join()
        time.sleep(3)
        after = backends(dsn)
    finally:
        process.terminate()
        process.wait(timeout=30)
    for status, count in more.items():
        statuses[status] = statuses.get(status, 0) + count
    return {
        "name": name,
        "median_ms": sequential[len(sequential) // 2] * 1000,
        "p95_ms": sequential[int(len(sequential) * 0.95)] * 1000,
        "loaded_median_ms": loaded[len(loaded) // 2] * 1000,
        "peak_backends": peak[0],
        "after_backends": after,
        "statuses": statuses,
    }


def main() -> int:
    logging.getLogger("httpx").setLevel(logging.WARNING)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200, help="requests one after another (default 200)")
    parser.add_argument("--concurrency", type=int, default=16, help="requests at once under load (default 16)")
    parser.add_argument(
        "--persistent", action="store_true", help="also CONN_MAX_AGE=600 (leaks connections: see the docstring)"
    )
    parser.add_argument("--json", action="store_true", help="print the figures as one JSON object, last line")
    args = parser.parse_args()

    user = get_user_model().objects.filter(username="gridworker").first()
    if user is None:
        print("No demo grid worker: run `manage.py seed_demo` first.", file=sys.stderr)
        return 1
    cookie = session_cookie(user)
    db = settings.DATABASES["default"]
    dsn = {"dbname": db["NAME"], "user": db["USER"], "host": db["HOST"] or "127.0.0.1", "port": db["PORT"] or 5432}
    if db.get("PASSWORD"):
        dsn["password"] = db["PASSWORD"]
    connection.close()

    url = urlsplit(os.environ["DATABASE_URL"])
    results = [measure("CONN_MAX_AGE=0, straight to PostgreSQL", {"CONN_MAX_AGE": "0"}, cookie, dsn, args)]
    if args.persistent:
        results.append(measure("CONN_MAX_AGE=600, straight to PostgreSQL", {"CONN_MAX_AGE": "600"}, cookie, dsn, args))
    with tempfile.TemporaryDirectory() as folder:
        pooler = start_pgbouncer(Path(folder))
        if pooler is None:
            print("pgbouncer is not installed: the pooled configuration is skipped.")
        else:
            process, port = pooler
            host = url.netloc.rsplit("@", 1)
            netloc = (host[0] + "@" if len(host) == 2 else "") + f"127.0.0.1:{port}"
            pooled = urlunsplit(url._replace(netloc=netloc))
            try:
                results.append(
                    measure(
                        "CONN_MAX_AGE=0 through PgBouncer (session mode)",
                        {"CONN_MAX_AGE": "0", "DATABASE_URL": pooled},
                        cookie,
                        dsn,
                        args,
                    )
                )
            finally:
                process.terminate()
                process.wait(timeout=10)

    load = os.getloadavg()
    for r in results:
        print(r["name"])
        print(f"  one at a time: median {r['median_ms']:.1f} ms, p95 {r['p95_ms']:.1f} ms ({PATH})")
        print(f"  {args.concurrency} at once: median {r['loaded_median_ms']:.1f} ms; PostgreSQL backends at most")
        print(f"  {r['peak_backends']}, {r['after_backends']} still open 3 s after; statuses {r['statuses']}")
    print(f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    if args.json:
        direct = results[0]["median_ms"]
        rows = [
            {"what": f"request one at a time, {r['name']} ({r['peak_backends']} PostgreSQL backends at most under "
                     f"load, {r['after_backends']} open after)",
             "value": round(r["median_ms"], 1), "unit": "ms", "goal": "no connection set-up per request",
             "met": r is not results[0] and r["median_ms"] < direct, "baseline": round(direct, 1), "queries": 3}
            for r in results
        ]  # fmt: skip
        print(json.dumps({"rows": rows}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
