"""API case list benchmark: first pages and deep pages of /api/v1/cases/ under every filter, production server.

Against a large database (a copy of the 1,000,000-case load, `seed_load --cases 1000000`):

    export DATABASE_URL=postgis://postgres@127.0.0.1:5432/cityops_1m
    .venv/bin/python benchmarks/api_list.py                 # [--requests 20] [--depths 0,0.5,0.9] [--json]
    .venv/bin/python benchmarks/api_list.py --explain       # EXPLAIN (ANALYZE, BUFFERS) of every filter, deep page
    .venv/bin/python benchmarks/api_list.py --only created_  # the filters whose name holds the text
    .venv/bin/python benchmarks/api_list.py --url http://127.0.0.1:8000   # a server that is already running

Without --url it starts the production server configuration (gunicorn, docker/gunicorn.conf.py: uvicorn workers,
production settings) on a free port and stops it at the end; its log is var/api-list-server.log.

1. Issues API tokens for the demo's city dispatcher (every case in scope), district dispatcher (a district's
   subtree) and department handler (their department's cases: lead, assisting, summoned).
2. First page: `--requests` GETs of /api/v1/cases/ per user, one after another; p50/p95 of the answer time.
3. Deep pages: for every filter of the list (cases.filters.CaseFilterSet: each status group, class codes, kind,
   region, department, source, overdue, light, report dates, a map box, a search text), the page a client reaches
   after walking through `--depths` of that filtered list (a cursor positioned at that share of its cases, as
   DRF's CursorPagination writes it), `--requests` GETs each as the city dispatcher; p95 per filter and depth.
4. The number of queries of each request, counted in this process with the same URL (the server's are the same
   code).

Goal: p95 <= 50 ms for first pages and for deep pages at every depth under every filter. `--json` prints, as the
last line, {"rows": [{"what", "value", "unit", "goal", "met", "baseline", "queries"}]}.
"""

import argparse
import base64
import json
import logging
import os
import sys
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote, urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from benchmarks.production_server import production_environ, start_server, stop_server  # noqa: E402

production_environ("api-list")

import django  # noqa: E402

django.setup()

import httpx  # noqa: E402
from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.http import QueryDict  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402
from rest_framework.test import APIClient  # noqa: E402

from accounts.models import User  # noqa: E402
from accounts.security.tokens import token_issue  # noqa: E402
from cases.filters import CaseFilterSet  # noqa: E402
from cases.models import Case  # noqa: E402
from cases.selectors import case_list_for_user  # noqa: E402
from grids.models import Region  # noqa: E402

GOAL_MS = 50
USERS = ("dispatcher", "district-dispatcher", "handler")


def cursor_at(position: int) -> str:
    """The cursor DRF's CursorPagination writes for the page after the case `position` (newest first)."""
    return base64.b64encode(urlencode({"p": position}).encode("ascii")).decode("ascii")


def filters():
    """(name, query) for every filter of the list, with values the database holds plenty (or few) of."""
    now = timezone.localtime()
    busy = Case.objects.values("category__parent__code", "category__code", "kind").annotate(n=Count("id"))
    top = max(busy, key=lambda row: row["n"])
    rare = min(busy, key=lambda row: row["n"])
    district = Region.objects.filter(level="district").annotate(n=Count("cases")).order_by("-n").first()
    community = Region.objects.filter(level="community").annotate(n=Count("cases")).order_by("-n").first()
    lead = Case.objects.exclude(lead_department=None).values("lead_department__code").annotate(n=Count("id"))
    department = max(lead, key=lambda row: row["n"])["lead_department__code"] if lead else None
    centre = community.geom.point_on_surface if community else None
    minor, rare_minor = f"{top['kind']}{top['category__code']}", f"{rare['kind']}{rare['category__code']}"
    rows = [
        ("no filter", {}),
        ("status=reported", {"status": "reported"}),
        ("status=handling", {"status": "handling"}),
        ("status=suspended", {"status": "suspended"}),
        ("status=to_check,checking", {"status": ["to_check", "checking"]}),
        ("status=closed", {"status": "closed"}),
        ("status=voided", {"status": "voided"}),
        (f"category={minor}", {"category": minor}),
        (f"category={rare_minor}", {"category": rare_minor}),
        (f"category={minor[:3]}", {"category": minor[:3]}),
        ("kind=C", {"kind": "C"}),
        ("source=hotline_12345", {"source": "hotline_12345"}),
        ("source=sensor", {"source": "sensor"}),
        ("overdue=true", {"overdue": "true"}),
        ("overdue=false", {"overdue": "false"}),
        ("light=red", {"light": "red"}),
        ("light=yellow", {"light": "yellow"}),
        ("light=green", {"light": "green"}),
        *(date_filters(now)),
        ("q=路", {"q": "路"}),
        ("q=E0", {"q": "E0"}),
        ("status=handling&light=red", {"status": "handling", "light": "red"}),
    ]
    if district:
        rows.append((f"region={district.code} (district)", {"region": district.code}))
    if community:
        rows.append((f"region={community.code} (community)", {"region": community.code}))
        # Map boxes about the busiest community, as a screen zoomed to a street, a town and a district sends them.
        for label, half in (("600 m", 0.003), ("5 km", 0.025), ("20 km", 0.1)):
            box = f"{centre.x - half},{centre.y - half},{centre.x + half},{centre.y + half}"
            rows.append((f"bbox={label}", {"bbox": box}))
    if department:
        rows.append((f"department={department}", {"department": department}))
    return rows


def date_filters(now):
    """The report dates (local days): before and after dates across the year, a range, a range within a status."""

    def ago(days):
        return (now - timedelta(days=days)).date().isoformat()

    return [
        ("created_after=-30d", {"created_after": ago(30)}),
        ("created_after=-300d", {"created_after": ago(300)}),
        ("created_before=-30d", {"created_before": ago(30)}),
        ("created_before=-150d", {"created_before": ago(150)}),
        ("created_before=-300d", {"created_before": ago(300)}),
        ("created_before=-360d", {"created_before": ago(360)}),
        ("created_after=-200d&created_before=-150d", {"created_after": ago(200), "created_before": ago(150)}),
        ("status=closed&created_before=-300d", {"status": "closed", "created_before": ago(300)}),
        ("status=handling&created_after=-30d", {"status": "handling", "created_after": ago(30)}),
    ]


def positions(user, query, depths):
    """The case id at each share of the filtered list (0 = the first page, no cursor): where a client that walks
    the filtered list page by page arrives."""
    filterset = CaseFilterSet(QueryDict(urlencode(_pairs(query)), mutable=False), user=user)
    ids = (
        case_list_for_user(user=user, filters=filterset.cleaned_filters()).order_by("-id").values_list("id", flat=True)
    )
    total = ids.count()
    return {depth: ids[min(int(total * depth), total - 1)] if depth > 0 and total else None for depth in depths}


def _pairs(query):
    return [(key, item) for key, value in query.items() for item in (value if isinstance(value, list) else [value])]


def path_for(query, position):
    text = urlencode(_pairs(query))
    if position is not None:
        text = f"{text}&cursor={quote(cursor_at(position))}" if text else f"cursor={quote(cursor_at(position))}"
    return f"/api/v1/cases/?{text}" if text else "/api/v1/cases/"


def percentile(values, share):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def timed(client, url, token, requests):
    headers = {"Authorization": f"Token {token}"}
    client.get(url, headers=headers)  # warm: the worker's connection and caches
    times = []
    for _ in range(requests):
        started = time.perf_counter()
        response = client.get(url, headers=headers)
        times.append((time.perf_counter() - started) * 1000)
        if response.status_code != 200:
            raise SystemExit(f"{url}: {response.status_code} {response.text[:300]}")
    return percentile(times, 0.5), percentile(times, 0.95)


def counted(user, path):
    """(queries, main SQL) of one request to `path` in this process."""
    settings.API_DB_THREADS = 0  # counted on this thread's connection (the server runs the list on kept ones)
    api = APIClient()
    api.force_authenticate(user)
    with CaptureQueriesContext(connection) as queries:
        response = api.get(path)
    assert response.status_code == 200, response.content[:300]
    sql = max((q["sql"] for q in queries.captured_queries if 'FROM "cases_case"' in q["sql"]), key=len, default="")
    # force_authenticate skips the token lookup a real client pays: one query.
    return len(queries) + 1, sql


def explain(sql):
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}")
        return "\n".join(row[0] for row in cursor.fetchall())


def run(args, url):
    users = {name: User.objects.get(username=name) for name in USERS}
    tokens = {name: token_issue(user=user).key for name, user in users.items()}
    depths = [float(d) for d in args.depths.split(",")]
    rows = []
    print(f"{Case.objects.count():,} cases; deep pages at {', '.join(f'{d:.0%}' for d in depths if d)} of each list")
    with httpx.Client(base_url=url, timeout=60) as client:
        for name, user in users.items():
            queries, _sql = counted(user, "/api/v1/cases/")
            p50, p95 = timed(client, "/api/v1/cases/", tokens[name], args.requests)
            print(f"first page as {name:22} p50 {p50:6.1f} ms  p95 {p95:6.1f} ms  {queries} queries")
            rows.append(row(f"first page ({name}) p95", p95, queries))
        worst = None
        for label, query in filters():
            if args.only and args.only not in label:
                continue
            for depth, position in positions(users["dispatcher"], query, depths).items():
                path = path_for(query, position)
                queries, sql = counted(users["dispatcher"], path)
                p50, p95 = timed(client, path, tokens["dispatcher"], args.requests)
                print(f"{label:36} at {depth:4.0%}  p50 {p50:6.1f} ms  p95 {p95:6.1f} ms  {queries} queries")
                rows.append(row(f"{label} at {depth:.0%} p95", p95, queries))
                if worst is None or p95 > worst[0]:
                    worst = (p95, f"{label} at {depth:.0%}", queries)
                if args.explain and position is not None and depth == max(depths):
                    print(explain(sql))
        print(f"worst filtered page: {worst[1]}, p95 {worst[0]:.1f} ms")
        rows.append(row(f"worst filtered page p95 ({worst[1]})", worst[0], worst[2]))
    return rows


def row(what, value, queries):
    return {
        "what": what,
        "value": round(value, 1),
        "unit": "ms",
        "goal": f"p95 <= {GOAL_MS} ms",
        "met": value <= GOAL_MS,
        "baseline": None,
        "queries": queries,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", help="a running server (same database)")
    parser.add_argument("--requests", type=int, default=20, help="timed requests per page")
    parser.add_argument("--depths", default="0,0.5,0.9", help="shares of the list at which pages are read")
    parser.add_argument("--only", help="only the filters whose name holds this text (e.g. created_)")
    parser.add_argument("--explain", action="store_true", help="print EXPLAIN (ANALYZE, BUFFERS) at the deepest page")
    parser.add_argument("--json", action="store_true", help="print the figures as one JSON object, last")
    args = parser.parse_args()
    logging.getLogger("httpx").setLevel(logging.WARNING)
    load = os.getloadavg()
    process, url = (None, args.url.rstrip("/")) if args.url else start_server("api-list")
    try:
        rows = run(args, url)
    finally:
        stop_server(process)
    print(f"load average at start {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}, at end {os.getloadavg()[0]:.2f}")
    if args.json:
        print(json.dumps({"rows": rows}, ensure_ascii=False))


if __name__ == "__main__":
    main()
