"""Benchmark: the grid workers' missed reports (漏报) of one day, from patrol tracks. Run it on a database of its own.

    .venv/bin/python benchmarks/assessment_missed.py [--workers 10000] [--points 2000] [--reports 20000] [--keep]

Writes a synthetic day into the configured database (tagged, removed afterwards unless --keep): one 2 × 2 block of
unit grids per worker (0.001° cells, laid out in a square), a city-management patrol area per block with its worker,
one 10-hour patrol session per worker with `--points` track points wandering over the block and around it, and
`--reports` hotline/public reports in the blocks, filed. Then it times the missed-report statement alone and the
whole posts statement of the day (every post's counts, missed included), checks the count against a plain
per-worker recount, and prints the plan's top lines. Track points go in with COPY-like speed (INSERT … SELECT
generate_series) with the indexes dropped and rebuilt, as a bulk load would.
"""

import argparse
import os
import statistics
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "huizhou_cityops.settings.local")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection, transaction  # noqa: E402

from assessment.indicators.missed import missed_sql  # noqa: E402
from assessment.indicators.sql import _params, post_counts  # noqa: E402
from assessment.periods import span_containing  # noqa: E402

TAG = "bench-missed"
TZ = ZoneInfo("Asia/Shanghai")
DAY = span_containing("day", datetime(2031, 3, 4).date())  # a day no demo or load touches
CELL = 0.001
ORIGIN = (114.30, 22.95)


def _sql(statement, params=None):
    with connection.cursor() as cursor:
        cursor.execute(statement, params or {})
        return cursor.fetchall() if cursor.description else None


def setup(workers, points, reports):
    started = time.monotonic()
    community = _sql("SELECT id, path, code FROM grids_region WHERE level = 'community' ORDER BY code LIMIT 1")[0]
    User = get_user_model()
    unusable = "!"  # no password: these people never sign in
    people = [User(username=f"{TAG}-{i}", full_name=f"网格员{i}", password=unusable) for i in range(workers)]
    User.objects.bulk_create(people, batch_size=5000)
    side = int(workers**0.5) + 1
    with transaction.atomic():
        # Four cells per worker: block i at column i % side, row i // side.
        _sql(
            f"""
            INSERT INTO grids_region (code, name, level, depth, parent_id, path, area_class, geom, synthetic,
                                      geom_source)
            SELECT '98' || lpad((u.n * 4 + k)::text, 13, '0'), '{TAG}-' || u.n, 'unit', 4, %(community)s,
                   %(path)s || '98' || lpad((u.n * 4 + k)::text, 13, '0') || '/', '2',
                   ST_Multi(ST_MakeEnvelope(x, y, x + {CELL}, y + {CELL}, 4326)), true, 'benchmark'
            FROM (SELECT n, {ORIGIN[0]} + (n %% {side}) * 3 * {CELL} AS bx,
                         {ORIGIN[1]} + (n / {side}) * 3 * {CELL} AS by
                  FROM generate_series(0, %(workers)s - 1) n) u,
                 LATERAL (SELECT k, u.bx + (k %% 2) * {CELL} AS x, u.by + (k / 2) * {CELL} AS y
                          FROM generate_series(0, 3) k) c
            """,  # noqa: S608 - constants of this script
            {"community": community[0], "path": community[1], "workers": workers},
        )
        _sql(
            f"""
            INSERT INTO grids_patrolarea (code, name, network, community_id, active)
            SELECT '{TAG}-' || n, 'bench', 'city_management', %(community)s, true
            FROM generate_series(0, %(workers)s - 1) n
            """,  # noqa: S608
            {"community": community[0], "workers": workers},
        )
        _sql(
            f"""
            INSERT INTO grids_patrolarea_unit_grids (patrolarea_id, region_id)
            SELECT a.id, r.id FROM grids_patrolarea a
            JOIN grids_region r ON r.name = a.code AND r.level = 'unit' AND r.geom_source = 'benchmark'
            WHERE a.code LIKE '{TAG}-%%'
            """  # noqa: S608
        )
        _sql(
            f"""
            INSERT INTO grids_patrolarea_workers (patrolarea_id, user_id)
            SELECT a.id, u.id FROM grids_patrolarea a JOIN accounts_user u ON u.username = a.code
            WHERE a.code LIKE '{TAG}-%%'
            """  # noqa: S608
        )
        _sql(
            f"""
            INSERT INTO grids_patrolsession (user_id, patrol_area_id, client_id, started_at, ended_at, points,
                                             distance_m)
            SELECT u.id, a.id, gen_random_uuid(), %(start)s, %(end)s, %(points)s, 0
            FROM accounts_user u JOIN grids_patrolarea a ON a.code = u.username WHERE u.username LIKE '{TAG}-%%'
            """,  # noqa: S608
            {"start": DAY.start + timedelta(hours=8), "end": DAY.start + timedelta(hours=18), "points": points},
        )
    print(
        f"setup: {workers:,} workers, {4 * workers:,} unit grids, areas, sessions ({time.monotonic() - started:.1f} s)"
    )
    _tracks(points)
    _reports(reports, workers, side)


TRACK_INDEXES = ("grids_trackpoint_point_c7ee89e6_id", "track_point_session_gist", "track_point_user_time")


def _tracks(points):
    """The track points of every session, indexes rebuilt after the load (as a bulk import would)."""
    started = time.monotonic()
    definitions = dict(
        _sql(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'grids_trackpoint' AND indexname = ANY(%s)",
            [list(TRACK_INDEXES)],
        )
    )
    for name in definitions:
        _sql(f'DROP INDEX "{name}"')
    # A walk over the block and a cell's width around it: points every 10 h / points, within the session.
    _sql(
        f"""
        INSERT INTO grids_trackpoint (session_id, user_id, recorded_at, point, accuracy_m)
        SELECT s.id, s.user_id, s.started_at + g * (interval '10 hours' / %(points)s),
               ST_SetSRID(ST_MakePoint(ST_XMin(b.box) - {CELL} + random() * {4 * CELL},
                                       ST_YMin(b.box) - {CELL} + random() * {4 * CELL}), 4326), 10
        FROM grids_patrolsession s
        JOIN LATERAL (SELECT ST_Extent(r.geom)::geometry AS box FROM grids_patrolarea_unit_grids pu
                      JOIN grids_region r ON r.id = pu.region_id WHERE pu.patrolarea_id = s.patrol_area_id) b ON true
        CROSS JOIN generate_series(0, %(points)s - 1) g
        WHERE s.client_id IS NOT NULL AND s.started_at = %(start)s
        """,  # noqa: S608
        {"points": points, "start": DAY.start + timedelta(hours=8)},
    )
    loaded = time.monotonic() - started
    for definition in definitions.values():
        _sql(definition)
    _sql("ANALYZE grids_trackpoint")
    total = _sql("SELECT count(*) FROM grids_trackpoint")[0][0]
    rebuilt = time.monotonic() - started - loaded
    print(f"tracks: {total:,} points loaded in {loaded:.1f} s, indexes rebuilt in {rebuilt:.1f} s")


def _reports(reports, workers, side):
    """Hotline and public reports at random points of the blocks during the day, each reported, accepted, filed."""
    started = time.monotonic()
    category = _sql("SELECT id FROM cases_category WHERE parent_id IS NOT NULL ORDER BY id LIMIT 1")[0][0]
    creator = _sql(f"SELECT id FROM accounts_user WHERE username = '{TAG}-0'")[0][0]  # noqa: S608
    _sql(
        f"""
        INSERT INTO cases_case (number, kind, category_id, urgency, description, point, address, region_id, region_path,
            source, contact_name, contact_phone, callback_requested, work_order_number, self_handled, created_by_id,
            command_level, escalated, status, stage, stage_clock, overdue, supervised, duplicate_count, rework_count,
            extension_count, resume_status, created_at, updated_at)
        SELECT 'BM' || lpad(n::text, 12, '0'), 'E', %(category)s, 'normal', 'bench', p.point, '', r.id, r.path,
               CASE WHEN n %% 2 = 0 THEN 'public' ELSE 'hotline_12345' END, '', '', false, '', false, %(creator)s,
               'district', false, 'to_dispatch', 'dispatch', '', false, false, 0, 0, 0, '', p.at, p.at
        FROM generate_series(0, %(reports)s - 1) n
        CROSS JOIN LATERAL (
            SELECT ST_SetSRID(ST_MakePoint({ORIGIN[0]} + ((n * 7919) %% %(workers)s %% {side}) * 3 * {CELL}
                                               + random() * {2 * CELL},
                                           {ORIGIN[1]} + ((n * 7919) %% %(workers)s / {side}) * 3 * {CELL}
                                               + random() * {2 * CELL}), 4326) AS point,
                   %(start)s + random() * interval '12 hours' AS at) p
        JOIN LATERAL (SELECT id, path FROM grids_region r WHERE r.level = 'unit' AND ST_Covers(r.geom, p.point)
                      LIMIT 1) r ON true
        """,  # noqa: S608
        {"category": category, "creator": creator, "reports": reports, "workers": workers,
         "start": DAY.start + timedelta(hours=7)},
    )  # fmt: skip
    for action, offset in (("report", "0"), ("accept", "2 minutes"), ("register", "5 minutes")):
        _sql(
            f"""
            INSERT INTO cases_caseevent (case_id, action, from_status, to_status, actor_id, actor_role, at, note, data,
                                         stage, region_path)
            SELECT c.id, '{action}', '', '', %(creator)s, 'operator', c.created_at + interval '{offset}', '', '{{}}',
                   '', c.region_path
            FROM cases_case c WHERE c.number LIKE 'BM%%' ORDER BY c.created_at
            """,  # noqa: S608
            {"creator": creator},
        )
    for table in ("cases_case", "cases_caseevent", "grids_region", "grids_patrolarea", "grids_patrolarea_workers",
                  "grids_patrolarea_unit_grids", "grids_patrolsession"):  # fmt: skip
        _sql(f"ANALYZE {table}")  # what autovacuum does after a load
    print(f"reports: {reports:,} filed reports of other channels ({time.monotonic() - started:.1f} s)")


def cleanup():
    with transaction.atomic():
        # Case events refuse DELETE (a trigger keeps them immutable); the synthetic day's own events go with the
        # triggers off for this transaction only, as the load generator writes them.
        _sql("SET LOCAL session_replication_role = replica")
        _sql("DELETE FROM cases_caseevent WHERE case_id IN (SELECT id FROM cases_case WHERE number LIKE 'BM%%')")
        _sql("DELETE FROM cases_case WHERE number LIKE 'BM%%'")
        sessions = f"SELECT s.id FROM grids_patrolsession s JOIN accounts_user u ON u.id = s.user_id WHERE u.username LIKE '{TAG}-%%'"  # noqa: E501, S608
        _sql(f"DELETE FROM grids_trackpoint WHERE session_id IN ({sessions})")  # noqa: S608
        _sql(f"DELETE FROM grids_patrolsession WHERE id IN ({sessions})")  # noqa: S608
        areas = f"SELECT id FROM grids_patrolarea WHERE code LIKE '{TAG}-%%'"  # noqa: S608
        _sql(f"DELETE FROM grids_patrolarea_workers WHERE patrolarea_id IN ({areas})")  # noqa: S608
        _sql(f"DELETE FROM grids_patrolarea_unit_grids WHERE patrolarea_id IN ({areas})")  # noqa: S608
        _sql(f"DELETE FROM grids_patrolarea WHERE code LIKE '{TAG}-%%'")  # noqa: S608
        _sql("DELETE FROM grids_region WHERE geom_source = 'benchmark' AND level = 'unit'")
        _sql(f"DELETE FROM accounts_user WHERE username LIKE '{TAG}-%%'")  # noqa: S608


def _time(fn, runs):
    times = []
    for _i in range(runs):
        started = time.monotonic()
        result = fn()
        times.append(time.monotonic() - started)
    return statistics.median(times), result


def measure(runs):
    params = _params(DAY.start, DAY.end, DAY.end, None)

    def missed_only():
        with transaction.atomic():
            _sql("SET LOCAL jit = off")
            return _sql(missed_sql(), params)

    seconds, rows = _time(missed_only, runs)
    print(f"missed statement alone: median {seconds * 1000:.0f} ms over {runs} runs, {len(rows):,} (case, worker) rows")
    seconds, posts = _time(lambda: post_counts(start=DAY.start, end=DAY.end, bound=DAY.end), runs)
    missed = sum(c["missed"] for (_u, role), c in posts.items() if role == "grid_worker")
    print(f"posts statement of the day (every post count): median {seconds * 1000:.0f} ms, missed total {missed:,}")
    assert missed == len(rows), "the posts statement and the missed statement disagree"
    with transaction.atomic():
        _sql("SET LOCAL jit = off")
        plan = _sql("EXPLAIN (ANALYZE, BUFFERS) " + missed_sql(), params)
    print("plan (top lines):")
    for (line,) in plan[: int(os.environ.get("PLAN_LINES", 14))]:
        print("   ", line[:150])


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workers", type=int, default=10_000)
    parser.add_argument("--points", type=int, default=2_000, help="track points per worker for the day")
    parser.add_argument("--reports", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--keep", action="store_true", help="keep the synthetic day (a later run only measures)")
    args = parser.parse_args()
    if not _sql(f"SELECT 1 FROM accounts_user WHERE username = '{TAG}-0'"):  # noqa: S608
        setup(args.workers, args.points, args.reports)
    try:
        measure(args.runs)
    finally:
        if not args.keep:
            cleanup()


if __name__ == "__main__":
    main()
