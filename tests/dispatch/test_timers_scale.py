"""With thousands of open cases a sweep touches only the due ones, through the partial index."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cases.models import Case, CaseEvent, CaseTimer
from dispatch.models import TimerMark
from dispatch.services.timers import CLAIMED, due_cases, timers_sweep
from tests.dispatch.test_timers import DEADLINE, DISPATCHED, default_ladder

pytestmark = pytest.mark.django_db
OPEN = 4000
DUE = 37


def clone_cases(template, count, **values):
    """`count` copies of the template case (one INSERT … SELECT), with `values` set; returns their ids."""
    columns = [f.column for f in Case._meta.concrete_fields if f.column != "id"]
    # Case numbers are unique and at most 24 characters: a random one per copy.
    computed = {"number": "'T' || left(md5(random()::text || g::text), 20)", "idempotency_key": "NULL"}
    params = []
    select = []
    for column in columns:
        if column in values:
            select.append("%s")
            params.append(values[column])
        else:
            select.append(computed.get(column, f"c.{column}"))
    table = Case._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({', '.join(columns)}) SELECT {', '.join(select)} "  # noqa: S608 - test helper
            f"FROM {table} c, generate_series(1, %s) g WHERE c.id = %s RETURNING id",
            [*params, count, template.pk],
        )
        return [row[0] for row in cursor.fetchall()]


def table_stats(table):
    """This transaction's row and scan counters of a table (pg_stat_xact_user_tables is per transaction)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT n_tup_ins, n_tup_upd, seq_scan FROM pg_stat_xact_user_tables WHERE relname = %s", [table]
        )
        return cursor.fetchone()


@pytest.fixture
def crowd(cases):
    """OPEN cases whose next timer is days away, DUE whose warning and deadline passed, 500 ended ones."""
    default_ladder()
    template = cases.to("handling", now=DISPATCHED)
    due = [template.pk, *clone_cases(template, DUE - 1)]
    later = clone_cases(template, OPEN, timer_due_at=DEADLINE + timedelta(days=3))
    clone_cases(template, 500, status="closed", stage="", timer_due_at=None, stage_deadline=None)
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {Case._meta.db_table}")
        cursor.execute(f"ANALYZE {CaseTimer._meta.db_table}")
    return due, later


def test_the_claim_reads_the_partial_index(crowd):
    plan = due_cases(DEADLINE).values(**CLAIMED)[:500].explain()
    assert "case_timer_due_at" in plan, plan
    assert "Seq Scan" not in plan, plan


def test_a_sweep_touches_only_the_due_cases(crowd):
    due, later = crowd
    timers_before = dict(CaseTimer.objects.filter(case_id__in=later).values_list("case_id", "due_at"))
    assert len(timers_before) == OPEN
    tables = ("cases_case", "cases_casetimer", "cases_caseevent", "dispatch_timermark")
    before = {name: table_stats(name) for name in tables}
    with CaptureQueriesContext(connection) as queries:
        result = timers_sweep(now=DEADLINE, batch=500)
    after = {name: table_stats(name) for name in before}

    assert (result.cases, dict(result.fired)) == (DUE, {"warning": DUE, "overdue": DUE})
    assert after["cases_case"][1] == before["cases_case"][1]  # the case rows are not written
    assert after["cases_casetimer"][1] - before["cases_casetimer"][1] == DUE  # the due timers only moved on
    assert after["cases_case"][2] == before["cases_case"][2]  # no sequential scan of the cases
    assert after["cases_caseevent"][0] - before["cases_caseevent"][0] == 2 * DUE
    assert after["dispatch_timermark"][0] - before["dispatch_timermark"][0] == 2 * DUE
    assert dict(CaseTimer.objects.filter(case_id__in=later).values_list("case_id", "due_at")) == timers_before
    assert set(TimerMark.objects.values_list("case_id", flat=True)) == set(due)
    assert CaseEvent.objects.filter(action="timer_overdue").count() == DUE
    # Set-based: one batch costs the same handful of statements however many cases it holds.
    statements = [q["sql"] for q in queries if not q["sql"].startswith(("SAVEPOINT", "RELEASE"))]
    # Claim, the commit's setting, ladder, then one statement for the marks with their events, the batch's
    # follow-up and the timers moved on; the announcement is the follow-up's work.
    assert len(statements) == 4, statements
    assert statements[1] == "SET LOCAL synchronous_commit TO OFF"


def test_a_sweep_with_nothing_due_is_one_index_probe(crowd):
    timers_sweep(now=DEADLINE)
    with CaptureQueriesContext(connection) as queries:
        result = timers_sweep(now=DEADLINE + timedelta(minutes=1))
    assert result.cases == 0
    assert len([q for q in queries if not q["sql"].startswith(("SAVEPOINT", "RELEASE"))]) == 1
