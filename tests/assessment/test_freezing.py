"""Periods freeze at their end; later events do not change a frozen month; recomputations are recorded."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import IntegrityError
from django.utils import timezone

from assessment.models import AssessmentRun, RunKind, UnitResult
from assessment.periods import span_containing
from assessment.selectors import period_results
from assessment.services import (
    assessment_freeze,
    assessment_freeze_backfill,
    assessment_freeze_due,
    assessment_recompute,
)
from cases.models import CaseEvent
from huizhou_cityops.errors import ConflictError

from .scenario import at, dispatched, handled, october

pytestmark = pytest.mark.django_db
OCTOBER = span_containing("month", date(2026, 10, 1))
TZ = ZoneInfo("Asia/Shanghai")
NOVEMBER_2 = datetime(2026, 11, 2, 9, 0, tzinfo=TZ)


def department_counts(span, cases):
    return period_results(span=span, subjects=["department"]).one("department", cases.p["handler_department"].code)


def test_a_frozen_month_does_not_change_when_later_events_arrive(cases):
    made = october(cases)
    run = assessment_freeze(span=OCTOBER, now=NOVEMBER_2)
    frozen = department_counts(OCTOBER, cases)
    assert frozen.counts["dispatched"] == 5 and frozen.counts["overdue_open"] == 1
    # Later: D is finally handled in November, and a case entered late is backdated into October.
    handled(cases, made["D"], datetime(2026, 11, 3, 10, 0, tzinfo=TZ))
    dispatched(cases, 27)
    again = department_counts(OCTOBER, cases)
    assert again.counts == frozen.counts and again.score == frozen.score
    assert period_results(span=OCTOBER).run == run
    # Computed live, the month would now read differently (the late case counts).
    live = period_results(span=OCTOBER, subjects=["department"], live=True).one(
        "department", cases.p["handler_department"].code
    )
    assert live.counts["dispatched"] == 6


def test_freezing_is_idempotent_and_refuses_a_period_not_over(cases):
    first = assessment_freeze(span=OCTOBER, now=NOVEMBER_2)
    assert assessment_freeze(span=OCTOBER, now=NOVEMBER_2) == first
    assert AssessmentRun.objects.filter(kind=RunKind.FREEZE).count() == 1
    with pytest.raises(ConflictError):
        assessment_freeze(span=span_containing("month", date(2026, 11, 1)), now=NOVEMBER_2)


def test_one_freeze_per_period_is_a_database_rule(cases):
    run = assessment_freeze(span=OCTOBER, now=NOVEMBER_2)
    with pytest.raises(IntegrityError):
        AssessmentRun.objects.create(
            period_kind="month",
            period_start=run.period_start,
            period_end=run.period_end,
            kind=RunKind.FREEZE,
            computed_at=NOVEMBER_2,
            last_event_id=0,
            as_of=NOVEMBER_2,
        )


def test_a_recomputation_keeps_the_old_results_and_records_who_and_why(cases, assessor):
    october(cases)
    old = assessment_freeze(span=OCTOBER, now=NOVEMBER_2)
    old_results = {r.pk: (r.counts, r.score) for r in UnitResult.objects.filter(run=old)}
    dispatched(cases, 27)  # a late import into October
    new = assessment_recompute(span=OCTOBER, actor=assessor, reason="12345 热线迟录案件补录", now=NOVEMBER_2)
    assert new.kind == RunKind.RECOMPUTE and new.requested_by == assessor and new.supersedes == old
    assert new.reason == "12345 热线迟录案件补录" and new.last_event_id > old.last_event_id
    assert {r.pk: (r.counts, r.score) for r in UnitResult.objects.filter(run=old)} == old_results
    shown = period_results(span=OCTOBER)
    assert shown.run == new
    assert shown.one("department", cases.p["handler_department"].code).counts["dispatched"] == 6
    assert shown.one("department", cases.p["handler_department"].code).scheme_version_id is not None


def test_a_recomputation_as_of_a_run_reproduces_it(cases, assessor):
    made = october(cases)
    old = assessment_freeze(span=OCTOBER, now=NOVEMBER_2)
    handled(cases, made["D"], datetime(2026, 11, 3, 10, 0, tzinfo=TZ))
    dispatched(cases, 27)
    again = assessment_recompute(span=OCTOBER, actor=assessor, reason="reproduce", as_of_run=old, now=NOVEMBER_2)

    def table(run):
        return {
            (r.subject, r.department_id, r.region_id, r.user_id): (r.counts, r.values, r.score, r.grade)
            for r in UnitResult.objects.filter(run=run)
        }

    assert table(again) == table(old)


def test_a_recomputation_needs_a_reason(cases, assessor):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        assessment_recompute(span=OCTOBER, actor=assessor, reason="  ", now=NOVEMBER_2)


def test_the_beat_task_freezes_each_period_kind_that_ended_with_data(cases):
    october(cases)
    runs = assessment_freeze_due(now=NOVEMBER_2)
    kinds = {(r.period_kind, r.period_start) for r in runs}
    # The quiet Sunday 1 November has data (October's backlog); the third quarter and 2025 had no case yet.
    assert kinds == {
        ("day", date(2026, 11, 1)),
        ("week", date(2026, 10, 26)),
        ("month", date(2026, 10, 1)),
    }
    assert assessment_freeze_due(now=NOVEMBER_2) == []


def test_the_beat_never_freezes_a_period_before_any_data_and_freezes_it_once_data_arrives(cases):
    assert assessment_freeze_due(now=NOVEMBER_2) == []
    assert not AssessmentRun.objects.exists()
    # The city's history is loaded afterwards (October's cases): the next beat freezes October with them.
    october(cases)
    runs = {r.period_kind: r for r in assessment_freeze_due(now=NOVEMBER_2)}
    assert runs["month"].period_start == date(2026, 10, 1)
    assert department_counts(OCTOBER, cases).counts["dispatched"] == 5
    assert "quarter" not in runs and "year" not in runs


def test_a_backfill_freezes_every_ended_period_since_the_first_case_once(cases):
    october(cases)
    already = assessment_freeze(span=span_containing("week", date(2026, 10, 12)), now=NOVEMBER_2)
    runs = assessment_freeze_backfill(now=NOVEMBER_2, kinds=["week", "month", "quarter"])
    first = timezone.localdate(CaseEvent.objects.order_by("at").first().at)
    weeks, week = [], span_containing("week", first)
    while week.first <= date(2026, 10, 26):
        weeks.append(week.first)
        week = week.next()
    assert [r.period_start for r in runs if r.period_kind == "week"] == [w for w in weeks if w != already.period_start]
    assert [(r.period_kind, r.period_start) for r in runs if r.period_kind != "week"] == [("month", date(2026, 10, 1))]
    # The week frozen before is kept as it was, every period has one freeze, and a second backfill has nothing to do.
    assert AssessmentRun.objects.filter(period_kind="week", period_start=already.period_start).count() == 1
    assert assessment_freeze_backfill(now=NOVEMBER_2, kinds=["week", "month", "quarter"]) == []
    assert department_counts(OCTOBER, cases).counts["dispatched"] == 5


def test_the_backfill_command_freezes_and_lists_each_period_and_refuses_what_does_not_go_together(cases):
    import io

    from django.core.management.base import CommandError

    assert assessment_freeze_backfill(now=NOVEMBER_2) == []  # no case yet: nothing to freeze
    october(cases)
    out = io.StringIO()
    call_command("assessment_freeze", "--backfill", "--kinds", "month", stdout=out)
    months = AssessmentRun.objects.filter(period_kind="month", kind=RunKind.FREEZE)
    # Every month from October to the one before this one, each named as it was frozen.
    assert months.count() == out.getvalue().count(" · run ") >= 1
    assert months.filter(period_start=date(2026, 10, 1)).exists()
    assert not AssessmentRun.objects.exclude(period_kind="month").exists()
    for arguments, message in [
        (["--backfill", "--kinds", "month,fortnight"], "fortnight"),
        (["--backfill", "--kinds", " , "], "Unknown period kind"),
        (["--kinds", "month"], "--kinds goes with --backfill"),
        (["--backfill", "--period", "month:2026-10-01"], "not both"),
    ]:
        with pytest.raises(CommandError, match=message):
            call_command("assessment_freeze", *arguments)


def test_the_beat_entry_and_task_are_wired():
    from assessment.tasks import assessment_freeze_due_task

    entry = settings.CELERY_BEAT_SCHEDULE["assessment-freeze-due"]
    assert entry["task"] == assessment_freeze_due_task.name == "assessment.freeze_due"


def test_the_recompute_command_records_the_user_and_reason(cases, assessor):
    assessment_freeze(span=OCTOBER, now=NOVEMBER_2)
    call_command("assessment_recompute", period=OCTOBER.key, user=assessor.username, reason="scheme fix")
    run = AssessmentRun.objects.order_by("-id").first()
    assert run.kind == RunKind.RECOMPUTE and run.requested_by == assessor and run.reason == "scheme fix"


def test_late_at_is_still_in_october():
    assert OCTOBER.start <= at(31, 23, 59) < OCTOBER.end


def test_a_freeze_keeps_the_top_categories_and_bulletin_splits_the_live_query_gives(cases, huizhou_grid):
    from assessment.selectors import bulletin_splits, top_categories

    october(cases)
    run = assessment_freeze(span=OCTOBER, now=NOVEMBER_2)
    for region in (huizhou_grid.city, huizhou_grid.huicheng, huizhou_grid.qiaodong):
        frozen = top_categories(span=OCTOBER, region_path=region.path, run=run)
        live = top_categories(span=OCTOBER, region_path=region.path)
        assert [(t["category"].code, t["count"]) for t in frozen] == [(t["category"].code, t["count"]) for t in live]
        assert frozen and frozen[0]["count"] == 5
    for region in (huizhou_grid.city, huizhou_grid.huicheng):
        assert bulletin_splits(span=OCTOBER, region_path=region.path, run=run) == bulletin_splits(
            span=OCTOBER, region_path=region.path
        )
    splits = bulletin_splits(span=OCTOBER, region_path=huizhou_grid.city.path, run=run)
    assert splits["by_source"] == [{"case__source": "grid_worker", "accepted": 5, "filed": 5, "closed": 3}]
