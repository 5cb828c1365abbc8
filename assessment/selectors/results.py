"""Read use-cases of the assessment: schemes in force, a period's results (frozen or live), trends, case lists."""

import logging
import re
from dataclasses import dataclass
from decimal import Decimal

from django.core.cache import cache
from django.db.models import Max
from django.utils import timezone

from cases.models import Case, CaseEvent

from ..compute import UnitRow, period_compute
from ..indicators.rates import DEPARTMENT_INDICATORS, POST_INDICATORS, REGION_INDICATORS
from ..models import AssessmentRun, Scheme, SchemeVersion, Subject, UnitResult
from ..periods import Span, spans_back

logger = logging.getLogger(__name__)


def _live_cache_seconds():
    from django.conf import settings

    return getattr(settings, "ASSESSMENT_LIVE_CACHE_SECONDS", 60)


def scheme_versions_in_force(*, overrides=None):
    """{subject: SchemeVersion}: the newest version of each subject's primary scheme, or of the scheme whose code
    `overrides` names for that subject ({subject: scheme code})."""
    overrides = overrides or {}
    schemes = {s.subject: s for s in Scheme.objects.filter(primary=True, active=True)}
    for subject, code in overrides.items():
        chosen = Scheme.objects.filter(code=code, subject=subject, active=True).first()
        if chosen is not None:
            schemes[subject] = chosen
    latest = (
        SchemeVersion.objects.filter(scheme__in=schemes.values())
        .values("scheme_id")
        .annotate(number=Max("number"))
        .values_list("scheme_id", "number")
    )
    wanted = dict(latest)
    versions = SchemeVersion.objects.filter(scheme__in=schemes.values()).select_related("scheme")
    by_scheme = {v.scheme_id: v for v in versions if wanted.get(v.scheme_id) == v.number}
    return {subject: by_scheme[s.pk] for subject, s in schemes.items() if s.pk in by_scheme}


def schemes_for_subject(subject):
    return list(Scheme.objects.filter(subject=subject, active=True).order_by("-primary", "code"))


def run_latest(span: Span):
    """The newest run (freeze or recomputation) of exactly this period, or None."""
    return (
        AssessmentRun.objects.filter(period_kind=span.kind, period_start=span.first, period_end=span.last)
        .order_by("-id")
        .first()
    )


def runs_of_period(span: Span):
    return list(
        AssessmentRun.objects.filter(period_kind=span.kind, period_start=span.first, period_end=span.last)
        .select_related("requested_by")
        .order_by("-id")
    )


@dataclass
class PeriodResults:
    """A period's results: frozen (read from a run) or live (computed now)."""

    span: Span
    rows: dict  # subject -> [UnitRow]
    run: AssessmentRun | None
    versions: dict  # subject -> SchemeVersion id

    @property
    def frozen(self):
        return self.run is not None

    def of(self, subject, level=None):
        rows = self.rows.get(subject, [])
        return [r for r in rows if level is None or r.level == level]

    def one(self, subject, key):
        return next((r for r in self.rows.get(subject, []) if r.key == key), None)


UNIT_KEY_FIELD = {Subject.DEPARTMENT: "department__code", Subject.REGION: "region__code"}


def _rows_from_run(run, subjects, key=None):
    results = UnitResult.objects.filter(run=run, subject__in=subjects)
    if key is not None:
        # One unit of one subject: its row only (the trend reads one unit over several frozen periods).
        results = results.filter(**{UNIT_KEY_FIELD.get(subjects[0], "user__username"): key})
    results = (
        results
        .select_related("department", "user")
        .defer("region__geom")
        .select_related("region", "region__parent")
        .only(
            "subject", "counts", "values", "score", "grade", "components", "rank", "scheme_version_id",
            "department__code", "department__name", "department__level",
            "region__code", "region__name", "region__level", "region__area_class", "region__parent__code",
            "user__username", "user__full_name",
        )
        .order_by("subject", "rank", "id")
    )  # fmt: skip
    rows = {}
    for r in results:
        unit = r.department or r.region or r.user
        if r.department_id:
            key, name, level, parent = unit.code, unit.name, unit.level, ""
        elif r.region_id:
            key, name, level, parent = unit.code, unit.name, unit.level, unit.parent.code if unit.parent_id else ""
        else:
            key, name, level, parent = unit.username, unit.full_name or unit.username, "", ""
        rows.setdefault(r.subject, []).append(
            UnitRow(
                subject=r.subject,
                key=key,
                name=name,
                counts=r.counts,
                values=r.values,
                score=r.score,
                grade=r.grade,
                components=r.components,
                scheme_version_id=r.scheme_version_id,
                rank=r.rank,
                level=level,
                parent_code=parent,
                obj_id=unit.pk,
            )
        )
    for subject in rows:
        rows[subject].sort(key=lambda row: (row.rank is None, row.rank or 0, row.key))
    return rows


def _cache_get(key):
    # The cache only saves time: when it does not answer (Redis down), the page computes the results itself.
    try:
        return cache.get(key)
    except Exception:  # the backend's own connection errors; any of them means "no cached value"
        logger.warning("assessment cache unavailable; computing live results without it", exc_info=True)
        return None


def _cache_set(key, rows, seconds):
    try:
        cache.set(key, rows, seconds)
    except Exception:  # as in _cache_get: results not kept is no reason to fail the page
        logger.warning("assessment cache unavailable; results not kept", exc_info=True)


def period_results(*, span: Span, subjects=None, overrides=None, now=None, live=False):
    """The period's results: the newest frozen run when there is one (and `live` is not asked), else computed now.

    A scheme override (another scheme than the primary one) always computes live: frozen results hold the
    primary schemes. Live results of the same minute are cached briefly (they are read by several pages).
    """
    subjects = list(subjects or Subject.values)
    run = None if (live or overrides) else run_latest(span)
    if run is not None:
        rows = _rows_from_run(run, subjects)
        return PeriodResults(span=span, rows=rows, run=run, versions={})
    versions = scheme_versions_in_force(overrides=overrides)
    now = now or timezone.now()
    seconds = _live_cache_seconds()
    if not seconds:
        rows = period_compute(span, versions=versions, now=now, subjects=subjects)
        return PeriodResults(span=span, rows=rows, run=None, versions={s: v.pk for s, v in versions.items()})
    # The newest event id is part of the key: any new event makes a new entry (one index probe).
    last = CaseEvent.objects.aggregate(m=Max("id"))["m"] or 0
    key = "assessment:live:{}:{}:{}:{}:{}".format(
        span.key,
        ",".join(sorted(subjects)),
        ",".join(f"{s}={v.pk}" for s, v in sorted(versions.items())),
        last,
        now.strftime("%Y%m%d%H%M"),
    )
    rows = _cache_get(key)
    if rows is None:
        rows = period_compute(span, versions=versions, now=now, subjects=subjects)
        _cache_set(key, rows, seconds)
    return PeriodResults(span=span, rows=rows, run=None, versions={s: v.pk for s, v in versions.items()})


def change(current, previous):
    """Difference of two numbers (None when either is missing)."""
    if current is None or previous is None:
        return None
    return Decimal(str(current)) - Decimal(str(previous))


def trend(*, span: Span, subject, key, names, periods=6, overrides=None):
    """[(label, score, {indicator: value})] for the unit over `periods` periods ending with `span`."""
    points = []
    for s in spans_back(span, periods):
        run = None if overrides else run_latest(s)
        if run is not None:
            row = next(iter(_rows_from_run(run, [subject], key=key).get(subject, [])), None)
        else:
            row = period_results(span=s, subjects=[subject], overrides=overrides).one(subject, key)
        points.append(
            {
                "label": s.label,
                "score": float(row.score) if row and row.score is not None else None,
                "values": {n: (row.values.get(n) if row else None) for n in names},
            }
        )
    return points


def indicator_names(subject):
    if subject == Subject.DEPARTMENT:
        return DEPARTMENT_INDICATORS
    if subject == Subject.REGION:
        return REGION_INDICATORS
    return POST_INDICATORS[subject]


def case_list_for_figure(*, user, span, run, unit_kind, key, role, count):
    """The cases behind one count of one unit (within what the user may see), newest first."""
    from django.db.models.expressions import RawSQL

    from ..indicators.sql import case_ids_params, case_ids_sql

    upto = run.last_event_id if run is not None else None
    now = run.as_of if run is not None else timezone.now()
    sql = case_ids_sql(count=count, unit_kind=unit_kind, upto=upto)
    params = case_ids_params(start=span.start, end=span.end, bound=now, upto=upto, key=key, role=role)
    # RawSQL takes positional params: turn the named ones into %s in order of appearance.
    names = re.findall(r"%\((\w+)\)s", sql)
    positional = re.sub(r"%\((\w+)\)s", "%s", sql)
    ids = RawSQL(positional, [params[n] for n in names])  # noqa: S611 - constant SQL, values as parameters
    return Case.objects.visible_to(user).for_list().filter(pk__in=ids).order_by("-id")
