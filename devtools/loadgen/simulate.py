"""Replays a generated path at given minutes the way the live service would: status, stage clock, events, requests.

This mirrors cases/services/transitions.py (`_finish`, `_move_clock`) and the effects declared in
cases/workflow/actions.py on plain objects and integer minutes, and moves the stage clock with the rules of
cases/clock.py itself (on the minute tables), so a loaded case is the case the service would have produced had
every step gone through `case_transition`.
"""

import json

from accounts.models import Role
from cases.clock import WORKING, WORKING_DAY, budget_of, extend_by, hours_duration, pause_at, run_from
from cases.models import FINAL_STATUSES, Stage, Status
from cases.services.intake import SOURCE_ROLES
from cases.services.requests import lapsing_kinds
from cases.workflow import (
    ACTIONS,
    EXTEND,
    LEAD_DEPARTMENT,
    PAUSE,
    PRIOR,
    RESTARTS_STAGE,
    RESUME,
    SAME,
    STAGE_OF,
    decided_request,
    needs_leader,
    opened_request,
)

from . import spread
from .clock import MINUTE, whole_minutes
from .paths import RIGHT

FINAL = frozenset(str(s) for s in FINAL_STATUSES)
STAGE_OF_STATUS = {str(k): str(v) for k, v in STAGE_OF.items()}
TARGETS = {name: {outcome: str(t) for outcome, t in a.targets.items()} for name, a in ACTIONS.items()}

# Who takes each action: a handler of the lead department for the department's actions, else the first of the
# declared roles in this order (so an extension is approved by a dispatcher unless it needs a leader).
ROLE_PREFERENCE = (Role.GRID_WORKER, Role.OPERATOR, Role.DISPATCHER, Role.SHIFT_LEAD, Role.LEADER)
HANDLER_ACTIONS = frozenset(name for name, a in ACTIONS.items() if a.scope == LEAD_DEPARTMENT)
# Actions only a department takes for another reason (an assisting department's part) are not generated.
ACTOR_ROLES = {
    name: next(r for r in ROLE_PREFERENCE if r in a.roles)
    for name, a in ACTIONS.items()
    if name not in HANDLER_ACTIONS and a.roles & set(ROLE_PREFERENCE)
}
REQUEST_KINDS = {name: str(opened_request(name)) for name in ACTIONS if opened_request(name)}
DECISIONS = {
    name: (str(decided_request(name)[0]), decided_request(name)[1]) for name in ACTIONS if decided_request(name)
}
EMPTY = "{}"


class Draft:
    """One generated case: its drawn facts, its path and times, then the state the replay left it in."""

    __slots__ = (
        "kind", "condition", "urgency", "leaf", "point", "source", "self_handled", "created_by", "reporter",
        "contact_name", "contact_phone", "description", "address", "right", "wrong", "helper", "goal",
        "group", "steps", "times", "status", "stage", "started", "warn", "deadline", "remaining", "limit",
        "clock", "overdue", "rework", "extensions", "resume", "lead", "assisting", "assignee", "closed",
        "created", "updated", "duplicate_of", "duplicate_count", "events", "requests", "id", "number",
        "registered", "timer",
    )  # fmt: skip

    def __init__(self):
        self.group = None
        self.duplicate_of = None
        self.duplicate_count = 0
        self.id = self.number = None


class Request(list):
    """[id, kind, state, reason, hours, requested_by, requested_at, department, decided_by, decided_at, note]."""


class Simulator:
    """Replays paths; `limit_minutes` is also what the timing uses to size gaps."""

    def __init__(self, *, reference, clock, rng):
        self.ref, self.clock, self.rng = reference, clock, rng
        self._per_day = {}
        self._json = {}

    # The stage clock (cases/clock.py rules on the minute timeline)

    def limit_minutes(self, draft, stage, start):
        """(minutes, natural) of `stage` for the draft started at `start`; (None, False) without a limit."""
        if stage == Stage.HANDLING:
            limit = self.ref.limits.get((draft.condition.id, draft.urgency, draft.leaf.area_class))
        else:
            limit = self.ref.steps.get(stage)
        if limit is None:
            return None, False
        if limit.fixed is not None:
            return limit.fixed, limit.natural
        day = self.clock.working_day_minutes(start)
        key = (limit.amount, day)
        minutes = self._per_day.get(key)
        if minutes is None:
            budget = budget_of(value=limit.amount, unit=WORKING_DAY, clock=WORKING, day=day * MINUTE)
            minutes = self._per_day[key] = whole_minutes(budget)
        return minutes, limit.natural

    def timeline(self, d):
        return self.clock.timelines[d.clock == "natural"]

    def _running(self, d, now, remaining):
        d.deadline, d.warn = run_from(self.timeline(d), now, remaining, d.limit)
        d.timer = d.warn
        d.remaining = None

    def _start(self, d, stage, now):
        d.stage, d.started, d.overdue, d.remaining = stage, now, False, None
        minutes, natural = self.limit_minutes(d, stage, now)
        d.limit, d.clock = minutes, ("natural" if natural else "working") if minutes is not None else ""
        if minutes is None:
            d.deadline = d.warn = d.timer = None
            return
        self._running(d, now, minutes)

    def _pause(self, d, now):
        if d.deadline is None:
            return
        d.remaining, d.overdue = pause_at(self.timeline(d), now, d.deadline)
        d.deadline = d.warn = d.timer = None

    def _resume(self, d, now):
        if d.remaining is not None:
            self._running(d, now, d.remaining)

    def _extend(self, d, now, minutes):
        if d.deadline is None:
            return
        d.limit, remaining = extend_by(self.timeline(d), now, d.deadline, d.limit, minutes)
        self._running(d, now, remaining)
        d.overdue = now > d.deadline

    def _stop(self, d):
        d.stage = ""
        d.deadline = d.warn = d.remaining = d.timer = None

    def _move_clock(self, d, action, target, now, extension):
        old_stage, deadline = d.stage, d.deadline
        new_stage = STAGE_OF_STATUS.get(target, old_stage)
        ended = target in FINAL or new_stage != old_stage or action in RESTARTS_STAGE
        clock = ACTIONS[action].clock
        if clock == PAUSE:
            self._pause(d, now)
        elif clock == RESUME:
            self._resume(d, now)
        elif clock == EXTEND:
            self._extend(d, now, extension)
        if target in FINAL:
            self._stop(d)
        elif ended:
            self._start(d, new_stage, now)
        met = None if not ended or deadline is None else now <= deadline
        return old_stage, deadline, met

    # The replay (cases/services/transitions.py and the effects of cases/workflow/actions.py)

    def run(self, d):
        """Replay `d.steps` at `d.times`: fills the draft's state, its events and its requests."""
        d.events, d.requests = [], []
        d.status, d.stage, d.remaining, d.overdue = Status.REPORTED.value, "", None, False
        d.rework = d.extensions = 0
        d.resume, d.lead, d.assisting, d.assignee, d.closed, d.registered = "", None, (), None, None, False
        start = d.created = d.times[0]
        self._start(d, Stage.ACCEPT.value, start)
        report = self._dumps(("source", d.source), ("self_handled", d.self_handled))
        d.events.append(
            [start, "report", "", d.status, d.created_by, REPORT_ROLES[d.source], "", report, "", None, None, None]
        )
        for step, at in zip(d.steps[1:], d.times[1:], strict=True):
            self._apply(d, step, at)
        d.updated = d.times[-1]

    def _apply(self, d, step, at):
        action, outcome, argument = step
        source = d.status
        target = TARGETS[action][outcome]
        if target == SAME:
            target = source
        elif target == PRIOR:
            target = d.resume
        actor, role = self._actor(d, action, argument)
        department, extension, data, note = self._effect(d, action, outcome, argument, at, actor)
        stage, deadline, met = self._move_clock(d, action, target, at, extension)
        d.status = target
        if target in FINAL:
            d.closed = at
        self._lapse(d, source, target, at)
        department = department or d.lead
        d.events.append([at, action, source, target, actor, role, note, data, stage, deadline, met, department])

    @staticmethod
    def _lapse(d, source, target, at):
        """cases/services/requests.py: pending requests lapse when the stage that raised them ends."""
        kinds = lapsing_kinds(from_status=source, to_status=target)
        if not kinds:
            return
        for request in d.requests:
            if request[2] == "pending" and request[1] in kinds:
                request[2], request[9] = "lapsed", at

    def _actor(self, d, action, argument):
        if action in HANDLER_ACTIONS:
            return self.ref.handlers.get(d.lead, self.ref.any_handler), Role.HANDLER.value
        role = ACTOR_ROLES[action]
        if action == "approve_extension":
            request = self._pending(d, "extension")
            earlier = any(r[1] == "extension" for r in d.requests[: d.requests.index(request)])
            if needs_leader(earlier=earlier, hours=request[4]):
                role = Role.LEADER
        return d.leaf.actors[role], role.value

    def _effect(self, d, action, outcome, argument, at, actor):
        """(department, extension minutes, data, note) of the action, applying its effect on the draft."""
        note = self._note(action)
        if action in REQUEST_KINDS:
            return self._request(d, action, argument, at, actor, note)
        if action in DECISIONS:
            return self._decide(d, action, at, actor, note)
        if action in ("request_verification", "request_check"):
            d.assignee = d.leaf.actors[Role.GRID_WORKER]
            return None, 0, self._dumps(("assignee", self.ref.usernames[d.assignee])), note
        if action == "verify":
            d.assignee = None
            return None, 0, self._dumps(("result", outcome)), note
        if action == "check":
            d.assignee = None
            d.rework += not outcome
            return None, 0, self._dumps(("passed", outcome), ("rework", not outcome)), note
        if action == "register":
            d.registered = True
            return None, 0, self._dumps(("filing_condition", d.condition.id), ("urgency", d.urgency)), note
        if action == "dispatch":
            return self._dispatch(d, argument), 0, self._dispatch_data(d), note
        if action == "merge":
            return None, 0, MergeData(), note
        if action == "feedback" and d.assisting:
            return None, 0, self._parts_missing_data(d), note
        return None, 0, EMPTY, note

    def _dispatch(self, d, argument):
        d.lead = d.right if argument == RIGHT else d.wrong
        d.assisting = (d.helper,) if argument == RIGHT and d.helper else ()
        return d.lead

    def _dispatch_data(self, d):
        codes = self.ref.department_codes
        return self._dumps(("lead", codes[d.lead]), ("assisting", tuple(codes[a] for a in d.assisting)))

    def _parts_missing_data(self, d):
        # No assisting department gives its part in generated histories: the lead reports without them, as the
        # live service records it (by department name).
        missing = sorted(d.assisting, key=lambda a: self.ref.department_names[a])
        return self._dumps(
            ("parts_missing", tuple(self.ref.department_codes[a] for a in missing)),
            ("parts_missing_names", tuple(self.ref.department_names[a] for a in missing)),
        )

    def _request(self, d, action, argument, at, actor, note):
        kind = REQUEST_KINDS[action]
        department = None if kind == "void" else d.lead
        d.requests.append(Request([None, kind, "pending", note, argument, actor, at, department, None, None, ""]))
        if kind == "void":
            d.resume = d.status
        data = self._dumps(("hours", str(argument))) if kind == "extension" else EMPTY
        return None, 0, data, note

    def _decide(self, d, action, at, actor, note):
        kind, approved = DECISIONS[action]
        request = self._pending(d, kind)
        request[2], request[8], request[9], request[10] = ("approved" if approved else "rejected"), actor, at, note
        if action == "approve_return":
            returned, d.lead, d.assisting = d.lead, None, ()
            return returned, 0, ReturnData(request), note
        if action == "approve_extension":
            d.extensions += 1
            return None, whole_minutes(hours_duration(request[4])), self._dumps(("hours", f"{request[4]}.00")), note
        return None, 0, EMPTY, note

    @staticmethod
    def _pending(d, kind):
        return next(r for r in reversed(d.requests) if r[1] == kind and r[2] == "pending")

    def _note(self, action):
        notes = spread.NOTES.get(action)
        return self.rng.choice(notes) if notes else ""

    def _dumps(self, *items):
        text = self._json.get(items)
        if text is None:
            text = self._json[items] = json.dumps(
                {k: list(v) if isinstance(v, tuple) else v for k, v in items}, ensure_ascii=False
            )
        return text


class MergeData:
    """The event data of a merge, known once the master case has its number."""

    number = None

    def text(self):
        return json.dumps({"master": self.number})


class ReturnData:
    """The event data of an approved return, known once its request has an id."""

    def __init__(self, request):
        self.request = request

    def text(self):
        return json.dumps({"wrong_dispatch": True, "request": self.request[0]})


# The role the intake records for each source (cases/services/intake.py `_reporting_role`).
REPORT_ROLES = {str(source): str(sorted(roles)[0]) for source, roles in SOURCE_ROLES.items()}
