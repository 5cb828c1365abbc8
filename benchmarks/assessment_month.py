"""Assessment benchmark: score every department and region for one month, against one hand-written SQL query.

Usage: .venv/bin/python benchmarks/assessment_month.py [--month 2026-10] [--repeat 5] [--min-cases 1000000]
Needs cases in the configured database (DATABASE_URL), e.g. `DEBUG=1 manage.py seed_load --cases 1000000`.

It times `period_compute` for departments and regions (the two-grouping-set statement of
assessment/indicators/sql.py, the roll-up of the grid from community to city, every indicator and the score and
grade of each of ~1,560 units) and, alternately, one hand-written query computing the same department numbers,
checks that the department numbers agree, and prints both medians and their ratio.
"""

import argparse
import os
import statistics
import sys
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "huizhou_cityops.settings.local")

import django  # noqa: E402

django.setup()

from django.db import connection, reset_queries, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from assessment.compute import period_compute  # noqa: E402
from assessment.periods import span_containing  # noqa: E402
from assessment.selectors import scheme_versions_in_force  # noqa: E402
from cases.models import Case  # noqa: E402

# One query, written by hand for departments only: the month's events, a window over each case's
# dispatch/check/feedback/close rows for "closed" and the handling time, and the overdue stages.
REFERENCE = """
WITH m AS MATERIALIZED (
    SELECT id, case_id, action, to_status, stage_met, at, department_id
    FROM cases_caseevent
    WHERE at >= %(start)s AND at < %(end)s
      AND action IN ('dispatch', 'approve_return', 'request_extension', 'approve_extension',
                     'feedback', 'check', 'close')
), w AS (
    SELECT m.*, lead(action) OVER c AS n1, lead(action, 2) OVER c AS n2, lag(at) OVER c AS prev_at
    FROM m WHERE action IN ('dispatch', 'check', 'feedback', 'close')
    WINDOW c AS (PARTITION BY case_id ORDER BY id)
), rows AS (
    SELECT department_id, action, to_status, stage_met, NULL::boolean AS closed, NULL::float AS seconds
    FROM m WHERE action IN ('approve_return', 'request_extension', 'approve_extension')
    UNION ALL
    SELECT department_id, action, to_status, stage_met,
           action = 'feedback' AND n1 = 'check' AND n2 = 'close',
           CASE WHEN action = 'feedback' THEN extract(epoch FROM at - coalesce(prev_at, (
               SELECT p.at FROM cases_caseevent p WHERE p.case_id = w.case_id AND p.id < w.id
                 AND p.to_status = 'handling' AND p.action IN ('dispatch', 'check') ORDER BY p.id DESC LIMIT 1))) END
    FROM w
    UNION ALL
    SELECT department_id, 'overdue', NULL, NULL, NULL, NULL FROM cases_caseevent
    WHERE action IN ('feedback', 'approve_return', 'approve_void') AND stage = 'handling'
      AND stage_deadline IS NOT NULL AND stage_deadline >= %(start)s AND stage_deadline < %(bound)s AND at >= %(end)s
    UNION ALL
    SELECT lead_department_id, 'overdue', NULL, NULL, NULL, NULL FROM cases_case
    WHERE stage = 'handling' AND stage_deadline IS NOT NULL
      AND stage_deadline >= %(start)s AND stage_deadline < %(bound)s
)
SELECT department_id,
       count(*) FILTER (WHERE action = 'dispatch') AS dispatched,
       count(*) FILTER (WHERE action = 'dispatch' AND stage_met) AS dispatched_on_time,
       count(*) FILTER (WHERE action = 'approve_return') AS wrong_dispatches,
       count(*) FILTER (WHERE action = 'request_extension') AS extension_requests,
       count(*) FILTER (WHERE action = 'approve_extension') AS extended,
       count(*) FILTER (WHERE action = 'feedback') AS handled,
       count(*) FILTER (WHERE action = 'feedback' AND stage_met) AS handled_on_time,
       count(*) FILTER (WHERE action = 'feedback' AND NOT stage_met) AS handled_late,
       count(*) FILTER (WHERE action = 'overdue') AS overdue_open,
       count(*) FILTER (WHERE closed) AS closed,
       count(*) FILTER (WHERE closed AND stage_met) AS closed_on_time,
       count(*) FILTER (WHERE action = 'check') AS checked,
       count(*) FILTER (WHERE action = 'check' AND to_status = 'handling') AS reworked,
       count(*) FILTER (WHERE action = 'check' AND stage_met) AS checked_on_time,
       coalesce(sum(seconds), 0) AS handling_seconds
FROM rows WHERE department_id IS NOT NULL GROUP BY department_id
"""


def reference(span, now):
    """The hand-written query, under the same session settings as the assessment's own statements."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL jit = off")
        cursor.execute("SET LOCAL work_mem = '64MB'")
        cursor.execute(REFERENCE, {"start": span.start, "end": span.end, "bound": min(now, span.end)})
        names = [c.name for c in cursor.description][1:]
        return {row[0]: dict(zip(names, row[1:], strict=True)) for row in cursor.fetchall()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--month", help="YYYY-MM (default: the last complete month)")
    parser.add_argument("--repeat", type=int, default=5, help="timed runs of each (default 5; medians are printed)")
    parser.add_argument("--min-cases", type=int, default=1_000_000, help="refuse to run with fewer cases")
    args = parser.parse_args()

    cases = Case.objects.count()
    if cases < args.min_cases:
        print(
            f"{cases:,} cases in this database; load more first: "
            f"DEBUG=1 manage.py seed_load --cases {args.min_cases - cases} (or pass --min-cases).",
            file=sys.stderr,
        )
        return 1
    today = timezone.localdate()
    if args.month:
        year, month = (int(x) for x in args.month.split("-"))
        span = span_containing("month", date(year, month, 1))
    else:
        span = span_containing("month", today).previous()
    now = timezone.now()
    versions = scheme_versions_in_force()
    events = connection.cursor()
    events.execute("SELECT count(*) FROM cases_caseevent WHERE at >= %s AND at < %s", [span.start, span.end])
    in_month = events.fetchone()[0]

    # Warm-up (caches, plans), and the check that both compute the same department numbers.
    rows = period_compute(span, versions=versions, now=now, subjects=["department", "region"])
    mine = {r.obj_id: r.counts for r in rows["department"] if any(r.counts.values())}
    theirs = reference(span, now)
    same = all(
        abs(float(mine.get(d, {}).get(k, 0)) - float(v)) < 1e-6
        for d, figures in theirs.items()
        for k, v in figures.items()
    ) and set(theirs) == set(mine)

    ours, hand = [], []
    for _i in range(args.repeat):
        started = time.perf_counter()
        period_compute(span, versions=versions, now=now, subjects=["department", "region"])
        ours.append(time.perf_counter() - started)
        started = time.perf_counter()
        reference(span, now)
        hand.append(time.perf_counter() - started)
        reset_queries()
    ours_median, hand_median = statistics.median(ours), statistics.median(hand)
    units = len(rows["department"]) + len(rows["region"])
    print(f"{cases:,} cases; {span.label}: {in_month:,} events in the month")
    print(
        f"score {len(rows['department'])} departments + {len(rows['region'])} regions ({units} units): "
        f"median {ours_median:.2f} s (runs: {', '.join(f'{t:.2f}' for t in ours)})"
    )
    print(
        f"hand-written SQL, department numbers only: median {hand_median:.2f} s "
        f"(runs: {', '.join(f'{t:.2f}' for t in hand)})"
    )
    print(f"ratio {ours_median / hand_median:.2f}x; department numbers identical: {'yes' if same else 'NO'}")
    return 0 if same else 2


if __name__ == "__main__":
    sys.exit(main())
