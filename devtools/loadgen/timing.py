"""When each step of a generated path happened.

Gaps are drawn as fractions of the running stage's limit on that stage's clock (working or natural time),
so lateness follows spread.LATE_SHARE whatever the limit. Final cases run forward from their report time;
open cases are anchored at "now": the step that started the running stage is placed so that its deadline
and warning point fall where the case's light group wants them (green, warning, due, overdue), the steps
before it run backward, the few after it (extension requests, a return request …) fall between it and now.
"""

from cases.clock import hours_duration, until_warning
from cases.services.requests import HANDLING_REQUESTS
from cases.workflow import ACTIONS, RESTARTS_STAGE, decided_request, opened_request

from . import spread
from .clock import whole_minutes
from .simulate import FINAL, STAGE_OF_STATUS, TARGETS

DECISION_ACTIONS = frozenset(name for name in ACTIONS if decided_request(name))
# The department's requests (a void request is timed apart).
REQUEST_ACTIONS = frozenset(name for name in ACTIONS if opened_request(name) in HANDLING_REQUESTS)
GREEN, WARNING, DUE, OVERDUE = "green", "warning", "due", "overdue"
# A "due" case's deadline passed within this many minutes of its clock: newly due, as a sweep would find it.
RECENT = 60
DAY = 1440
WORKING_DAY = 480  # minutes of a working day, for caps only (the clock itself reads the calendar)


class TimingFailed(Exception):
    """No times fit this path and light group; the caller simplifies the path and tries again."""


def walk(steps):
    """Per step after the report: (stage running before it, clock paused before it, did it start a stage)."""
    status, stage, paused, resume = "reported", "accept", False, ""
    out = []
    for action, outcome, _argument in steps[1:]:
        target = TARGETS[action][outcome]
        target = status if target == "=" else resume if target == "<" else target
        before = (stage, paused)
        if action == "request_void":
            resume = status
        new_stage = STAGE_OF_STATUS.get(target, stage)
        ended = target in FINAL or new_stage != stage or action in RESTARTS_STAGE
        if action == "approve_suspension":
            paused = True
        elif action == "resume":
            paused = False
        if target in FINAL:
            stage = ""
        elif ended:
            stage, paused = new_stage, False
        out.append((*before, ended))
        status = target
    return out, stage, paused


class Timer:
    """Times paths on the minute clock; `now` and `margin` are minutes (the load's reference instant)."""

    def __init__(self, *, simulator, clock, rng, now, margin):
        self.sim, self.clock, self.rng = simulator, clock, rng
        self.now, self.margin = now, margin

    def _gap(self, d, action, stage, paused, near):
        """(minutes, natural) from the previous step to this one."""
        rng = self.rng
        if action in DECISION_ACTIONS:
            return rng.randint(5, 180), False
        if action == "resume":
            if rng.random() < spread.LONG_SUSPENSION_SHARE:  # 挂账: waits for a plan, a season, a budget
                return rng.randint(45 * DAY, spread.LONG_SUSPENSION_DAYS * DAY), True
            return rng.randint(DAY, 45 * DAY), True
        limit, natural = (None, True) if paused or not stage else self.sim.limit_minutes(d, stage, near)
        if limit is None:
            return rng.randint(10, 600), True
        if action in REQUEST_ACTIONS:
            share = rng.uniform(0.1, 0.6)
        elif action == "request_void":
            share = rng.uniform(0.05, 0.5)
        elif action == "request_check":  # the check stage runs from the feedback over two steps
            share = rng.uniform(0.05, 0.35)
        elif rng.random() < spread.LATE_SHARE.get(stage, 0.05):
            # Most late answers come within a few limits; stragglers (owners unclear, works to plan) take weeks.
            share = rng.uniform(1.02, 2.5) if rng.random() >= spread.STRAGGLER_SHARE else rng.uniform(2.5, 25)
        else:
            share = rng.uniform(0.05, 0.6 if action == "check" else 0.95)
        # A straggler waits months at most: a 30-day limit 25 times over would run past the load's window.
        return max(min(int(limit * share), spread.LATE_MAX_DAYS * (DAY if natural else WORKING_DAY)), 1), natural

    def forward(self, d, start):
        """Times of d.steps from the report at `start` on."""
        info, _stage, _paused = walk(d.steps)
        times = [start]
        for (action, _o, _a), (stage, paused, _ended) in zip(d.steps[1:], info, strict=True):
            minutes, natural = self._gap(d, action, stage, paused, times[-1])
            times.append(max(self.clock.add(times[-1], minutes, natural), times[-1] + 1))
        return times

    def backward(self, d, steps, end):
        """Times of `steps` (a prefix of d.steps) such that the last one happens at `end`."""
        info, _stage, _paused = walk(steps)
        times = [end]
        for (action, _o, _a), (stage, paused, _ended) in zip(reversed(steps[1:]), reversed(info), strict=True):
            minutes, natural = self._gap(d, action, stage, paused, times[-1])
            times.append(min(self.clock.sub(times[-1], minutes, natural), times[-1] - 1))
        times.reverse()
        return times

    def paused(self, d):
        """Times of a case whose clock stands still (suspended): its last step some time before now."""
        return self.backward(d, d.steps, self.now - self.rng.randint(60, 60 * DAY))

    def anchored(self, d, group):
        """Times of an open case with a running clock, placing its stage's deadline for `group`."""
        info, stage, _paused = walk(d.steps)
        started = max((i + 1 for i, (_s, _p, ended) in enumerate(info) if ended), default=0)
        after = len(d.steps) - 1 - started
        limit, natural = self.sim.limit_minutes(d, stage, self.now)
        if limit is None:
            raise TimingFailed("no limit")
        start = self._stage_start(group, limit + _extended(d.steps[started + 1 :]), natural, after)
        following = sorted(self.rng.sample(range(start + 1, self.now + 1), after)) if after else []
        return self.backward(d, d.steps[: started + 1], start) + following

    def _position(self, minute, natural):
        return minute if natural else self.clock.position[minute]

    def _stage_start(self, group, limit, natural, after):
        """The minute the running stage started, so its light is `group` now."""
        pos = self._position
        now, latest = pos(self.now, natural), pos(self.now - after, natural)
        kept = until_warning(self.clock.timelines[natural], limit)  # minutes until the warning
        if group == GREEN:
            low = pos(self.now + self.margin, natural) - kept + 1
            if low > latest:
                low = now - kept + 1
            low, high = min(low, latest), latest
        elif group == WARNING:
            low, high = now - limit + 1, min(now - kept, latest)
        else:
            past = pos(self.now - 1, natural)
            high = min(past - limit, latest) if group == DUE else past - RECENT - 1 - limit
            low = past - RECENT - limit if group == DUE else high - 3 * limit - 420
        if low > high or low < 1:
            raise TimingFailed(group)
        position = self.rng.randint(low, high)
        return position if natural else self.clock.at_position(position)


def _extended(steps):
    """Minutes approved extensions among `steps` add to the running stage's limit."""
    minutes = hours = 0
    for action, _outcome, argument in steps:
        if action == "request_extension":
            hours = argument
        elif action == "approve_extension":
            minutes += whole_minutes(hours_duration(hours))
    return minutes
