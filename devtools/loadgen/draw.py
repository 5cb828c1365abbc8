"""Drawing one case: its category, place, source, people, departments, texts, path and times."""

import math
import random
from bisect import bisect_right
from itertools import accumulate

from accounts.models import Role

from . import spread
from .paths import PATROL, goal_draw, path_build
from .simulate import FINAL, Draft
from .timing import DUE, GREEN, OVERDUE, WARNING, TimingFailed, walk

DAY = 1440
MAX_FINAL_TRIES = 12
RETIME_TRIES = 4  # forward timings of an arrival tried to keep its next timer out of the margin
# Open goals whose last step is part of the goal (kept when optional steps are dropped).
GOAL_TAIL = {"return_pending": 1, "suspend_pending": 1, "void_pending": 1}


class Chooser:
    """Weighted choice by one random number and a bisect (random.choices re-sums the weights each call)."""

    def __init__(self, items, weights):
        self.items = list(items)
        self.cum = list(accumulate(weights))
        self.total = self.cum[-1]

    def __call__(self, rng):
        return self.items[bisect_right(self.cum, rng.random() * self.total)]


class Drawer:
    """Draws drafts of cases and gives them a path and times; `stats` counts what it had to adjust."""

    def __init__(self, *, reference, simulator, timer, rng, now):
        self.ref, self.sim, self.timer, self.rng, self.now = reference, simulator, timer, rng, now
        self.stats = {"short_green": 0, "simplified": 0, "moved_back": 0, "retimed": 0}
        kinds = reference.kinds
        self.kinds = {
            wet: Chooser(kinds, [_kind_weight(k) * (spread.WET_FACTOR if wet and k.display in spread.WET_SEASON else 1)
                                 for k in kinds])
            for wet in (False, True)
        }  # fmt: skip
        self.conditions = {k.id: Chooser(k.conditions, k.condition_weights) for k in kinds}
        self.routes = {k.id: Chooser([s for s, _w in k.routing], [w for _s, w in k.routing]) for k in kinds}
        self.sources = Chooser(spread.SOURCE_WEIGHTS, spread.SOURCE_WEIGHTS.values())
        self.outside = Chooser(["public", "hotline_12345", "hotline_12319"], [3, 3, 1])
        leaf_rng = random.Random(rng.random())
        self.leaves = Chooser(
            reference.leaves,
            [spread.AREA_CLASS_WEIGHTS.get(leaf.area_class, 1.0) * leaf_rng.lognormvariate(0, spread.HOTSPOT_SIGMA)
             for leaf in reference.leaves],
        )  # fmt: skip
        self.hours = {
            source: Chooser(range(24), spread.HOURS_BY_SOURCE.get(source, spread.PUBLIC_HOURS))
            for source in spread.SOURCE_WEIGHTS
        }

    # Facts

    def _facts(self, d, *, source, goal, month):
        rng = self.rng
        d.source, d.goal = source, goal
        d.kind = self.kinds[month in spread.WET_MONTHS](rng)
        d.condition = self.conditions[d.kind.id](rng)
        share = spread.URGENT_SHARE_EMERGENCY if d.kind.emergency else spread.URGENT_SHARE
        d.urgency = "urgent" if rng.random() < share else "normal"
        d.leaf = leaf = self.leaves(rng)
        d.point = rng.choice(leaf.points)
        d.self_handled = goal == "self_closed"
        role = Role.GRID_WORKER if source == PATROL else Role.LEADER if source == "leader" else Role.OPERATOR
        d.created_by = leaf.actors[role]
        d.reporter = d.created_by if source == PATROL else None
        d.contact_name = d.contact_phone = ""
        if source.startswith(("public", "hotline", "counter")):
            d.contact_name = rng.choice(spread.SURNAMES) + rng.choice(("先生", "女士"))
            d.contact_phone = f"1{rng.choice('3589')}{rng.randrange(10**9):09d}"
        what = d.condition.name
        d.description = rng.choice(spread.DESCRIPTIONS).format(place=leaf.place, what=what)
        d.address = f"{leaf.address}{rng.randint(1, 300)}号附近"
        self._departments(d)

    def _department(self, selector, leaf):
        street = self.ref.street_offices.get(leaf.street)
        if selector == "street":
            found = street
        elif selector == "district":
            found = self.ref.district_offices.get(leaf.district)
        else:
            found = self.ref.departments.get(selector)
        return found or street or next(iter(self.ref.street_offices.values()))

    def _departments(self, d):
        rng, leaf = self.rng, d.leaf
        d.right = self._department(self.routes[d.kind.id](rng), leaf)
        street = self._department("street", leaf)
        d.wrong = self._department("district", leaf) if d.right == street else street
        if d.wrong == d.right:
            d.wrong = self.ref.departments.get("city-urban-management", d.right)
        d.helper = None
        if rng.random() < spread.ASSISTING_SHARE:
            helper = self._department(rng.choice(spread.ASSISTING), leaf)
            d.helper = helper if helper != d.right else None

    # Final cases: forward from the report

    def final(self, day):
        """A final case reported on `day` (index of the load window)."""
        rng, d = self.rng, Draft()
        source = self.sources(rng)
        month = self.timer.clock.date(day * DAY).month
        self._facts(d, source=source, goal=goal_draw(rng, source=source), month=month)
        d.steps = path_build(rng, goal=d.goal, source=source)
        start = day * DAY + self.hours[source](rng) * 60 + rng.randrange(60)
        if start >= self.now - 1:  # reported today after now: some time earlier today instead
            start = rng.randint(min(day * DAY, self.now - 2), self.now - 2)
        for attempt in range(MAX_FINAL_TRIES):
            d.times = self.timer.forward(d, start)
            if d.times[-1] < self.now:
                break
            if attempt >= 2:  # a long history (suspension, rework, a 30-day limit) reported earlier instead
                start -= d.times[-1] - self.now + rng.randint(1, 5) * DAY
                self.stats["moved_back"] += 1
        else:
            raise TimingFailed(f"a final {d.goal} case could not end before now")
        self.sim.run(d)
        # The sweep marks a stage overdue once its deadline passes; the flag stays when the case ends late.
        d.overdue = d.overdue or d.events[-1][10] is False
        return d

    # Steady state: forward from the report, open if the history has not ended by now

    def arrival(self, day):
        """A case reported on `day`, timed forward: final if its history ended before now, else open at the step
        it has reached, with the light the timer sweep would have left (warned, overdue)."""
        rng, d = self.rng, Draft()
        source = self.sources(rng)
        self._facts(d, source=source, goal=goal_draw(rng, source=source), month=self.timer.clock.date(day * DAY).month)
        d.steps = path_build(rng, goal=d.goal, source=source)
        start = day * DAY + self.hours[source](rng) * 60 + rng.randrange(60)
        if start >= self.now - 1:  # reported today after now: some time earlier today instead
            start = rng.randint(min(day * DAY, self.now - 2), self.now - 2)
        for attempt in range(RETIME_TRIES + 1):
            d.times = self.timer.forward(d, start)
            if d.times[-1] < self.now:
                self.sim.run(d)
                d.overdue = d.overdue or d.events[-1][10] is False
                return d
            if self._open_now(d, keep_margin=attempt < RETIME_TRIES):
                return d
            self.stats["retimed"] += 1
        raise AssertionError("unreachable: the last try keeps the case")

    def _open_now(self, d, *, keep_margin):
        """Cut a forward-timed history at now; False when its next timer falls within the margin after now
        and `keep_margin` (a stage begun minutes ago may not allow it: the case is then kept, as a short green)."""
        full_steps, full_times = d.steps, d.times
        done = bisect_right(full_times, self.now - 1)
        d.steps, d.times = full_steps[:done], full_times[:done]
        self.sim.run(d)
        if d.deadline is None:
            d.group = None
        elif d.deadline <= self.now:
            # The sweep has fired every level up the ladder (no TimerMark rows, though), as for OVERDUE below.
            d.overdue, d.timer, d.group = True, None, OVERDUE
        elif d.warn <= self.now:
            d.timer, d.group = d.deadline, "warned"  # the warning fired; the sweep waits for the deadline
        else:
            d.group = GREEN
        if d.timer is not None and d.timer <= self.now + self.timer.margin:
            if keep_margin:
                d.steps, d.times = full_steps, full_times
                return False
            self.stats["short_green"] += 1
        d.goal = d.status  # not merged (yet): no master to link
        return True

    # Open cases: anchored at now

    def open(self, goal, prior, group):
        """An open case in status `goal` (void requests from `prior`), its light in `group` (None: no clock)."""
        rng, d = self.rng, Draft()
        source = self.outside(rng) if goal == "verifying" else self.sources(rng)
        self._facts(d, source=source, goal=goal, month=self.timer.clock.date(self.now).month)
        d.steps = path_build(rng, goal=goal, source=source, void_prior=prior)
        for attempt in range(6):
            if attempt >= 2:
                self._simplify(d)
            try:
                d.times = self.timer.paused(d) if group is None else self.timer.anchored(d, group)
            except TimingFailed:
                continue
            self.sim.run(d)
            if group is None or self._light_fits(d, group):
                break
        else:
            raise TimingFailed(f"an open {goal} case could not be placed as {group}")
        if group == OVERDUE:
            # As the sweep leaves a case once every level up the ladder has fired (no TimerMark rows, though).
            d.overdue, d.timer = True, None
        d.group = group
        return d

    def _simplify(self, d):
        info, _stage, _paused = walk(d.steps)
        started = max((i + 1 for i, (_s, _p, ended) in enumerate(info) if ended), default=0)
        tail = GOAL_TAIL.get(d.goal, 0)
        steps = d.steps[: started + 1] + (d.steps[-tail:] if tail else [])
        if steps != d.steps:
            self.stats["simplified"] += 1
            d.steps = steps

    def _light_fits(self, d, group):
        if d.deadline is None or d.status in FINAL:
            return False
        if group == GREEN:
            if d.warn <= self.now:
                return False
            self.stats["short_green"] += d.warn <= self.now + self.timer.margin
            return True
        if group == WARNING:
            return d.warn <= self.now < d.deadline
        if group == DUE:
            return d.deadline <= self.now and not d.overdue
        return d.deadline <= self.now


def _kind_weight(kind):
    return spread.CATEGORY_WEIGHTS.get(kind.display, spread.DEFAULT_CATEGORY_WEIGHT)


def day_weights(clock, first_day, last_day, rng):
    """Relative case volume of each day of the window [first_day, last_day] (indexes of the load window)."""
    weights = []
    calendar = clock.calendar
    for index in range(first_day, last_day + 1):
        day = clock.date(index * DAY)
        weekday = day.weekday()
        working = calendar.is_working_day(day)
        if working:
            weight = spread.MAKEUP_DAY_WEIGHT if weekday >= 5 else spread.WEEKDAY_WEIGHTS[weekday]
        else:
            weight = spread.WEEKDAY_WEIGHTS[weekday] if weekday >= 5 else spread.HOLIDAY_WEIGHT
        noise = math.exp(rng.gauss(0, spread.DAY_NOISE))
        weights.append(weight * spread.MONTH_WEIGHTS[day.month - 1] * noise)
    return weights
