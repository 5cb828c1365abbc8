"""Timer sweep benchmark: 300,000 open cases; sweeps with nothing due, one with 10,000 newly due cases, its fan-out.

Run it on a database of its own: it adds cases with `seed_load` (case events are immutable, nothing is undone).

    createdb -h 127.0.0.1 -U postgres cityops_timer_bench
    psql -h 127.0.0.1 -U postgres -d cityops_timer_bench -c 'CREATE EXTENSION postgis'
    export DATABASE_URL=postgis://postgres@127.0.0.1:5432/cityops_timer_bench
    .venv/bin/python manage.py migrate && DEBUG=1 .venv/bin/python manage.py seed_demo
    .venv/bin/python benchmarks/sweep_timers.py            # [--open 300000] [--due 10000] [--runs 15]

What it does, at one reference instant T (now, rounded to the minute):
1. tops the database up to --open open cases: `seed_load --cases N --open-share 1 --now T` (none due at T);
2. sets `timer_due_at` where a loaded case with a running clock has none and no timer mark (a load generator
   that does not fill it in): one UPDATE, to the warning point as the stage clock would (its trigger makes the
   case's timer row); then VACUUM ANALYZE of the cases, their timers and the timer marks, as autovacuum would
   have done by then;
3. sweeps once at T to catch up (a re-run finds what became due since; its follow-ups are left pending, they are
   not measured), vacuums after it, then --runs sweeps with nothing due: median and worst, in ms;
4. loads --due more open cases whose deadline just passed (`seed_load --due … --now T`; about 30 % more cases
   are loaded, as suspended ones have no clock), and sweeps once at T: the time to fire their warnings,
   overdue marks and the escalation steps already due, in s.
5. carries out the follow-up rows that sweep wrote (lifts to the city level and the `timers_fired` receivers,
   i.e. the notifications and their email/SMS copies), as the `followup` queue would: the fan-out, in s.
The sweep is the real one; it only records what is due (marks, events, timers and one follow-up row per batch,
committed batch by batch), and the fan-out is timed on its own (the benchmark hands the rows over itself instead
of sending them to the broker). Goals: nothing due ≤ 5 ms, 10,000 due ≤ 2 s, their fan-out ≤ 10 s.
--no-receivers disconnects the `timers_fired` receivers (the fan-out is then the lifts alone).
--profile prints where the 10,000-due sweep spends its time: per statement kind and the commit (the deferred
foreign-key checks), the time and count, and the rest (Python: planning the levels, building the parameters), and
the HOT share of the cases' updates.
The sweep and the fan-out also report their CPU time (this process and its database backend): on a shared machine
the wall time swings with the load, the CPU time much less, and a quiet machine's wall time is about the CPU time
plus the waits for the disk.
"""

import argparse
import os
import statistics
import sys
import time
from collections import defaultdict
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "huizhou_cityops.settings.local")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

from cases.models import FINAL_STATUSES, Case, CaseTimer  # noqa: E402
from dispatch.models import Notification, OutboxMessage, TimerMark  # noqa: E402
from dispatch.services import followup  # noqa: E402
from dispatch.services.timers import timers_sweep  # noqa: E402
from dispatch.signals import timers_fired  # noqa: E402

GOAL_IDLE_MS, GOAL_DUE_S, GOAL_FANOUT_S = 5.0, 2.0, 10.0


def verdict(value, goal) -> str:
    return "ok" if value <= goal else "OVER GOAL"


def open_cases() -> int:
    return Case.objects.exclude(status__in=FINAL_STATUSES).count()


def set_timers() -> int:
    """timer_due_at = the warning point, for running clocks without a timer yet and never swept (no mark)."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            UPDATE {Case._meta.db_table} AS c SET timer_due_at = c.stage_warn_at
            WHERE c.timer_due_at IS NULL AND c.stage_deadline IS NOT NULL AND c.status <> ALL(%s)
              AND NOT EXISTS (SELECT 1 FROM {TimerMark._meta.db_table} m WHERE m.case_id = c.id)
            """,  # noqa: S608 - our own tables
            [list(FINAL_STATUSES)],
        )
        count = cursor.rowcount
    vacuum()
    return count


def vacuum() -> None:
    """VACUUM ANALYZE the cases, their timers and the timer marks, as autovacuum would have done by then."""
    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM ANALYZE {Case._meta.db_table}")
        cursor.execute(f"VACUUM ANALYZE {CaseTimer._meta.db_table}")
        # Announced marks leave dead entries in the unannounced-marks index until vacuumed (earlier runs' bursts).
        cursor.execute(f"VACUUM ANALYZE {TimerMark._meta.db_table}")


STATEMENT_KINDS = (
    ("claim", "FOR UPDATE"),
    ("ladder", "dispatch_escalationstep"),
    ("marks+events+timers", "INSERT INTO"),
)


def statement_kind(sql: str) -> str:
    if sql.startswith(("SAVEPOINT", "RELEASE", "COMMIT", "BEGIN", "SET LOCAL")):
        return "transaction"
    return next((name for name, marker in STATEMENT_KINDS if marker in sql), sql[:40])


@contextmanager
def statement_times(spent):
    """Add each statement's and commit's wall time (round trip included) to spent[kind] = [seconds, count]."""

    def timed(execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            entry = spent[statement_kind(sql)]
            entry[0] += time.perf_counter() - started
            entry[1] += 1

    real_commit = connection._commit

    def timed_commit():  # the commit runs the deferred foreign-key checks of the batch's new rows
        started = time.perf_counter()
        try:
            return real_commit()
        finally:
            entry = spent["commit"]
            entry[0] += time.perf_counter() - started
            entry[1] += 1

    connection._commit = timed_commit
    try:
        with connection.execute_wrapper(timed):
            yield spent
    finally:
        del connection._commit


def case_update_counts():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT n_tup_upd, n_tup_hot_upd FROM pg_stat_user_tables WHERE relname = %s", [Case._meta.db_table]
        )
        return cursor.fetchone()


def print_profile(spent, total_s, updates_before, updates_after):
    print("  where the time goes:")
    for kind, (seconds, count) in sorted(spent.items(), key=lambda item: -item[1][0]):
        print(f"    {kind:<24} {seconds:6.2f} s  {count:4} statements")
    print(f"    {'rest (Python)':<24} {total_s - sum(s for s, _n in spent.values()):6.2f} s")
    updated, hot = (after - before for before, after in zip(updates_before, updates_after, strict=True))
    print(f"  case rows updated {updated:,}, of which HOT {hot:,} (statistics may lag by up to a second)")


def cpu_seconds() -> float:
    """CPU time used so far by this process and by its database backend (same machine): the work, whatever the
    machine's load. A quiet machine's wall time is about this plus the waits for the disk."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        backend = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except OSError:  # a database on another machine: this process only
        backend = 0.0
    return time.process_time() + backend


def load(cases: int, *, now, due: int = 0) -> None:
    started = time.monotonic()
    print(f"seed_load --cases {cases:,} --open-share 1 --due {due:,} …", flush=True)
    with open(os.devnull, "w") as quiet:
        call_command("seed_load", cases=cases, open_share=1.0, due=due, now=now, force=True, stdout=quiet)
    print(f"  loaded in {time.monotonic() - started:.0f} s", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--open", type=int, default=300_000, help="open cases to have (default 300000)")
    parser.add_argument("--due", type=int, default=10_000, help="newly due cases to fire (default 10000)")
    parser.add_argument("--runs", type=int, default=15, help="sweeps with nothing due to time (default 15)")
    parser.add_argument("--no-receivers", action="store_true", help="disconnect the timers_fired receivers")
    parser.add_argument("--profile", action="store_true", help="time the 10,000-due sweep's statements")
    args = parser.parse_args()
    if args.no_receivers:
        timers_fired.receivers.clear()
        timers_fired.sender_receivers_cache.clear()
    # The fast path would send each sweep batch's follow-up to the broker; here they are carried out below, timed.
    followup.followup_kick = lambda ids: None

    now = timezone.now().replace(second=0, microsecond=0)
    missing = args.open - open_cases()
    if missing > 0:
        load(missing, now=now)
    print(f"timers set on {set_timers():,} cases; {open_cases():,} open cases", flush=True)

    caught_up = timers_sweep(now=now)
    print(f"catch-up sweep: {caught_up.cases:,} cases, {caught_up.ms:.0f} ms", flush=True)
    if caught_up.cases:
        vacuum()  # a burst leaves dead entries in the timer index until autovacuum clears them
    idle = []
    for _ in range(args.runs):
        result = timers_sweep(now=now)
        assert result.cases == 0, result
        idle.append(result.ms)
    median = statistics.median(idle)
    print(
        f"NOTHING DUE   median {median:.2f} ms, worst {max(idle):.2f} ms ({args.runs} sweeps); "
        f"goal ≤ {GOAL_IDLE_MS:.0f} ms: {verdict(median, GOAL_IDLE_MS)}"
    )

    # Enough open cases that --due of them have a running clock (about 13 % of open cases are suspended).
    load(round(args.due * 1.3), now=now, due=args.due)
    print(f"timers set on {set_timers():,} cases; {open_cases():,} open cases", flush=True)
    spent = defaultdict(lambda: [0.0, 0])
    updates_before = case_update_counts()
    cpu = cpu_seconds()
    if args.profile:
        with statement_times(spent):
            result = timers_sweep(now=now)
    else:
        result = timers_sweep(now=now)
    sweep = result.ms / 1000
    cpu = cpu_seconds() - cpu
    print(
        f"{result.cases:,} NEWLY DUE   sweep {sweep:.2f} s: {dict(result.fired)} in {result.batches} batches, "
        f"{len(result.followups)} follow-up rows; goal ≤ {GOAL_DUE_S:.0f} s: {verdict(sweep, GOAL_DUE_S)}; "
        f"CPU {cpu:.2f} s (Python and its database backend)",
        flush=True,
    )
    if args.profile:
        time.sleep(1)  # the statistics collector reports at most once a second
        print_profile(spent, sweep, updates_before, case_update_counts())
    before = (Notification.objects.count(), OutboxMessage.objects.count())
    started, fanout_cpu = time.perf_counter(), cpu_seconds()
    counts = followup.followup_run(ids=result.followups)
    fanout = time.perf_counter() - started
    fanout_cpu = cpu_seconds() - fanout_cpu
    told = Notification.objects.count() - before[0]
    copies = OutboxMessage.objects.count() - before[1]
    print(
        f"FAN-OUT   {fanout:.2f} s: {told:,} notifications, {copies:,} email/SMS copies, follow-ups {dict(counts)}; "
        f"goal ≤ {GOAL_FANOUT_S:.0f} s: {verdict(fanout, GOAL_FANOUT_S)}; CPU {fanout_cpu:.2f} s"
    )
    assert result.cases == args.due, result
    return 0


if __name__ == "__main__":
    sys.exit(main())
