"""Assessment benchmark: score every department and region for one month, against one hand-written SQL query.

Usage: .venv/bin/python benchmarks/assessment_month.py [--month 2026-10] [--repeat 7] [--min-cases 1000000] [--json]
Needs cases in the configured database (DATABASE_URL), e.g. `DEBUG=1 manage.py seed_load --cases 1000000`, and the
daily roll-ups (`manage.py assessment_rollups`).

It times, alternately, `period_compute` for departments and regions as a live reading does it (the month's daily
roll-ups summed, today's part and the running overdue stages; the roll-up of the grid from community to city, every
indicator and the score and grade of each of ~1,560 units); the same as a freeze reads them now
(`services.period_compute_now`: the roll-ups' lock, the newest ids as bounds, the month's days checked against their
events and brought up to date, the month's roll-ups plus the overdue stages and listings read from the events), once
with the roll-ups current and once with one day to roll up again (a late event in a mid-month day, in a transaction
rolled back); the same from the events with those bounds (the two-grouping-set statement of
assessment/indicators/sql.py: what a freeze read before, and what a recomputation "as of" a run still reads); and one
hand-written query computing the same department numbers from the events. It checks that the department numbers
agree and that every reading gives every unit the same counts as the events, and prints the medians (wall clock and
this process's CPU) and the ratios. The events reading is set against its one statement timed inside it (the median
of the turns' ratios: the machine's speed drifts between runs by more than the reading's overhead), and against the
statement run by itself next to it, in turns first. With --json the last line is {"rows": [...]} for the city-scale
orchestrator.
"""

import argparse
import json
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
from django.db.models import Max  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from assessment.compute import period_compute  # noqa: E402
from assessment.indicators.sql import _params, unit_counts_sql  # noqa: E402
from assessment.periods import span_containing  # noqa: E402
from assessment.selectors import scheme_versions_in_force  # noqa: E402
from assessment.services import period_compute_now  # noqa: E402
from cases.models import Case, CaseEvent  # noqa: E402

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
    parser.add_argument("--repeat", type=int, default=7, help="timed runs of each (default 7; medians are printed)")
    parser.add_argument("--min-cases", type=int, default=1_000_000, help="refuse to run with fewer cases")
    parser.add_argument("--json", action="store_true", help="print the JSON rows as the last line")
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

    # Warm-up (caches, plans), and the check that all three compute the same department numbers.
    marks = {"upto": CaseEvent.objects.aggregate(m=Max("id"))["m"], "enforcement_upto": _max_enforcement_event()}
    rolled_up = rollups_available(span, now)

    def ours_rolled():
        return period_compute(span, versions=versions, now=now, subjects=["department", "region"])

    statement_seconds = []  # the events statement's own time in each timed reading from the events

    def ours_direct():
        # With the bounds of a freeze ("every event up to the newest id") period_compute reads the events directly.
        timer = LongestStatement()
        with connection.execute_wrapper(timer):
            found = period_compute(span, versions=versions, now=now, subjects=["department", "region"], **marks)
        statement_seconds.append(timer.seconds)
        return found

    late_source = (
        CaseEvent.objects.filter(action="register", at__gte=span.start + (span.end - span.start) / 2, at__lt=span.end)
        .order_by("at")
        .first()
    )

    def ours_freeze(late=False, check=False):
        # What a freeze does now, in its own transaction (rolled back: nothing is frozen, a re-rolled day is undone).
        with transaction.atomic():
            if late:
                # A register event lands late in a mid-month day already rolled up (an offline device): new id.
                late_event = {"case_id": late_source.case_id, "at": late_source.at}
                late_event["region_path"] = late_source.region_path
                CaseEvent.objects.create(
                    action="register", from_status="to_register", to_status="to_dispatch", data={}, **late_event
                )
            bounds, frozen = period_compute_now(span, versions=versions, now=min(now, span.end), subjects=units)
            same = None
            if check:
                upto, enforcement_upto, track_upto = bounds
                events = period_compute(
                    span, versions=versions, now=now, subjects=units, upto=upto, enforcement_upto=enforcement_upto,
                    track_upto=track_upto,
                )  # fmt: skip
                same = _figures(frozen) == _figures(events)
            transaction.set_rollback(True)
        return frozen, same

    units = ["department", "region"]
    with CaptureQueriesContext(connection) as queries:
        rows = ours_rolled()
    rolled_queries = len(queries)
    direct_rows = ours_direct()
    with CaptureQueriesContext(connection) as queries:
        freeze_rows, same_freeze = ours_freeze(check=True)
    freeze_queries = len(queries)
    with CaptureQueriesContext(connection) as queries:
        _rows, same_late = ours_freeze(late=True, check=True)
    late_queries = len(queries)
    same_freeze = same_freeze and same_late and _figures(freeze_rows) == _figures(direct_rows)
    mine = {r.obj_id: r.counts for r in rows["department"] if any(r.counts.values())}
    theirs = reference(span, now)
    same = all(
        abs(float(mine.get(d, {}).get(k, 0)) - float(v)) < 1e-6
        for d, figures in theirs.items()
        for k, v in figures.items()
    ) and set(theirs) == set(mine)
    same_direct = _figures(rows) == _figures(direct_rows)

    def bare():
        # The one statement period_compute runs for these figures, alone: every count of every department and grid,
        # without the roll-up of the grid, the indicators, the scores or the ranking.
        params = _params(span.start, span.end, now, marks["upto"], None, marks["enforcement_upto"])
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL jit = off")
            cursor.execute("SET LOCAL work_mem = '64MB'")
            cursor.execute(unit_counts_sql(marks["upto"], marks["enforcement_upto"]), params)
            return cursor.fetchall()

    timings = {"rolled": [], "freeze": [], "late": [], "direct": [], "hand": [], "bare": []}
    steps = (
        ("rolled", ours_rolled),
        ("freeze", ours_freeze),
        ("late", lambda: ours_freeze(late=True)),
        ("hand", lambda: reference(span, now)),
    )
    # The events reading and its statement alone run next to each other, in turns first.
    pair = (("direct", ours_direct), ("bare", bare))
    statement_seconds.clear()  # the untimed reading above
    for i in range(args.repeat):
        for name, fn in (*steps, *(pair[::-1] if i % 2 else pair)):
            wall, cpu = time.perf_counter(), time.process_time()
            fn()
            timings[name].append((time.perf_counter() - wall, time.process_time() - cpu))
        reset_queries()
    median = {name: statistics.median(t[0] for t in runs) for name, runs in timings.items()}
    cpu = {name: statistics.median(t[1] for t in runs) for name, runs in timings.items()}
    units = len(rows["department"]) + len(rows["region"])
    print(f"{cases:,} cases; {span.label}: {in_month:,} events in the month; load average {os.getloadavg()[0]:.1f}")
    print(f"daily roll-ups cover the month: {'yes' if rolled_up else 'NO (period_compute counts the events)'}")
    for name, label in (
        ("rolled", f"score {len(rows['department'])} departments + {len(rows['region'])} regions ({units} units), "
                   f"from the daily roll-ups ({rolled_queries} queries)"),
        ("freeze", f"the same as a freeze reads it: roll-ups checked, current, and read ({freeze_queries} queries)"),
        ("late", f"the same as a freeze reads it, one day rolled up again first ({late_queries} queries with the "
                 "identity check)"),
        ("direct", "the same from the events, with the freeze's bounds (a freeze's reading before)"),
        ("hand", "hand-written SQL, department numbers only"),
        ("bare", "the statement of the events reading alone (all its figures, no Python)"),
    ):  # fmt: skip
        runs = ", ".join(f"{t[0]:.2f}" for t in timings[name])
        print(f"{label}: median {median[name]:.2f} s, CPU of this process {cpu[name]:.2f} s (runs: {runs})")
    ratio_rolled, ratio_direct = median["rolled"] / median["hand"], median["direct"] / median["hand"]
    ratio_freeze, ratio_late = median["freeze"] / median["hand"], median["late"] / median["hand"]
    # The reading's overhead over its one statement (the rest of period_compute: its other queries, the roll-up of
    # the grid, the indicators, scores and ranking) is about a tenth of a second in two; the machine's speed drifts
    # by more than that between two runs a few seconds apart. So each reading is set against its own statement,
    # timed inside it (the same SQL and settings as `bare`), and the median of those ratios is the figure; the ratio
    # to the statement run by itself, turn by turn, is printed beside it.
    within = [d[0] / statement for d, statement in zip(timings["direct"], statement_seconds, strict=True)]
    ratio_bare = statistics.median(within)
    ratio_apart = statistics.median(d[0] / b[0] for d, b in zip(timings["direct"], timings["bare"], strict=True))
    print(
        f"ratio from roll-ups {ratio_rolled:.2f}x; a freeze {ratio_freeze:.2f}x (one day rolled up again "
        f"{ratio_late:.2f}x); from the events {ratio_direct:.2f}x; the events reading over its statement alone "
        f"{ratio_bare:.2f}x (its statement timed within it: {', '.join(f'{r:.3f}' for r in within)}; run by itself, "
        f"turn by turn: {ratio_apart:.2f}x)"
    )
    print(f"department numbers identical to the hand-written SQL: {'yes' if same else 'NO'}; "
          f"roll-ups identical to the events for every unit: {'yes' if same_direct else 'NO'}; "
          f"a freeze's reading identical to the events with its bounds for every unit (current, and with a late "
          f"event): {'yes' if same_freeze else 'NO'}")  # fmt: skip
    if args.json:
        baseline = round(median["hand"], 3)
        rows_out = [
            {"what": "monthly assessment from daily roll-ups / hand-written SQL", "value": round(ratio_rolled, 3),
             "unit": "x", "goal": "<= 1.1x", "met": ratio_rolled <= 1.1 and same and same_direct,
             "baseline": baseline, "queries": rolled_queries},
            {"what": "monthly assessment as a freeze reads it (roll-ups brought up to date) / hand-written SQL",
             "value": round(ratio_freeze, 3), "unit": "x", "goal": "<= 1.1x",
             "met": ratio_freeze <= 1.1 and same and same_freeze, "baseline": baseline, "queries": freeze_queries},
            {"what": "monthly assessment as a freeze reads it, one day rolled up again / from the events",
             "value": round(median["late"] / median["direct"], 3), "unit": "x", "goal": "< 1x (never slower than "
             "before)", "met": median["late"] < median["direct"] and same_freeze,
             "baseline": round(median["direct"], 3), "queries": late_queries},
            {"what": "monthly assessment from the events (as-of recomputation) / hand-written SQL",
             "value": round(ratio_direct, 3), "unit": "x",
             # Reproducing an earlier run (after a scheme fix) reads only the events that run read, so no roll-up
             # (which holds the events known when it was written) can answer it; it computes every figure of every
             # unit, the hand-written SQL 15 of the departments'. Its goal is the next row: its statement alone.
             "goal": "reference (rare: an earlier run reproduced)", "met": same, "baseline": baseline,
             "queries": None},
            {"what": "monthly assessment from the events (as-of recomputation) / its one statement, timed within it",
             "value": round(ratio_bare, 3), "unit": "x", "goal": "<= 1.1x", "met": ratio_bare <= 1.1,
             "baseline": round(statistics.median(statement_seconds), 3), "queries": None},
            {"what": "monthly assessment from daily roll-ups", "value": round(median["rolled"], 3), "unit": "s",
             "goal": "<= 2 s", "met": median["rolled"] <= 2, "baseline": round(median["direct"], 3),
             "queries": rolled_queries},
        ]  # fmt: skip
        print(json.dumps({"rows": rows_out}, ensure_ascii=False))
    return 0 if same and same_direct and same_freeze else 2


class LongestStatement:
    """A connection's execute wrapper that keeps the longest statement's time: its execution and the transfer of
    its rows (psycopg2's cursors receive the whole result in `execute`; turning the rows into Python values in
    `fetchall` is left out, and counts as the reading's own work, about 1 % here)."""

    def __init__(self):
        self.seconds = 0.0

    def __call__(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.seconds = max(self.seconds, time.perf_counter() - started)


def _max_enforcement_event():
    from cases.models import EnforcementEvent

    return EnforcementEvent.objects.aggregate(m=Max("id"))["m"] or 0


def _figures(rows):
    return {
        (subject, r.key): {n: round(float(v), 3) for n, v in r.counts.items()}
        for subject, units in rows.items()
        for r in units
    }


def rollups_available(span, now):
    from assessment.rollups.read import _to_compute

    parts = _to_compute(span.first, now)
    return parts is not None


if __name__ == "__main__":
    sys.exit(main())
