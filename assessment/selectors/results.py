"""Read use-cases of the assessment: schemes in force, a period's results (frozen or live), trends, case lists."""

import logging
import re
import sys
from dataclasses import dataclass

from django.db.models import Max, Q
from django.utils import timezone

from cases.models import Case
from grids.models import Level

from ..comparison import compare
from ..compute import UnitRow, period_compute
from ..indicators.rates import DEPARTMENT_INDICATORS, POST_INDICATORS, REGION_INDICATORS
from ..livecache import _cache_get, _cache_set, _live_cache_seconds
from ..models import AssessmentRun, Scheme, SchemeVersion, Subject, UnitResult
from ..periods import Span, spans_back
from ..ranking import sample_size, wilson_lower

logger = logging.getLogger(__name__)


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
    """A period's figures, from one place: the newest frozen run when the period has one, else computed now.

    Every page, export and bulletin reads a period through this object, side figures included (高发问题, the
    bulletin's splits, the map's counts): for a frozen period they are read from the run or counted over exactly
    the events the run read, so no page can mix frozen and live numbers. `rescored` names the subjects scored
    with another scheme than the frozen one (their figures are still the run's).
    """

    span: Span
    rows: dict  # subject -> [UnitRow]
    run: AssessmentRun | None
    versions: dict  # subject -> SchemeVersion id
    rescored: tuple = ()

    @property
    def frozen(self):
        return self.run is not None

    @property
    def upto(self):
        """The last event the figures read (None: every event, live)."""
        return self.run.last_event_id if self.run is not None else None

    @property
    def track_upto(self):
        """The last patrol track point the figures read (None: every point, live or a run from before the bound)."""
        return self.run.last_track_point_id if self.run is not None else None

    def of(self, subject, level=None):
        rows = self.rows.get(subject, [])
        return [r for r in rows if level is None or r.level == level]

    def one(self, subject, key):
        return next((r for r in self.rows.get(subject, []) if r.key == key), None)

    def top_categories(self, *, region_path="", department_id=None, limit=10):
        from .reports import top_categories

        return top_categories(
            span=self.span, region_path=region_path, department_id=department_id, limit=limit, run=self.run
        )

    def splits(self, *, region_path=""):
        from .reports import bulletin_splits

        return bulletin_splits(span=self.span, region_path=region_path, run=self.run)

    def hotspots(self, *, region):
        from .reports import hotspot_features

        return hotspot_features(span=self.span, region=region, upto=self.upto)


UNIT_KEY_FIELD = {Subject.DEPARTMENT: "department__code", Subject.REGION: "region__code"}


# The region levels read whenever a page asks for some of them only: the city, districts and streets together (about
# 90 rows), so the pages that show some of them share one computation and one cached reading per period; the
# communities (some 1,400 rows) are read with every level, by the pages that show them.
UPPER_LEVELS = frozenset({Level.CITY, Level.DISTRICT, Level.STREET})


def _levels_read(levels, subjects):
    """The levels a reading holds: UPPER_LEVELS when the asked ones are among them, else every level (None); None
    as well when the reading has no region rows."""
    if levels is None or Subject.REGION not in subjects or not set(levels) <= UPPER_LEVELS:
        return None
    return UPPER_LEVELS


def _levels_key(levels):
    return ",".join(sorted(levels)) if levels is not None else "all"


def _rows_from_run(run, subjects, key=None, levels=None):
    """The run's rows of `subjects` (or of one unit; its regions at `levels` only); a run never changes, so they
    are cached by its id."""
    seconds = _live_cache_seconds()
    if not seconds:
        return _read_run(run, subjects, key, levels)
    cache_key = "assessment:run:{}:{}:{}:{}".format(run.pk, ",".join(sorted(subjects)), key or "", _levels_key(levels))
    rows = _cache_get(cache_key)
    if rows is None:
        rows = _read_run(run, subjects, key, levels)
        _cache_set(cache_key, rows, 24 * 3600)
    return rows


def _shared_names(figures):
    """A row's figures keyed by one shared string per name: each row's JSON is decoded on its own, so a run of about
    1,600 rows would otherwise hold some 100,000 copies of the same few dozen names (half the rows' memory)."""
    if not isinstance(figures, dict):
        return figures
    return {sys.intern(name) if isinstance(name, str) else name: value for name, value in figures.items()}


def _read_run(run, subjects, key=None, levels=None):
    results = UnitResult.objects.filter(run=run, subject__in=subjects)
    if levels is not None:
        results = results.filter(~Q(subject=Subject.REGION) | Q(region__level__in=levels))
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
    # One result at a time: the queryset's cache would hold every result with its figures decoded as well.
    for r in results.iterator(chunk_size=200):
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
                counts=_shared_names(r.counts),
                values=_shared_names(r.values),
                score=r.score,
                grade=r.grade,
                components=_shared_names(r.components),
                scheme_version_id=r.scheme_version_id,
                rank=r.rank,
                level=level,
                parent_code=parent,
                obj_id=unit.pk,
            )
        )
    # The sample each score rests on follows from the counts and the version's rules (one query per run).
    ids = {row.scheme_version_id for subject_rows in rows.values() for row in subject_rows}
    rules = {pk: version.rules() for pk, version in SchemeVersion.objects.in_bulk(ids).items()} if ids else {}
    for subject_rows in rows.values():
        for row in subject_rows:
            row.sample = sample_size(rules.get(row.scheme_version_id), row.counts)
            row.bound = wilson_lower(row.score, row.sample)
        subject_rows.sort(key=_frozen_order)
    return rows


def _frozen_order(row):
    return (row.rank is None, row.rank or 0, row.score is None, -(row.score or 0), row.key)


def _live_rows(span, *, subjects, versions, now, upto=None, track_upto=None, enforcement_upto=None, levels=None):
    """Rows computed now, cached when the cache is on.

    A live reading is keyed by the daily roll-ups' version and the current time bucket (ASSESSMENT_LIVE_CACHE_SECONDS
    long): every request of the bucket shares one computation, however many events arrive meanwhile. A reading "as
    of" a run is keyed by the run's bounds.
    """
    seconds = _live_cache_seconds()
    compute = {"versions": versions, "now": now, "subjects": subjects, "upto": upto, "track_upto": track_upto}
    compute["enforcement_upto"] = enforcement_upto
    compute["region_levels"] = levels
    if not seconds:
        return period_compute(span, **compute)
    if upto is None:
        from ..rollups.read import rollup_version

        bounds = f"live:{rollup_version()}:{int(now.timestamp()) // seconds}"
    else:
        bounds = f"asof:{upto}:{track_upto}:{enforcement_upto}:{now.isoformat()}"
    key = "assessment:rows:{}:{}:{}:{}:{}".format(
        span.key,
        ",".join(sorted(subjects)),
        ",".join(f"{s}={v.pk}" for s, v in sorted(versions.items())),
        _levels_key(levels),
        bounds,
    )
    rows = _cache_get(key)
    if rows is None:
        rows = period_compute(span, **compute)
        _cache_set(key, rows, seconds)
    return rows


def period_results(*, span: Span, subjects=None, overrides=None, now=None, live=False, region_levels=None):
    """The period's results: the newest frozen run when there is one (and `live` is not asked), else computed now.

    With a scheme override (another scheme than the primary one) on a frozen period, the overridden subjects are
    scored again over exactly the events and deadlines the run read, so their figures stay the frozen ones.
    `region_levels`: the levels of region rows the caller needs (a page that shows districts and streets need not
    hold the 1,400 communities' rows): the city's, districts' and streets' rows are read when these are among them,
    every level's otherwise (UPPER_LEVELS); each level's ranks are the same either way.
    """
    region_levels = _levels_read(region_levels, subjects)
    subjects = list(subjects or Subject.values)
    run = None if live else run_latest(span)
    overrides = {s: code for s, code in (overrides or {}).items() if s in subjects}
    if run is not None:
        kept = [s for s in subjects if s not in overrides]
        rows = _rows_from_run(run, kept, levels=region_levels) if kept else {}
        if overrides:
            versions = scheme_versions_in_force(overrides=overrides)
            versions = {s: v for s, v in versions.items() if s in overrides}
            rows.update(
                _live_rows(
                    span,
                    subjects=list(overrides),
                    versions=versions,
                    now=run.as_of,
                    upto=run.last_event_id,
                    track_upto=run.last_track_point_id,
                    enforcement_upto=run.last_enforcement_event_id,
                    levels=region_levels,
                )
            )
        return PeriodResults(span=span, rows=rows, run=run, versions={}, rescored=tuple(overrides))
    versions = scheme_versions_in_force(overrides=overrides)
    rows = _live_rows(span, subjects=subjects, versions=versions, now=now or timezone.now(), levels=region_levels)
    return PeriodResults(span=span, rows=rows, run=None, versions={s: v.pk for s, v in versions.items()})


def period_source(*, span: Span) -> PeriodResults:
    """The period's source of figures without the units' rows: for pages that show only side figures (the map)."""
    return PeriodResults(span=span, rows={}, run=run_latest(span), versions={})


def change(current, previous, unit="score", higher_is_better=True):
    """环比/同比 of a figure (comparison.compare): points for scores and rates, percent for counts."""
    return compare(current, previous, unit, higher_is_better)


def trend(*, span: Span, subject, key, names, periods=6, overrides=None, known=(), region_levels=None):
    """[(label, score, {indicator: value})] for the unit over `periods` periods ending with `span`. `known`: results
    the caller already holds (holding the unit's row), read rather than computed or unpickled again;
    `region_levels`: the levels a period computed now needs (one that holds the unit), shared with the caller's."""
    points = []
    known = {results.span.key: results for results in known}
    for s in spans_back(span, periods):
        run = None if overrides or s.key in known else run_latest(s)
        if s.key in known:
            row = known[s.key].one(subject, key)
        elif run is not None:
            row = next(iter(_rows_from_run(run, [subject], key=key).get(subject, [])), None)
        else:
            # Departments and regions are computed together: the live period's figures come from the same cached
            # computation as the page's own.
            together = [Subject.DEPARTMENT, Subject.REGION] if subject in (Subject.DEPARTMENT, Subject.REGION) else []
            results = period_results(
                span=s, subjects=together or [subject], overrides=overrides, region_levels=region_levels
            )
            row = results.one(subject, key)
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
    track_upto = run.last_track_point_id if run is not None else None
    enforcement_upto = run.last_enforcement_event_id if run is not None else None
    now = run.as_of if run is not None else timezone.now()
    bounds = {"upto": upto, "track_upto": track_upto, "enforcement_upto": enforcement_upto}
    sql = case_ids_sql(count=count, unit_kind=unit_kind, **bounds)
    params = case_ids_params(start=span.start, end=span.end, bound=now, **bounds, key=key, role=role)
    # RawSQL takes positional params: turn the named ones into %s in order of appearance.
    names = re.findall(r"%\((\w+)\)s", sql)
    positional = re.sub(r"%\((\w+)\)s", "%s", sql)
    ids = RawSQL(positional, [params[n] for n in names])  # noqa: S611 - constant SQL, values as parameters
    return Case.objects.visible_to(user).for_list().filter(pk__in=ids).order_by("-id")
