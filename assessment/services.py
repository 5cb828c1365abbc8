"""Write use-cases of the assessment: new scheme versions, freezing a period, recomputing it."""

import time

from django.db import IntegrityError, transaction
from django.db.models import Max, Min
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.models import NOT_TIMER_EVENT, CaseEvent, EnforcementEvent
from grids.models import TrackPoint
from huizhou_cityops.errors import ConflictError

from .compute import period_compute
from .indicators.missed import missed_rule
from .models import AssessmentRun, RunKind, Scheme, SchemeVersion, Subject, UnitResult
from .periods import KINDS, Span, span_containing
from .scoring import rules_validate
from .selectors import bulletin_splits_by_region, run_latest, scheme_versions_in_force, top_categories_by_region

# The kinds of period frozen automatically at their end (custom periods are computed on demand).
FROZEN_KINDS = ("day", "week", "month", "quarter", "year")


@transaction.atomic
def scheme_version_create(*, scheme: Scheme, components, thresholds, grades, note="", actor=None) -> SchemeVersion:
    """A new version of `scheme` with these rules (validated; 400 with field messages). Earlier versions stay."""
    rules_validate(components=components, thresholds=thresholds, grades=grades)
    Scheme.objects.select_for_update().filter(pk=scheme.pk).first()  # one new number at a time
    number = (scheme.versions.aggregate(n=Max("number"))["n"] or 0) + 1
    return SchemeVersion.objects.create(
        scheme=scheme,
        number=number,
        components=components,
        thresholds=thresholds,
        grades=grades,
        note=note,
        created_by=actor,
    )


def _store(
    *,
    span: Span,
    kind,
    actor=None,
    reason="",
    supersedes=None,
    now=None,
    upto=None,
    track_upto=None,
    enforcement_upto=None,
):
    """Compute every unit of the period and write the run with its results in one transaction."""
    started = time.monotonic()
    now = now or timezone.now()
    versions = scheme_versions_in_force()
    as_of = min(now, span.end)
    with transaction.atomic():
        if upto is None and track_upto is None and enforcement_upto is None:
            # Every event known now: from the period's roll-ups, brought up to date as of the newest ids.
            (last_event_id, enforcement_upto, track_upto), rows = period_compute_now(span, versions=versions, now=as_of)
        else:
            # Read the last event id first: events written while we compute (id above it) are left out, so the run
            # is exactly "every event up to last_event_id". The same for the patrol tracks the missed reports read.
            last_event_id = upto if upto is not None else (CaseEvent.objects.aggregate(m=Max("id"))["m"] or 0)
            if track_upto is None:
                track_upto = TrackPoint.objects.aggregate(m=Max("id"))["m"] or 0
            if enforcement_upto is None:
                enforcement_upto = EnforcementEvent.objects.aggregate(m=Max("id"))["m"] or 0
            rows = period_compute(
                span,
                versions=versions,
                now=as_of,
                upto=last_event_id,
                track_upto=track_upto,
                enforcement_upto=enforcement_upto,
            )
        extras = {
            "top_categories": top_categories_by_region(span=span, upto=last_event_id),
            "bulletin": bulletin_splits_by_region(span=span, upto=last_event_id),
            "missed_rule": missed_rule(),
        }
        run = AssessmentRun.objects.create(
            period_kind=span.kind,
            period_start=span.first,
            period_end=span.last,
            kind=kind,
            requested_by=actor,
            reason=reason,
            computed_at=now,
            last_event_id=last_event_id,
            last_track_point_id=track_upto,
            last_enforcement_event_id=enforcement_upto,
            as_of=as_of,
            supersedes=supersedes,
            extras=extras,
        )
        results = []
        for subject, unit_rows in rows.items():
            for row in unit_rows:
                unit = {"department_id": None, "region_id": None, "user_id": None}
                unit[{Subject.DEPARTMENT: "department_id", Subject.REGION: "region_id"}.get(subject, "user_id")] = (
                    row.obj_id
                )
                results.append(
                    UnitResult(
                        run=run,
                        subject=subject,
                        scheme_version_id=row.scheme_version_id or versions[subject].pk,
                        counts=row.counts,
                        values=row.values,
                        components=row.components,
                        score=row.score,
                        grade=row.grade,
                        rank=row.rank,
                        **unit,
                    )
                )
        UnitResult.objects.bulk_create(results, batch_size=2000)
        AssessmentRun.objects.filter(pk=run.pk).update(seconds=round(time.monotonic() - started, 3))
    return run


def period_compute_now(span: Span, *, versions, now, subjects=None):
    """((upto, enforcement_upto, track_upto), rows): the period as of every event known now, as a freeze reads it.

    Under the roll-ups' lock (held to the end of the caller's transaction, so the beat cannot write a day
    meanwhile) the newest ids become the bounds, the period's days whose roll-up does not hold exactly their events
    up to them are rolled up again, and the period is read from its roll-ups (rollups/freeze.py): the figures equal
    the events' up to the bounds. When the roll-ups cannot answer (too many days never rolled up) it counts the
    events directly with the same bounds, and takes no lock: that is seen first, without it, so a freeze that counts a
    year of events does not hold up the beat's roll-ups (and the live dashboards' today) meanwhile."""
    from .rollups.freeze import bring_up_to_date, lock_and_bounds, newest_ids, rollups_can_answer

    upto, enforcement_upto, track_upto = newest_ids()
    current = False
    if rollups_can_answer(span, upto=upto, enforcement_upto=enforcement_upto):
        upto, enforcement_upto, track_upto = lock_and_bounds()
        current = bring_up_to_date(span, upto=upto, enforcement_upto=enforcement_upto) is not None
    rows = period_compute(
        span,
        versions=versions,
        now=now,
        upto=upto,
        track_upto=track_upto,
        enforcement_upto=enforcement_upto,
        subjects=subjects,
        rollups_current=current,
    )
    return (upto, enforcement_upto, track_upto), rows


def assessment_freeze(*, span: Span, now=None) -> AssessmentRun:
    """Freeze a period that has ended: its results with the scheme versions in force and the input counts.

    Idempotent: a period frozen already keeps its freeze (returned as it is). 409 for a period not over yet.
    """
    now = now or timezone.now()
    if not span.is_over(now):
        raise ConflictError(_("The period is not over yet; it stays live until it ends."), code="period_open")
    existing = AssessmentRun.objects.filter(
        period_kind=span.kind, period_start=span.first, period_end=span.last, kind=RunKind.FREEZE
    ).first()
    if existing is not None:
        return existing
    try:
        return _store(span=span, kind=RunKind.FREEZE, now=now)
    except IntegrityError:
        # Another worker froze it at the same moment: the unique constraint kept one freeze.
        return AssessmentRun.objects.get(
            period_kind=span.kind, period_start=span.first, period_end=span.last, kind=RunKind.FREEZE
        )


def period_has_data(span: Span) -> bool:
    """Whether anything had happened by the end of the period: a case event before its end (a quiet day of a
    running city has data, its backlog; a month before the first case has none). The timer sweep's events are left
    out, so the probe is one step into case_event_at_no_timer: a case's timer events never come before its first
    event."""
    return CaseEvent.objects.filter(NOT_TIMER_EVENT, at__lt=span.end).exists()


def assessment_freeze_due(*, now=None, kinds=FROZEN_KINDS) -> list[AssessmentRun]:
    """Freeze the last ended period of each kind that has no freeze yet (what the beat task runs).

    A period with no data yet (no case event before its end) is not frozen: it stays live, so a city that
    starts (or loads its history) later is scored on its data, never on an empty freeze.
    """
    now = now or timezone.now()
    today = timezone.localdate(now)
    runs = []
    for kind in kinds:
        if kind not in KINDS:
            continue
        span = span_containing(kind, today).previous()
        if not period_has_data(span):
            continue
        if not AssessmentRun.objects.filter(
            period_kind=span.kind, period_start=span.first, period_end=span.last, kind=RunKind.FREEZE
        ).exists():
            runs.append(assessment_freeze(span=span, now=now))
    return runs


BACKFILL_KINDS = ("week", "month", "quarter", "year")


def assessment_freeze_backfill(*, now=None, kinds=BACKFILL_KINDS, frozen_each=None) -> list[AssessmentRun]:
    """Freeze every ended period of `kinds` since the first case event that has no freeze yet, oldest first: the
    periods the beat would have frozen had it run all along (after a city loads its history, or after the beat was
    down for more than a period). Each is frozen now: with every event known now and the schemes in force now.
    `frozen_each(run)` is called as each one is frozen (progress)."""
    now = now or timezone.now()
    first = CaseEvent.objects.filter(NOT_TIMER_EVENT).aggregate(at=Min("at"))["at"]
    if first is None:
        return []
    first_day, today = timezone.localdate(first), timezone.localdate(now)
    runs = []
    for kind in kinds:
        if kind not in FROZEN_KINDS:
            raise ValueError(f"not a period kind that freezes: {kind}")
        frozen = set(
            AssessmentRun.objects.filter(period_kind=kind, kind=RunKind.FREEZE).values_list("period_start", flat=True)
        )
        span, current = span_containing(kind, first_day), span_containing(kind, today)
        while span.first < current.first:
            if span.first not in frozen:
                runs.append(assessment_freeze(span=span, now=now))
                if frozen_each is not None:
                    frozen_each(runs[-1])
            span = span.next()
    return runs


def assessment_recompute(*, span: Span, actor, reason: str, as_of_run: AssessmentRun | None = None, now=None):
    """Compute an ended period again and keep it as a new run; earlier runs and their results stay as they were.

    Records who asked and why. With `as_of_run` the recomputation reads only the events and patrol track points
    that run read (to reproduce it, e.g. after a scheme fix); otherwise every event known now.
    """
    if actor is None or not reason.strip():
        from django.core.exceptions import ValidationError

        raise ValidationError({"reason": [_("Say why the period is computed again.")]})
    now = now or timezone.now()
    if not span.is_over(now):
        raise ConflictError(_("The period is not over yet; it stays live until it ends."), code="period_open")
    return _store(
        span=span,
        kind=RunKind.RECOMPUTE,
        actor=actor,
        reason=reason.strip(),
        supersedes=run_latest(span),
        now=now,
        upto=as_of_run.last_event_id if as_of_run is not None else None,
        track_upto=as_of_run.last_track_point_id if as_of_run is not None else None,
        enforcement_upto=as_of_run.last_enforcement_event_id if as_of_run is not None else None,
    )
