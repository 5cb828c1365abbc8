"""The load generator behind `manage.py seed_load`: a year of a city's cases, with their full histories, fast.

`load_cases` draws every case from the spreads of `spread.py`, walks it through a path of workflow actions
(`paths.py`), times the path on the working calendar (`timing.py`, `clock.py`), replays it the way the live
service would (`simulate.py`) and streams the rows into PostgreSQL with COPY in batches (`rows.py`,
`writer.py`). Final cases are generated day by day through the year, so ids grow with the report time;
the open ones come last, anchored at "now".

Without an open share (`open_share=None`, `seed_load`'s default) the load is a city in steady state: every case
arrives at the year's steady rhythm over the past 365 days and is timed forward from its report; the cases whose
history has not ended by now are open at the step they have reached (the recent tail, the late ones and the long
suspensions), marked as the timer sweep would have left them. Only the --due/--warning/--overdue cases are
anchored at now, last.
"""

import random
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.utils import timezone

from cases.models import Case, CaseRequest
from cases.worktime import work_calendar

from .clock import DAY, ClockError, MinuteClock
from .draw import Drawer, day_weights
from .paths import void_prior_draw
from .reference import ReferenceMissing, reference_load
from .rows import link_merges, number_cases, render
from .simulate import Simulator
from .spread import OPEN_STATUS_WEIGHTS
from .timing import DUE, GREEN, OVERDUE, WARNING, Timer, TimingFailed
from .writer import WriteFailed, Writer, analyze, columns_missing, reserve_ids, reserve_numbers

__all__ = ["LoadError", "LoadOptions", "LoadResult", "load_cases"]


class LoadError(Exception):
    """The load cannot run: missing reference data, impossible options."""


@dataclass
class LoadOptions:
    cases: int
    seed: int = 1
    year: int | None = None
    open_share: float | None = 0.3  # None: steady state, the open cases are those not ended by now
    batch: int = 50_000
    due: int = 0
    warning: int = 0
    overdue: int = 0
    margin: int = 60
    now: datetime | None = None
    fk_checks: bool = False
    since: date | None = None  # first day of the final cases' reports (default: 1 January of `year`)
    within: tuple = ()  # region paths: only grids under these (default: the whole city)
    open_weights: dict | None = None  # share of each open status (default: spread.OPEN_STATUS_WEIGHTS)
    categories: tuple = ()  # display-code prefixes ("C01", "E04"): only these classes (default: all)


@dataclass
class LoadResult:
    cases: int = 0
    events: int = 0
    requests: int = 0
    assisting: int = 0
    open: int = 0
    seconds: float = 0.0
    groups: Counter = field(default_factory=Counter)
    statuses: Counter = field(default_factory=Counter)  # open cases per status
    weeks: Counter = field(default_factory=Counter)  # open cases per Monday of their report week
    stats: dict = field(default_factory=dict)


@dataclass
class _Plan:
    finals: list  # (day index, number of final cases reported that day), ascending
    opens: list  # (goal, void prior, light group) per open case
    steady: bool = False  # finals are arrivals, final or open by now


STEADY_DAYS = 365


def _plan(options, rng, clock, now_minute):
    if options.open_share is None:
        return _plan_steady(options, rng, clock, now_minute)
    year = options.year or clock.date(now_minute).year
    # `since` alone may reach back into last year (six weeks from early January); with a year it stays inside it.
    start = (
        options.since if options.since and options.year is None else max(date(year, 1, 1), options.since or date.min)
    )
    first = (start - clock.first).days
    last = min((date(year, 12, 31) - clock.first).days, now_minute // DAY)
    if last < first:
        raise LoadError(f"{year} has not begun yet: nothing to load")
    n_open = round(options.cases * options.open_share)
    weights = day_weights(clock, first, last, rng)
    finals = sorted(Counter(rng.choices(range(first, last + 1), weights=weights, k=options.cases - n_open)).items())
    open_weights = options.open_weights or OPEN_STATUS_WEIGHTS
    goals = rng.choices(list(open_weights), weights=list(open_weights.values()), k=n_open)
    priors = [void_prior_draw(rng) if goal == "void_pending" else None for goal in goals]
    running = [i for i, (g, p) in enumerate(zip(goals, priors, strict=True)) if "suspended" not in (g, p)]
    wanted = options.due + options.warning + options.overdue
    if wanted > len(running):
        raise LoadError(f"only {len(running)} open cases have a running clock; --due/--warning/--overdue ask {wanted}")
    groups = [None] * n_open
    for i in running:
        groups[i] = GREEN
    _lights(options, groups, rng.sample(running, wanted))
    return _Plan(finals, list(zip(goals, priors, groups, strict=True)))


def _lights(options, groups, chosen):
    for i in chosen[: options.due]:
        groups[i] = DUE
    for i in chosen[options.due : options.due + options.warning]:
        groups[i] = WARNING
    for i in chosen[options.due + options.warning :]:
        groups[i] = OVERDUE


def _plan_steady(options, rng, clock, now_minute):
    """Arrivals over the past year at the year's rhythm; only the asked due/warning/overdue cases are anchored."""
    if options.year is not None:
        raise LoadError("a steady load covers the 365 days before now: give --open-share to load a calendar year")
    today = now_minute // DAY
    first = max(today - STEADY_DAYS + 1, (options.since - clock.first).days if options.since else 0, 0)
    wanted = options.due + options.warning + options.overdue
    if wanted > options.cases:
        raise LoadError(f"--due/--warning/--overdue ask {wanted} cases of {options.cases}")
    weights = day_weights(clock, first, today, rng)
    arrivals = sorted(Counter(rng.choices(range(first, today + 1), weights=weights, k=options.cases - wanted)).items())
    open_weights = options.open_weights or OPEN_STATUS_WEIGHTS
    running = {g: w for g, w in open_weights.items() if g != "suspended"}
    if wanted and not running:
        raise LoadError("no open status with a running clock for --due/--warning/--overdue")
    goals = rng.choices(list(running), weights=list(running.values()), k=wanted)
    priors = [None] * wanted
    for i, goal in enumerate(goals):
        while goal == "void_pending" and priors[i] in (None, "suspended"):
            priors[i] = void_prior_draw(rng)
    groups = [None] * wanted
    _lights(options, groups, list(range(wanted)))
    return _Plan(arrivals, list(zip(goals, priors, groups, strict=True)), steady=True)


def _window(options, now):
    year = options.year or timezone.localdate(now).year
    today = timezone.localdate(now)
    first = min(date(year, 1, 1), options.since or today, today - timedelta(days=STEADY_DAYS)) - timedelta(days=30)
    # Room for the histories of the latest arrivals: months of suspension and of lateness past the year's end.
    last = max(today, date(year, 12, 31)) + timedelta(days=800)
    return first, last


def _drafts(plan, drawer, size):
    """Batches of drafts: the final cases (or arrivals) day by day, then the anchored open ones."""
    batch = []
    draw = drawer.arrival if plan.steady else drawer.final
    for day, count in plan.finals:
        for _case in range(count):
            batch.append(draw(day))
            if len(batch) >= size:
                yield batch
                batch = []
    if batch:
        yield batch
    batch = []
    for goal, prior, group in plan.opens:
        batch.append(drawer.open(goal, prior, group))
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _render(drafts, *, clock, rng, result):
    """Ids, numbers and links for a batch, then its COPY input."""
    drafts.sort(key=lambda d: d.created)
    link_merges(drafts, rng)
    per_day = Counter(d.created // DAY for d in drafts)
    firsts = reserve_numbers({clock.date(day * DAY): n for day, n in per_day.items()})
    number_cases(
        drafts,
        reserve_ids(Case, len(drafts)),
        {day: firsts[clock.date(day * DAY)] for day in per_day},
        lambda day: f"{clock.date(day * DAY):%Y%m%d}",
    )
    rendered = render(drafts, clock, reserve_ids(CaseRequest, sum(len(d.requests) for d in drafts)))
    cases, events, requests, assisting = rendered.counts
    result.cases += cases
    result.events += events
    result.requests += requests
    result.assisting += assisting
    for d in drafts:
        if d.closed is None:
            result.open += 1
            result.groups[d.group or "stopped"] += 1
            result.statuses[d.status] += 1
            day = clock.date(d.created)
            result.weeks[day - timedelta(days=day.weekday())] += 1
    return rendered


def _prepare(options):
    """Reference data, minute clock, plan and drawer of a load."""
    now = options.now or timezone.now()
    rng = random.Random(options.seed)
    missing = columns_missing()
    if missing:
        raise LoadError(f"the load generator does not fill the new required column(s) {', '.join(missing)}")
    try:
        reference = reference_load(rng=rng, within=options.within, categories=options.categories)
        first, last = _window(options, now)
        clock = MinuteClock(work_calendar(), first, last)
        now_minute = clock.minute(now)
    except (ReferenceMissing, ClockError) as exc:
        raise LoadError(str(exc)) from exc
    plan = _plan(options, rng, clock, now_minute)
    simulator = Simulator(reference=reference, clock=clock, rng=rng)
    timer = Timer(simulator=simulator, clock=clock, rng=rng, now=now_minute, margin=options.margin)
    drawer = Drawer(reference=reference, simulator=simulator, timer=timer, rng=rng, now=now_minute)
    return rng, clock, plan, drawer


def _stream(options, *, rng, clock, plan, drawer, writer, result, progress, started):
    for number, drafts in enumerate(_drafts(plan, drawer, options.batch), start=1):
        rendered = _render(drafts, clock=clock, rng=rng, result=result)
        drafts.clear()  # the rows are rendered: free the drafts before waiting for the writer
        writer.write(rendered)
        del rendered
        if progress:
            elapsed = time.monotonic() - started
            progress(
                f"batch {number}: {result.cases:,}/{options.cases:,} cases, {result.events:,} events "
                f"({elapsed:.1f} s, {result.cases / elapsed:,.0f} cases/s)"
            )


def load_cases(options: LoadOptions, *, progress=None) -> LoadResult:
    """Generate and COPY `options.cases` cases with their events, requests and assisting departments.

    Needs the demo reference data (grid, catalogue, calendar, departments, people); ANALYZEs the tables after.
    Outside a transaction each batch is committed on its own: an interrupted load leaves whole batches.
    """
    started = time.monotonic()
    rng, clock, plan, drawer = _prepare(options)
    result, writer = LoadResult(), Writer(fk_checks=options.fk_checks)
    try:
        _stream(
            options, rng=rng, clock=clock, plan=plan, drawer=drawer, writer=writer, result=result,
            progress=progress, started=started,
        )  # fmt: skip
        writer.close()
    except (ClockError, TimingFailed, WriteFailed) as exc:
        writer.close(raise_error=False)
        kept = "; the batches written before were kept" if writer.threaded else ""
        raise LoadError(f"{exc}{kept}") from exc
    except BaseException:
        writer.close(raise_error=False)
        raise
    analyze()
    result.seconds = time.monotonic() - started
    result.stats = dict(drawer.stats)
    return result
