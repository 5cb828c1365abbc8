"""Random but legal case histories, written straight into the case and event tables.

Every step is an action of cases/workflow.py taken from the status the case is in (with its preconditions:
a pending request to decide, a self-handled report to self-close, no verification of a grid worker's own
report), and the event row records what `case_transition` records: the stage the case was in and its deadline
before the action, whether the stage the action ended was ended by that deadline, the department concerned
(the returning department for an approved return, the lead department otherwise) and the actor in their role.
Deadlines, extensions and suspensions move the way cases/clock.py moves them, on a natural clock with
random limits, so the assessment sees every kind of stage: on time, late, overdue and still running, ended by
later events. Timer events (from = to) are sprinkled in: the assessment must ignore them. Supervision orders (督办)
are sprinkled in the same way, as the order service writes them: an `order_issued` event with the order's id and
reply deadline, later perhaps its `order_replied` (on time or late) or `order_withdrawn`.
"""

from dataclasses import dataclass, field
from datetime import timedelta
from itertools import count

from django.contrib.gis.geos import Point

from cases.models import FINAL_STATUSES, Case, CaseEvent, Category
from cases.workflow import ACTIONS, PRIOR, RESTARTS_STAGE, SAME, STAGE_OF

ROLE_OF = {
    "accept": "operator",
    "refuse": "operator",
    "request_verification": "operator",
    "merge": "operator",
    "self_close": "operator",
    "request_check": "operator",
    "request_void": "operator",
    "verify": "grid_worker",
    "check": "grid_worker",
    "register": "shift_lead",
    "refuse_registration": "shift_lead",
    "close": "shift_lead",
    "approve_void": "shift_lead",
    "reject_void": "shift_lead",
    "request_return": "handler",
    "request_extension": "handler",
    "request_suspension": "handler",
    "feedback": "handler",
    "reopen": "operator",
}
PENDING_OF = {
    "approve_return": "return",
    "reject_return": "return",
    "approve_extension": "extension",
    "reject_extension": "extension",
    "approve_suspension": "suspension",
    "reject_suspension": "suspension",
    "approve_void": "void",
    "reject_void": "void",
}
OPENS = {
    "request_return": "return",
    "request_extension": "extension",
    "request_suspension": "suspension",
    "request_void": "void",
}
NOISE = ("timer_warning", "timer_overdue", "order_issued", "order_replied", "order_withdrawn")
ORDER_IDS = count(1)
# The main path through the loop; walks take it more often than the side branches, so most cases get far.
MAIN = (
    "accept",
    "request_verification",
    "verify",
    "register",
    "dispatch",
    "feedback",
    "request_check",
    "check",
    "close",
)


@dataclass
class World:
    """What the histories are made of: grids, departments, people per role, a category, a time window."""

    regions: list  # Region objects (communities)
    departments: list  # Department objects
    people: dict  # role -> [User]
    category: Category
    start: object  # aware datetime
    creator: object


@dataclass
class Walk:
    status: str = "reported"
    stage: str = "accept"
    deadline: object = None
    remaining: object = None
    lead: object = None
    assignee: object = None
    pending: set = field(default_factory=set)
    resume: str = ""
    events: list = field(default_factory=list)
    orders: list = field(default_factory=list)  # [(order id, reply deadline)] not yet answered


def _pick(draw, options):
    return options[draw(len(options))]


def _allowed(walk, source, self_handled):
    names = []
    for name, action in ACTIONS.items():
        if walk.status not in action.sources:
            continue
        if name == "self_close" and not self_handled:
            continue
        if name == "request_verification" and source == "grid_worker":
            continue
        if name in PENDING_OF and PENDING_OF[name] not in walk.pending:
            continue
        if name in OPENS and OPENS[name] in walk.pending:
            continue
        names.append(name)
    return sorted(names)


def _limit(draw, at):
    """A stage deadline: None (no limit configured) one time in eight, else 1 to 120 hours on."""
    if draw(8) == 0:
        return None
    return at + timedelta(hours=1 + draw(120))


def _step(draw, world, walk, name, at):
    """Apply one action; returns the event's fields."""
    spec = ACTIONS[name]
    outcome = None
    data = {}
    department = None
    if name in ("verify", "check"):
        outcome = draw(4) != 0  # mostly true: verified real / check passed
        data = {"result": outcome} if name == "verify" else {"passed": outcome, "rework": not outcome}
    target = spec.target(outcome)
    if target == SAME:
        target = walk.status
    elif target == PRIOR:
        target = walk.resume
    role = ROLE_OF.get(name, "dispatcher")
    actor = _pick(draw, world.people[role])
    if name in ("verify", "check"):
        actor, role = walk.assignee, "grid_worker"
        walk.assignee = None
    if name in ("request_verification", "request_check"):
        walk.assignee = _pick(draw, world.people["grid_worker"])
    if name == "dispatch":
        walk.lead = _pick(draw, world.departments)
        department = walk.lead
        data = {"lead": walk.lead.code, "assisting": []}
        if draw(5) == 0:  # auto-dispatch from the responsibility list
            actor, role = None, "system"
    if name == "approve_return":
        department, walk.lead = walk.lead, None
        data = {"wrong_dispatch": True}
    if name in OPENS:
        walk.pending.add(OPENS[name])
        if name == "request_void":
            walk.resume = walk.status
    if name in PENDING_OF:
        walk.pending.discard(PENDING_OF[name])
    # The stage clock (cases/services/transitions.py _move_clock)
    before_stage, before_deadline = walk.stage, walk.deadline
    new_stage = STAGE_OF.get(target, before_stage)
    ended = target in FINAL_STATUSES or new_stage != before_stage or name in RESTARTS_STAGE
    if name == "approve_suspension" and walk.deadline is not None:
        walk.remaining, walk.deadline = walk.deadline - at, None
    elif name == "resume" and walk.remaining is not None:
        walk.deadline, walk.remaining = at + walk.remaining, None
    elif name == "approve_extension" and walk.deadline is not None:
        walk.deadline += timedelta(hours=1 + draw(48))
    if target in FINAL_STATUSES:
        walk.stage, walk.deadline, walk.remaining = "", None, None
    elif ended:
        walk.stage, walk.deadline, walk.remaining = new_stage, _limit(draw, at), None
        if before_stage == "handling":
            walk.pending.discard("extension")  # a pending extension lapses with its stage
    met = None if not ended or before_deadline is None else at <= before_deadline
    walk.status = target
    return {
        "action": name,
        "from_status": "",
        "to_status": target,
        "actor": actor,
        "actor_role": role,
        "at": at,
        "data": data,
        "stage": before_stage,
        "stage_deadline": before_deadline,
        "stage_met": met,
        "department": department or walk.lead,
    }


def make_case(draw, world, number):
    """One case with its events (not saved): (case, [event fields])."""
    region = _pick(draw, world.regions)
    source = "grid_worker" if draw(2) else "public"
    self_handled = source == "grid_worker" and draw(6) == 0
    reporter = _pick(draw, world.people["grid_worker" if source == "grid_worker" else "operator"])
    at = world.start + timedelta(minutes=draw(100 * 24 * 60))
    walk = Walk(deadline=_limit(draw, at))
    events = [
        {
            "action": "report",
            "from_status": "",
            "to_status": "reported",
            "actor": reporter,
            "actor_role": "grid_worker" if source == "grid_worker" else "operator",
            "at": at,
            "data": {"source": source, "self_handled": self_handled},
            "stage": "",
            "stage_deadline": None,
            "stage_met": None,
            "department": None,
        }
    ]
    created = at
    rated = False
    for _i in range(4 + draw(14)):
        if walk.status == "closed" and not rated:
            # 满意度: the reporter rates on the portal and/or an operator calls back; a dissatisfied one may reopen.
            rated = True
            at = at + timedelta(minutes=1 + draw(2 * 24 * 60))
            ratings = _ratings(draw, world, walk, at)
            events += ratings
            if any(r["data"].get("satisfaction") == "dissatisfied" for r in ratings) and draw(2) == 0:
                at = at + timedelta(minutes=1 + draw(60))
                fields = _step(draw, world, walk, "reopen", at)
                fields["from_status"] = "closed"
                fields["data"] = {"rework": True, "reopened": True}
                events.append(fields)
                continue
        if walk.status in FINAL_STATUSES:
            break
        at = at + timedelta(minutes=1 + draw(3 * 24 * 60))
        if draw(8) == 0 or (walk.orders and draw(3) == 0):
            events.append(_noise(draw, walk, at))
            continue
        options = _allowed(walk, source, self_handled)
        if not options:
            break
        main = [o for o in options if o in MAIN]
        name = _pick(draw, main) if main and draw(10) < 7 else _pick(draw, options)
        before = walk.status
        fields = _step(draw, world, walk, name, at)
        fields["from_status"] = before
        events.append(fields)
    case = Case(
        number=f"T{number:012d}",
        kind="E",
        category=world.category,
        description="random history",
        point=Point(114.4, 23.1, srid=4326),
        region=region,
        region_path=region.path,
        source=source,
        reporter=reporter if source == "grid_worker" else None,
        self_handled=self_handled,
        created_by=world.creator,
        status=walk.status,
        stage=walk.stage,
        stage_deadline=walk.deadline,
        stage_remaining=walk.remaining,
        overdue=walk.remaining is not None and walk.remaining < timedelta(0),
        lead_department=walk.lead,
        assignee=walk.assignee,
        created_at=created,
        closed_at=at if walk.status in FINAL_STATUSES else None,
    )
    return case, events


SATISFACTIONS = ("satisfied", "basic", "dissatisfied")


def _ratings(draw, world, walk, at):
    """A closed case's rating on the portal (role "public", no actor) and/or an operator's call-back (回访)."""
    rows = []
    base = {"from_status": "closed", "to_status": "closed", "at": at, "stage": walk.stage, "stage_deadline": None}
    base.update(stage_met=None, department=walk.lead)
    if draw(2) == 0:
        data = {"satisfaction": _pick(draw, SATISFACTIONS), "channel": "portal"}
        rows.append({**base, "action": "rate", "actor": None, "actor_role": "public", "data": data})
    if draw(2) == 0:
        reached = draw(3) != 0
        data = {"reached": reached, "channel": "callback"}
        if reached:
            data["satisfaction"] = _pick(draw, SATISFACTIONS)
        operator = _pick(draw, world.people["operator"])
        rows.append({**base, "action": "callback", "actor": operator, "actor_role": "operator", "data": data})
    return rows


def _order_data(draw, walk, action, at):
    """The data an order event carries (dispatch/services/orders.py); None when there is no open order to answer."""
    if action == "order_issued":
        order, deadline = next(ORDER_IDS), at + timedelta(hours=1 + draw(72))
        walk.orders.append((order, deadline))
        return {"order": order, "formal": draw(4) == 0, "reply_deadline": deadline.isoformat()}
    if action in ("order_replied", "order_withdrawn"):
        if not walk.orders:
            return None
        order, deadline = walk.orders.pop(draw(len(walk.orders)))
        return {"order": order, "on_time": at <= deadline} if action == "order_replied" else {"order": order}
    return {}


def _noise(draw, walk, at):
    """A timer or order event: from = to, the stage facts as they are; only the orders' own counts read orders."""
    action = "order_issued" if draw(2) == 0 else _pick(draw, NOISE)
    if walk.orders and draw(2) == 0:  # an open order is answered more often than not
        action = "order_withdrawn" if draw(4) == 0 else "order_replied"
    data = _order_data(draw, walk, action, at)
    if data is None:
        action, data = "timer_warning", {}
    return {
        "action": action,
        "from_status": walk.status,
        "to_status": walk.status,
        "actor": None,
        "actor_role": "system",
        "at": at,
        "data": data,
        "stage": walk.stage,
        "stage_deadline": walk.deadline,
        "stage_met": None,
        "department": walk.lead,
    }


def histories_write(draw, world, count, first_number=0):
    """Write `count` random cases and their events; events get ids in time order across cases, like live ones."""
    made = [make_case(draw, world, first_number + i) for i in range(count)]
    cases = Case.objects.bulk_create([c for c, _e in made])
    rows = []
    for case, (_c, events) in zip(cases, made, strict=True):
        for e in events:
            rows.append(CaseEvent(case=case, region_path=case.region_path, **e))
    # Ids in time order: the service appends events as they happen, across all cases.
    rows.sort(key=lambda e: e.at)
    CaseEvent.objects.bulk_create(rows)
    return cases


# ---- enforcement chains (cases_enforcementevent), as cases/workflow/enforcement.py and the services write them ----

# The chain's path: state after each action, and the step that state is timed on (STEP_OF_STATE).
CHAIN_STEP = {"transferred": "confirm", "confirmed": "decide", "decided": "rectify", "listed": "rectify"}
CHAIN_STEP |= {"rectified": "verify", "verified": "feedback"}


def _chain_events(draw, world, source, at):
    """One chain's events of `source` (fields of EnforcementEvent without the chain): transfer, then confirm or
    decline, decide, maybe list (a responsible body and a deadline), rectify / verify (passed or not), report
    back, file away — stopping anywhere. Each row records the step it ended, its deadline and whether it was met."""
    body = _pick(draw, world.departments)
    rows, state, step, deadline = [], "", "", None

    def move(action, new_state, when, department=None, data=None):
        nonlocal state, step, deadline
        ended = {"step": "", "step_deadline": None, "step_met": None}
        new_step = CHAIN_STEP.get(new_state, "")
        if new_step != step:
            if step:
                ended = {"step": step, "step_deadline": deadline}
                ended["step_met"] = None if deadline is None else when <= deadline
            step, deadline = new_step, (_limit(draw, when) if new_step else None)
        row = {"action": action, "from_state": state, "to_state": new_state, "at": when, "data": data or {}}
        row.update(ended, department=department or body, region_path=source.region_path)
        state = new_state
        rows.append(row)

    move("transfer", "transferred", at)
    path = ["confirm", "decide", "list", "rectify", "verify", "feedback", "close"]
    while path and draw(6) != 0:
        at = at + timedelta(minutes=1 + draw(4 * 24 * 60))
        name = path[0]
        if name == "confirm" and draw(4) == 0:
            move("decline", "declined", at)
            break
        if name == "list":
            path.pop(0)
            if draw(2) == 0:
                listed = at + timedelta(hours=1 + draw(10 * 24))
                data = {"deadline": listed.isoformat(), "responsible": "x", "public": False}
                move("list", "listed", at, _pick(draw, world.departments), data)
                deadline = listed  # the listing's own deadline times the rectification
            continue
        if name == "verify" and draw(3) == 0:
            listed = any(r["action"] == "list" for r in rows)
            move("verify", "listed" if listed else "decided", at, data={"passed": False})
            path.insert(0, "rectify")
            continue
        path.pop(0)
        states = {"confirm": "confirmed", "decide": "decided", "rectify": "rectified", "verify": "verified"}
        states |= {"feedback": "fed_back", "close": "closed"}
        move(name, states[name], at, data={"passed": True} if name == "verify" else None)
    return body, rows


def chains_write(draw, world, cases):
    """Random enforcement chains on about half of `cases`; event ids in time order across chains."""
    from cases.models import EnforcementCase, EnforcementEvent

    made = []
    for case in cases:
        if draw(2):
            continue
        at = world.start + timedelta(minutes=draw(110 * 24 * 60))
        body, rows = _chain_events(draw, world, case, at)
        chain = EnforcementCase.objects.create(
            number=f"ZFT{case.pk:09d}",
            source=case,
            body=body,
            violation="random",
            region_path=case.region_path,
            transferred_by=world.creator,
            transferred_at=at,
            state=rows[-1]["to_state"],
        )
        made += [EnforcementEvent(enforcement=chain, **r) for r in rows]
    made.sort(key=lambda e: e.at)
    return EnforcementEvent.objects.bulk_create(made)
