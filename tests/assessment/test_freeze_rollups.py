"""A freeze reads the period's daily roll-ups, brought up to date as of its bounds: the frozen figures equal the
events' up to those bounds, whatever landed in a rolled-up day after it was written."""

import os
import random
from datetime import timedelta

import psycopg2
import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assessment.compute import period_compute
from assessment.models import (
    AssessmentRun,
    DailyCategoryCounts,
    DailyPostCounts,
    DailyUnitCounts,
    RollupDay,
    UnitResult,
)
from assessment.periods import span_containing, span_custom
from assessment.rollups import freeze
from assessment.rollups import services as rollup_services
from assessment.rollups.services import rollup_day
from assessment.selectors import scheme_versions_in_force
from assessment.services import assessment_freeze, period_compute_now
from cases.models import Case, CaseEvent, EnforcementEvent

from .histories import chains_write, histories_write

pytestmark = pytest.mark.django_db

EXAMPLES = settings(
    max_examples=int(os.environ.get("ASSESSMENT_FREEZE_EXAMPLES", 5)),
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)


def _figures(rows):
    return {
        (subject, r.key): {n: round(float(v), 3) for n, v in r.counts.items()}
        for subject, units in rows.items()
        for r in units
    }


def _roll_up(span):
    for n in range((span.last - span.first).days + 1):
        rollup_day(day=span.first + timedelta(days=n))


def _late_event(case, like, at, **fields):
    """An event of `case` that arrives after its day was rolled up (an offline device, a correction), with a new id."""
    return CaseEvent.objects.create(
        case=case, region_path=case.region_path, at=at, from_status="", data={}, actor=like.actor,
        actor_role=like.actor_role, **fields,
    )  # fmt: skip


def _void_late(case, register):
    """The case's void approved with a time in a rolled-up day (作废): its stage, if any, ends there."""
    event = _late_event(
        case, register, register.at + timedelta(minutes=5), action="approve_void", to_status="voided",
        stage=case.stage or "", stage_deadline=case.stage_deadline, stage_met=None,
        department=case.lead_department,
    )  # fmt: skip
    Case.objects.filter(pk=case.pk).update(status="voided", stage="", stage_deadline=None)
    return event


def _both(span):
    """(from the roll-ups, from the events) with the same bounds, as a freeze reads the period."""
    versions = scheme_versions_in_force()
    with transaction.atomic():
        bounds, rolled = period_compute_now(span, versions=versions, now=span.end)
        # Brought up to date, unless the roll-ups never reached the period (its only day not written yet): then the
        # freeze counted the events.
        stale = freeze.stale_days(span, upto=bounds[0], enforcement_upto=bounds[1])
        reached = RollupDay.objects.filter(day__gte=span.first - timedelta(days=1)).exists()
        assert stale == [] or (stale is None and not reached), (span, stale)
        upto, enforcement_upto, track_upto = bounds
        direct = period_compute(
            span, versions=versions, now=span.end, upto=upto, enforcement_upto=enforcement_upto, track_upto=track_upto
        )
    return _figures(rolled), _figures(direct)


periods = st.one_of(
    st.builds(lambda m: span_containing("month", timezone.datetime(2026, m, 1).date()), st.integers(1, 3)),
    st.builds(
        lambda d, n: span_custom(
            timezone.datetime(2026, 1, 1).date() + timedelta(days=d),
            timezone.datetime(2026, 1, 1).date() + timedelta(days=d + n),
        ),
        st.integers(0, 80),
        st.integers(0, 30),
    ),
)


@EXAMPLES
@given(rnd=st.randoms(use_true_random=False), span=periods, cases=st.integers(2, 20), missing=st.integers(0, 1))
def test_a_freeze_from_the_roll_ups_equals_a_freeze_from_the_events(world, rnd, span, cases, missing):
    """Random histories and chains; after the period was rolled up, a late event lands in one of its days and a case
    is voided with a time in another; some days have no roll-up yet."""

    def draw(n):
        return rnd.randrange(n) if n > 1 else 0

    with transaction.atomic():
        made = histories_write(draw, world, cases)
        chains_write(draw, world, made)
        _roll_up(span)
        registers = list(CaseEvent.objects.filter(action="register", at__gte=span.start, at__lt=span.end))
        if registers:
            late = registers[draw(len(registers))]
            _late_event(late.case, late, late.at + timedelta(minutes=1), action="register", to_status="to_dispatch")
            # A case is voided at most once (voided is final): only a case its history has not voided can be.
            voidable = [r for r in registers if not CaseEvent.objects.filter(case_id=r.case_id, action="approve_void")]
            if voidable:
                voided = voidable[draw(len(voidable))]
                _void_late(Case.objects.get(pk=voided.case_id), voided)
        days = list(RollupDay.objects.filter(day__gte=span.first, day__lte=span.last))
        for record in rnd.sample(days, min(missing, len(days))):  # the beat has not written it yet
            for model in (DailyUnitCounts, DailyPostCounts, DailyCategoryCounts):
                model.objects.filter(day=record.day).delete()
            record.delete()
        rolled, direct = _both(span)
        transaction.set_rollback(True)
    assert rolled == direct


def _history(world, cases=12, seed=3):
    rnd = random.Random(seed)

    def draw(n):
        return rnd.randrange(n) if n > 1 else 0

    made = histories_write(draw, world, cases)
    chains_write(draw, world, made)
    return made


def test_a_freeze_never_reads_a_stale_roll_up(world):
    """A late event and a void land in rolled-up days: the freeze rolls those days up again, as of its bounds, and
    its frozen figures hold them; read as they were, the roll-ups would miss them."""
    _history(world)
    span = span_containing("month", timezone.datetime(2026, 1, 1).date())
    _roll_up(span)
    register = CaseEvent.objects.filter(action="register", at__gte=span.start, at__lt=span.end).order_by("at")[0]
    stale_before = RollupDay.objects.get(day=timezone.localdate(register.at))
    _late_event(register.case, register, register.at + timedelta(minutes=1), action="register", to_status="to_dispatch")
    other = (
        CaseEvent.objects.filter(action="register", at__gte=span.start, at__lt=span.end)
        .exclude(case__events__action="approve_void")
        .order_by("-at")[0]
    )
    _void_late(Case.objects.get(pk=other.case_id), other)
    upto = CaseEvent.objects.order_by("-id").values_list("id", flat=True)[0]
    enforcement_upto = EnforcementEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
    stale = freeze.stale_days(span, upto=upto, enforcement_upto=enforcement_upto)
    assert set(stale) == {timezone.localdate(register.at), timezone.localdate(other.at)}
    # What the stale roll-ups say (the late filing missing), against the events.
    versions = scheme_versions_in_force()
    with transaction.atomic():
        stale_rows = _figures(
            period_compute(
                span, versions=versions, now=span.end, upto=upto, enforcement_upto=enforcement_upto,
                track_upto=10**12, subjects=["region"], rollups_current=True,
            )
        )  # fmt: skip
        transaction.set_rollback(True)
    direct = _figures(
        period_compute(
            span, versions=versions, now=span.end, upto=upto, enforcement_upto=enforcement_upto,
            track_upto=10**12, subjects=["region"],
        )
    )  # fmt: skip
    assert stale_rows != direct  # the test can fail: stale roll-ups give other figures

    run = assessment_freeze(span=span, now=span.end + timedelta(days=1))
    assert run.last_event_id == upto
    frozen = {
        ("region", r.region.code): {n: round(float(v), 3) for n, v in r.counts.items()}
        for r in UnitResult.objects.filter(run=run, subject="region").select_related("region")
    }
    assert frozen == direct
    rewritten = RollupDay.objects.get(day=stale_before.day)
    assert rewritten.events == stale_before.events + 1 and rewritten.last_event_id == upto
    assert freeze.stale_days(span, upto=upto, enforcement_upto=enforcement_upto) == []


def test_a_freeze_counts_the_events_when_too_many_days_were_never_rolled_up(world, monkeypatch):
    _history(world)
    span = span_containing("month", timezone.datetime(2026, 1, 1).date())
    assert RollupDay.objects.count() == 0
    assert CaseEvent.objects.filter(at__gte=span.start, at__lt=span.end).exists()
    monkeypatch.setattr(freeze, "MAX_DAYS_REROLLED", 0)
    calls = []
    monkeypatch.setattr(freeze, "unit_counts", lambda **kw: calls.append(kw))
    rolled, direct = _both_without_check(span)
    assert calls == [] and rolled == direct
    assert RollupDay.objects.count() == 0  # nothing written: the events answered


def _both_without_check(span):
    versions = scheme_versions_in_force()
    with transaction.atomic():
        bounds, rolled = period_compute_now(span, versions=versions, now=span.end)
    upto, enforcement_upto, track_upto = bounds
    direct = period_compute(
        span, versions=versions, now=span.end, upto=upto, enforcement_upto=enforcement_upto, track_upto=track_upto
    )
    return _figures(rolled), _figures(direct)


def _lock_free_beside(freeze_reading) -> tuple[bool, bool]:
    """Whether another connection (the beat's) could take the roll-ups' lock before, and during, a freeze's
    transaction that ran `freeze_reading`."""
    settings_dict = connection.settings_dict
    other = psycopg2.connect(
        dbname=settings_dict["NAME"], user=settings_dict["USER"], host=settings_dict["HOST"],
        port=settings_dict["PORT"] or 5432, password=settings_dict["PASSWORD"] or None,
    )  # fmt: skip
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_xact_lock(hashtext('assessment.rollups'))")
            before = cursor.fetchone()[0]
        other.rollback()
        with transaction.atomic():
            freeze_reading()
            with other.cursor() as cursor:
                cursor.execute("SELECT pg_try_advisory_xact_lock(hashtext('assessment.rollups'))")
                during = cursor.fetchone()[0]
            other.rollback()
        return before, during
    finally:
        other.close()


def _roll_up_as_the_beat_did(span, monkeypatch):
    """The period rolled up as the beat's earlier transactions left it: without the lock in this test's transaction,
    which would still hold it when the freeze runs."""
    with monkeypatch.context() as patched:
        patched.setattr(rollup_services, "_lock", lambda: None)
        _roll_up(span)


def test_the_beat_cannot_write_a_roll_up_while_a_freeze_reads_them(world, monkeypatch):
    """The freeze holds the roll-ups' lock from reading its bounds to the end of its transaction: another writer (the
    beat, on its own connection) cannot take it meanwhile, so the two never write a day at once."""
    _history(world)
    span = span_containing("month", timezone.datetime(2026, 1, 1).date())
    _roll_up_as_the_beat_did(span, monkeypatch)
    versions = scheme_versions_in_force()
    before, during = _lock_free_beside(lambda: period_compute_now(span, versions=versions, now=span.end))
    assert (before, during) == (True, False)


def test_a_freeze_that_counts_the_events_leaves_the_beat_free(world, monkeypatch):
    """A freeze whose roll-ups cannot answer (here: more days to roll up again than allowed) counts the events and
    takes no lock: the beat's roll-ups and the live dashboards' today go on meanwhile."""
    _history(world)
    span = span_containing("month", timezone.datetime(2026, 1, 1).date())
    _roll_up_as_the_beat_did(span, monkeypatch)
    monkeypatch.setattr(freeze, "MAX_DAYS_REROLLED", -1)
    versions = scheme_versions_in_force()
    before, during = _lock_free_beside(lambda: period_compute_now(span, versions=versions, now=span.end))
    assert (before, during) == (True, True)


def test_a_freeze_from_the_roll_ups_takes_the_same_queries_for_3_and_30_cases(world):
    span = span_containing("month", timezone.datetime(2026, 1, 1).date())
    versions = scheme_versions_in_force()
    counted = []
    for cases, seed in ((3, 1), (30, 2)):
        with transaction.atomic():
            _history(world, cases, seed)
            _roll_up(span)
            with CaptureQueriesContext(connection) as queries:
                period_compute_now(span, versions=versions, now=span.end)
            counted.append(len(queries))
            transaction.set_rollback(True)
    assert counted[0] == counted[1]
    assert AssessmentRun.objects.count() == 0


def test_a_freeze_leaves_no_hole_behind_the_beats_newest_day(world):
    """The beat writes the days after its newest one in order: a freeze that rolls up days after it writes the days in
    between too, and writes none for a period the beat has not reached."""
    _history(world, 20, 4)
    january = span_containing("month", timezone.datetime(2026, 1, 1).date())
    _roll_up(span_custom(january.first, january.last - timedelta(days=2)))  # the beat is two days behind
    rolled, direct = _both(january)
    assert rolled == direct
    days = set(RollupDay.objects.filter(through__isnull=True).values_list("day", flat=True))
    assert days == {january.first + timedelta(days=n) for n in range(31)}
    # March: the beat's newest day is 31 January, so the freeze counts the events and writes nothing.
    march = span_containing("month", timezone.datetime(2026, 3, 1).date())
    rolled, direct = _both_without_check(march)
    assert rolled == direct
    assert not RollupDay.objects.filter(day__gt=january.last).exists()
