"""Results of a period for every unit: the SQL counts, rolled up the grid, turned into indicators and scores.

The only loops here run over units (about 110 departments, 1,454 regions, the people in the four posts), never
over cases: every number comes from the two statements of indicators/sql.py.
"""

from dataclasses import dataclass, field

from django.db.models import Q
from django.utils import timezone

from grids.models import Department, Level, Region

from .indicators.counts import POST_COUNTS, UNIT_COUNTS
from .indicators.rates import DEPARTMENT_INDICATORS, POST_INDICATORS, REGION_INDICATORS, indicator_values
from .indicators.sql import post_counts, unit_counts
from .models import POST_SUBJECTS, Subject
from .ranking import rank_rows, sample_size
from .scoring import score_unit

REGION_LEVELS = (Level.CITY, Level.DISTRICT, Level.STREET, Level.COMMUNITY)
UNIT_NAMES = [c.name for c in UNIT_COUNTS]
POST_NAMES = [c.name for c in POST_COUNTS]


@dataclass
class UnitRow:
    """One unit's result in a period (live or read back from a frozen run)."""

    subject: str
    key: str  # department code, region code or username
    name: str
    counts: dict
    values: dict
    score: object = None
    grade: str = ""
    components: dict = field(default_factory=dict)
    scheme_version_id: int | None = None
    rank: int | None = None
    level: str = ""
    parent_code: str = ""
    area_class: str = ""
    grids: int = 1
    obj_id: int | None = None  # department, region or user id
    sample: int = 0  # the cases the score rests on (ranking.sample_size)
    bound: float | None = None  # the Wilson lower bound the ranking orders by


def _zero(names):
    return dict.fromkeys(names, 0)


def _add(total, counts):
    for name, value in counts.items():
        total[name] = total.get(name, 0) + value


def region_rollup(leaves, regions):
    """{region path: counts} for every region: each leaf path's counts added to every ancestor in `regions`."""
    totals = {r["path"]: _zero(UNIT_NAMES) for r in regions}
    for path, counts in leaves.items():
        codes = [c for c in path.split("/") if c]
        for depth in range(1, len(codes) + 1):
            prefix = "/" + "/".join(codes[:depth]) + "/"
            if prefix in totals:
                _add(totals[prefix], counts)
    return totals


def regions_for_assessment():
    """The city, districts, streets and communities (no geometry), with the number of communities under each."""
    regions = list(
        Region.objects.filter(level__in=REGION_LEVELS)
        .order_by("path")
        .values("id", "code", "name", "level", "path", "area_class", "parent__code")
    )
    grids = {r["path"]: 0 for r in regions}
    for r in regions:
        if r["level"] == Level.COMMUNITY:
            codes = [c for c in r["path"].split("/") if c]
            for depth in range(1, len(codes) + 1):
                grids["/" + "/".join(codes[:depth]) + "/"] += 1
    for r in regions:
        r["grids"] = max(grids[r["path"]], 1)
    return regions


def _score(rows, version, days):
    if version is None:
        return
    rules = version.rules()
    for row in rows:
        row.score, row.grade, row.components = score_unit(
            rules, row.values, row.counts, area_class=row.area_class, grids=row.grids, days=days
        )
        row.scheme_version_id = version.pk
        row.sample = sample_size(rules, row.counts)


def department_rows(departments_counts):
    """Every active department, and any inactive one that still has figures in the period (one query)."""
    rows = []
    departments = Department.objects.filter(Q(active=True) | Q(pk__in=list(departments_counts) or [0]))
    for d in departments.order_by("code").values("id", "code", "name", "level"):
        counts = departments_counts.get(d["id"]) or _zero(UNIT_NAMES)
        rows.append(_unit_row(Subject.DEPARTMENT, d["code"], d["name"], counts, DEPARTMENT_INDICATORS, d["id"]))
        rows[-1].level = d["level"]
    return rows


def _unit_row(subject, key, name, counts, names, obj_id):
    return UnitRow(
        subject=subject, key=key, name=name, counts=counts, values=indicator_values(counts, names), obj_id=obj_id
    )


def region_rows(leaves, levels=None):
    """The rows of every region, or of the regions at `levels` only (each level is ranked on its own, and a region's
    number of communities is counted over all of them either way)."""
    regions = regions_for_assessment()
    if levels is not None:
        regions = [r for r in regions if r["level"] in levels]
    totals = region_rollup(leaves, regions)
    rows = []
    for r in regions:
        row = _unit_row(Subject.REGION, r["code"], r["name"], totals[r["path"]], REGION_INDICATORS, r["id"])
        row.level, row.parent_code, row.area_class, row.grids = (
            r["level"],
            r["parent__code"] or "",
            r["area_class"],
            r["grids"],
        )
        rows.append(row)
    return rows


def post_rows(posts):
    """Rows of the people in the four posts, from {(user id, role): (username, full name, counts)}."""
    return [
        _unit_row(role, username, full_name or username, counts, POST_INDICATORS[role], user_id)
        for (user_id, role), (username, full_name, counts) in posts.items()
    ]


def _unit_counts(span, *, now, upto, enforcement_upto, rollups_current=False):
    """The period's department and grid counts: from the daily roll-ups plus today when they can answer (a live
    reading), from the period's roll-ups brought up to date as of the bounds (a freeze: `rollups_current`), else
    from the events directly (an "as of" reading, or roll-ups not written yet)."""
    if rollups_current:
        from .rollups.freeze import unit_counts as frozen

        return frozen(span=span, bound=now, upto=upto, enforcement_upto=enforcement_upto)
    if upto is None and enforcement_upto is None:
        from .rollups.read import unit_counts as rolled_up

        counts = rolled_up(span=span, now=now)
        if counts is not None:
            return counts
    return unit_counts(start=span.start, end=span.end, bound=now, upto=upto, enforcement_upto=enforcement_upto)


def _post_counts(span, window, *, upto, track_upto, rollups_current=False):
    """The posts' counts with names: from the daily roll-ups plus today for a live reading, from the period's
    roll-ups brought up to date for a freeze, else from the events."""
    if rollups_current:
        from .rollups.freeze import post_counts as frozen

        return frozen(span=span, bound=window["bound"], upto=upto, track_upto=track_upto)
    if upto is None and track_upto is None:
        from .rollups.read import post_counts as rolled_up

        counts = rolled_up(span=span, now=window["bound"])
        if counts is not None:
            return counts
    return post_counts(**window, upto=upto, track_upto=track_upto, with_names=True)


def period_compute(
    span,
    *,
    versions,
    now=None,
    upto=None,
    track_upto=None,
    enforcement_upto=None,
    subjects=None,
    rollups_current=False,
    region_levels=None,
):
    """{subject: [UnitRow, …] ranked} for the period, scored with `versions` ({subject: SchemeVersion}).

    `now` bounds the deadlines that count as passed (default: the current time); `upto` reads only events up
    to that id, `track_upto` only patrol track points up to that id and `enforcement_upto` only enforcement-chain
    events up to that id (an "as of" recomputation). `rollups_current`: the caller holds the roll-ups' lock and
    brought the period's days up to date as of these bounds (rollups.freeze), so they are read instead of the events.
    `region_levels`: the region rows of these levels only (None: every level).
    """
    now = now or timezone.now()
    subjects = set(subjects or Subject.values)
    days = (span.after - span.first).days
    result = {}
    if subjects & {Subject.DEPARTMENT, Subject.REGION}:
        departments, leaves = _unit_counts(
            span, now=now, upto=upto, enforcement_upto=enforcement_upto, rollups_current=rollups_current
        )
        if Subject.DEPARTMENT in subjects:
            result[Subject.DEPARTMENT] = department_rows(departments)
        if Subject.REGION in subjects:
            result[Subject.REGION] = region_rows(leaves, region_levels)
    if subjects & set(POST_SUBJECTS):
        window = {"start": span.start, "end": span.end, "bound": now}
        rows = post_rows(_post_counts(span, window, upto=upto, track_upto=track_upto, rollups_current=rollups_current))
        for subject in POST_SUBJECTS:
            if subject in subjects:
                result[subject] = [r for r in rows if r.subject == subject]
    for subject, rows in result.items():
        _score(rows, versions.get(subject), days)
        if subject == Subject.REGION:
            ranked = []
            for level in REGION_LEVELS:
                ranked += rank_rows([r for r in rows if r.level == level])
            result[subject] = ranked
        else:
            result[subject] = rank_rows(rows)
    return result
