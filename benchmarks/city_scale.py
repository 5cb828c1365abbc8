"""City-scale benchmark: every surface's goal on one database of a million cases in steady state, in one table.

    .venv/bin/python benchmarks/city_scale.py --database-url postgis://postgres@127.0.0.1:5432/cityops_1m --build
    .venv/bin/python benchmarks/city_scale.py --database-url postgis://postgres@127.0.0.1:5432/cityops_1m [--json]

1. The database: with --build it is made if missing (a copy of --template, or migrate + seed_demo), migrated,
   topped up to --cases cases with `seed_load` in steady state (cases arriving over the past year, open
   while their history runs), vacuumed and analysed as autovacuum would have, its finished days rolled up and ended
   periods frozen and its tab counters' changes folded as beat would have; without it the database is used as it
   is, and its case counts are printed.
2. Runs each surface's script of SURFACES in turn (`<script> --json` with DATABASE_URL set to the database), one
   after the other so they do not measure each other, each after what beat does every minute in production (the
   tab counters' changes folded, `beat_between`). Each prints, as its LAST stdout line,
   {"rows": [{"what", "value", "unit", "goal", "met", "baseline", "queries"}]}, each value measured against its
   baseline in the same run. A script that is missing gives a "not available" row, one that fails or prints no
   rows a "failed" row with the end of its output; the others go on.
3. Prints the whole table (what, value, goal, baseline, queries, met) and a last line: how many goals are met.
   With --json the last line is then {"rows": [...], "met": n, "goals": m}.
"""

import argparse
import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Surface:
    script: str  # file name under the scripts directory
    what: str  # the goal's row(s), named when the script cannot give them
    goal: str
    timeout: int = 1800  # seconds


SURFACES = (
    Surface("intake_api.py", "case intake through the API (grid worker)", "≥ 0.5× bare create; 4 clients ≥ 1.8×"),
    Surface("command_counts.py", "/command/ page and /command/counts/ (city-wide user)", "≤ 100 ms, ≤ 20 ms"),
    Surface("case_map.py", "case map at every zoom", "≤ 150 ms and ≤ 100 KB, all open cases"),
    Surface("api_list.py", "API case list, first pages and deep pages with a filter", "p95 ≤ 50 ms"),
    Surface("assessment_dashboard.py", "assessment dashboard, live month", "≤ 2 s first, ≤ 300 ms cached"),
    Surface("assessment_month.py", "monthly assessment vs hand-written SQL", "≤ 1.1×"),
    Surface("locate_points.py", "point → grid lookup", "≥ 10,000/s per process"),
    Surface("worker_memory.py", "web worker memory", "≤ 120 MB peak; persistent connections"),
    Surface("command_shift.py", "command centre, 10 events/s and 50 open screens", "p95 ≤ 200 ms"),
)  # fmt: skip

COLUMNS = ("what", "value", "goal", "baseline", "queries", "met")


def surface_rows(surface: Surface, *, scripts: Path, env: dict, python: str = sys.executable) -> list[dict]:
    """The rows one surface's script reports, or one row saying why there are none."""
    path = scripts / surface.script
    if not path.exists():
        return [_missing(surface, "not available", f"{surface.script} is not in {scripts}")]
    started = time.monotonic()
    try:
        done = subprocess.run(  # noqa: S603 - our own scripts, fixed arguments
            [python, str(path), "--json"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=surface.timeout
        )
    except subprocess.TimeoutExpired:
        return [_missing(surface, "failed", f"no answer within {surface.timeout} s")]
    seconds = time.monotonic() - started
    lines = [line for line in done.stdout.splitlines() if line.strip()]
    rows = _rows_of(lines[-1]) if lines else None
    if done.returncode != 0 or rows is None:
        tail = (done.stderr.strip() or done.stdout.strip()).splitlines()[-3:]
        why = f"exit {done.returncode}" if done.returncode else "no JSON rows on its last line"
        return [_missing(surface, "failed", f"{why}: {' / '.join(tail)}"[:300])]
    for row in rows:
        row.setdefault("script", surface.script)
        row["seconds"] = round(seconds, 1)
    return rows


def _rows_of(line: str):
    try:
        data = json.loads(line)
    except ValueError:
        return None
    rows = data.get("rows") if isinstance(data, dict) else None
    if not isinstance(rows, list) or not rows or not all(isinstance(r, dict) and "what" in r for r in rows):
        return None
    return [
        {name: r.get(name) for name in ("what", "value", "unit", "goal", "met", "baseline", "queries")} for r in rows
    ]


def _missing(surface, state, why):
    return {
        "what": surface.what, "value": None, "unit": "", "goal": surface.goal, "met": None,
        "baseline": None, "queries": None, "script": surface.script, "state": state, "why": why,
    }  # fmt: skip


def _cell(row, name):
    value = row.get(name)
    if name == "value":
        if value is None:
            return row.get("state", "—")
        return (
            f"{value:,}{' ' + row['unit'] if row.get('unit') else ''}" if isinstance(value, int | float) else str(value)
        )
    if name == "met":
        return "—" if value is None else "yes" if value else "NO"
    return "—" if value is None else str(value)


def table(rows: list[dict]) -> str:
    """The rows as a Markdown table, then the reasons for the rows without a value."""
    lines = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    lines += ["| " + " | ".join(_cell(row, name).replace("|", "/") for name in COLUMNS) + " |" for row in rows]
    lines += [f"  {row['script']}: {row['state']}: {row['why']}" for row in rows if row.get("state")]
    return "\n".join(lines)


def summary(rows: list[dict]) -> str:
    met = sum(row.get("met") is True for row in rows)
    missing = sum(row.get("met") is None for row in rows)
    return f"{met} of {len(rows)} goals met ({missing} not measured: script missing or failed)"


# ---- the database ----


def _connect(url: str, *, database: str | None = None):
    import psycopg2

    parts = urlsplit(url)
    return psycopg2.connect(
        host=parts.hostname or "127.0.0.1", port=parts.port or 5432, user=parts.username or "postgres",
        password=parts.password or None, dbname=database or parts.path.lstrip("/"),
    )  # fmt: skip


def database_counts(url: str):
    """(cases, open cases) of the database, or None when it does not exist."""
    import psycopg2

    try:
        connection = _connect(url)
    except psycopg2.OperationalError:
        return None
    with connection, connection.cursor() as cursor:
        cursor.execute("SELECT count(*), count(*) FILTER (WHERE closed_at IS NULL) FROM cases_case")
        counts = cursor.fetchone()
    connection.close()
    return counts


def _manage(env, *arguments):
    print(f"manage.py {' '.join(arguments)}", flush=True)
    subprocess.run([sys.executable, "manage.py", *arguments], cwd=ROOT, env=env, check=True)  # noqa: S603


def build(url: str, *, cases: int, template: str, env: dict):
    """Make the database if missing and top it up to `cases` cases in steady state; the seconds it took."""
    started = time.monotonic()
    env = {**env, "DEBUG": "1"}
    if database_counts(url) is None:
        name = urlsplit(url).path.lstrip("/")
        connection = _connect(url, database="postgres")
        connection.autocommit = True
        with connection.cursor() as cursor:
            cursor.execute(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
        connection.close()
        if not template:
            with _connect(url) as created, created.cursor() as cursor:
                cursor.execute("CREATE EXTENSION IF NOT EXISTS postgis")
            _manage(env, "migrate", "--no-input")
            _manage(env, "seed_demo")
    _manage(env, "migrate", "--no-input")  # a copy or an older database gets this code's indexes
    have = database_counts(url)[0]
    if have < cases:
        _manage(env, "seed_load", "--cases", str(cases - have))
    # What beat does every minute in production: the tab counters' changes folded (the load's cases wrote theirs).
    _manage(env, "queue_counts", "--compact", "--check")
    # What autovacuum has done by then in production: the bulk-loaded rows visible to index-only scans, statistics
    # current (a just-loaded table is neither, and every reading would visit the heap for each row).
    print("VACUUM (ANALYZE)", flush=True)
    vacuumed = _connect(url)
    vacuumed.autocommit = True
    with vacuumed.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE)")
    vacuumed.close()
    # What beat has done by then in production: every finished day rolled up, and every period that ended since the
    # first case frozen as it ended (the assessment's live month reads them, and a dashboard's trend reads the past
    # months' freezes; without them its first request counts a year of events and its trend computes each month).
    _manage(env, "assessment_rollups")
    _manage(env, "assessment_freeze")
    _manage(env, "assessment_freeze", "--backfill", "--kinds", "week,month,quarter,year")
    return time.monotonic() - started


def beat_between(url: str, env: dict) -> None:
    """Before each script, what beat (and autovacuum) would have done in production since the last one: the tab
    counters' changes folded and their tables vacuumed. Without it, the changes of every case the earlier scripts
    moved pile up for each later one to add together; a running server folds them every minute. The recount that
    follows checks the counters against the cases (and says so when they differ)."""
    _manage(env, "queue_counts", "--compact", "--check")
    vacuumed = _connect(url)
    vacuumed.autocommit = True
    with vacuumed.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE) dispatch_queuecountdelta, dispatch_queuecount")
    vacuumed.close()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL"), help="Default: DATABASE_URL.")
    parser.add_argument("--build", action="store_true", help="Make the database if missing, top it up to --cases.")
    parser.add_argument("--cases", type=int, default=1_000_000, help="Cases --build loads (default 1,000,000).")
    parser.add_argument("--template", default="", help="With --build: copy this database rather than seed_demo.")
    parser.add_argument("--only", default="", help="Comma-separated script names: run only these.")
    parser.add_argument("--scripts", type=Path, default=ROOT / "benchmarks", help="Where the surfaces' scripts are.")
    parser.add_argument("--json", action="store_true", help="End with every row as one JSON line.")
    args = parser.parse_args(argv)
    if not args.database_url:
        parser.error("give --database-url or set DATABASE_URL")
    env = {**os.environ, "DATABASE_URL": args.database_url}
    if args.build:
        print(f"database ready in {build(args.database_url, cases=args.cases, template=args.template, env=env):.0f} s")
    counts = database_counts(args.database_url)
    if counts is None:
        raise SystemExit(f"no database at {args.database_url}: give --build")
    print(f"{counts[0]:,} cases, {counts[1]:,} open; load average {', '.join(f'{v:.1f}' for v in os.getloadavg())}")
    from psycopg2 import Error as DatabaseError

    chosen = [s for s in SURFACES if not args.only or s.script in args.only.split(",")]
    rows = []
    for surface in chosen:
        if (args.scripts / surface.script).exists():
            try:
                beat_between(args.database_url, env)
            except (subprocess.CalledProcessError, DatabaseError) as error:
                # Not measured on counters left unfolded: a row that says why, and the others go on.
                rows.append(_missing(surface, "failed", f"beat's catch-up before it failed: {error}"[:300]))
                continue
        print(f"running {surface.script} …", flush=True)
        rows += surface_rows(surface, scripts=args.scripts, env=env)
    print(table(rows))
    print(summary(rows))
    if args.json:
        met = sum(row.get("met") is True for row in rows)
        print(json.dumps({"rows": rows, "met": met, "goals": len(rows)}, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
