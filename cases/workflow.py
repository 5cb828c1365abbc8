"""Every case state and transition in one table. Pure Python: no database, printable as a diagram.

An action moves a case from one of its `sources` to a target that may depend on the action's outcome
(`verify` true/false, `check` passed/failed). `SAME` keeps the status (extension is an overlay on
handling); `PRIOR` returns to the status the case had before a void request. `scope` says how the
actor must relate to the case: a role over the case's grid, the lead department, or being the
grid worker the task is assigned to.
"""

from dataclasses import dataclass

from accounts.models import Role

from .models.case import FINAL_STATUSES, Stage, Status

SAME = "="
PRIOR = "<"

REGION, LEAD_DEPARTMENT, ASSIGNEE = "region", "lead_department", "assignee"


@dataclass(frozen=True)
class Action:
    name: str
    sources: frozenset
    targets: dict  # outcome -> status; outcome None when there is one
    roles: frozenset
    scope: str = REGION
    needs_note: bool = False
    needs_photo: bool = False
    photo_kind: str = "before"

    def target(self, outcome=None):
        return self.targets[outcome]


def _a(name, sources, target, roles, scope=REGION, needs_note=False, needs_photo=False, photo_kind="before"):
    targets = target if isinstance(target, dict) else {None: target}
    return Action(name, frozenset(sources), targets, frozenset(roles), scope, needs_note, needs_photo, photo_kind)


S, R = Status, Role
OPEN = frozenset(s for s in Status if s not in FINAL_STATUSES)
APPROVERS = {R.DISPATCHER, R.SHIFT_LEAD}

ACTIONS = {
    a.name: a
    for a in [
        _a("accept", {S.REPORTED}, S.TO_REGISTER, {R.OPERATOR}),
        _a("refuse", {S.REPORTED}, S.NOT_ACCEPTED, {R.OPERATOR}, needs_note=True),
        _a("request_verification", {S.REPORTED}, S.VERIFYING, {R.OPERATOR}),
        _a(
            "verify",
            {S.VERIFYING},
            {True: S.REPORTED, False: S.NOT_ACCEPTED},
            {R.GRID_WORKER},
            ASSIGNEE,
            photo_kind="verification",
        ),
        _a("merge", {S.REPORTED}, S.NOT_ACCEPTED, {R.OPERATOR}),
        _a("self_close", {S.REPORTED}, S.SELF_CLOSED, {R.OPERATOR}),
        _a("register", {S.TO_REGISTER}, S.TO_DISPATCH, {R.SHIFT_LEAD}),
        _a("refuse_registration", {S.TO_REGISTER}, S.NOT_REGISTERED, {R.SHIFT_LEAD}, needs_note=True),
        _a("dispatch", {S.TO_DISPATCH}, S.HANDLING, {R.DISPATCHER}),
        _a("request_return", {S.HANDLING}, S.RETURN_PENDING, {R.HANDLER}, LEAD_DEPARTMENT, needs_note=True),
        _a("approve_return", {S.RETURN_PENDING}, S.TO_DISPATCH, APPROVERS),
        _a("reject_return", {S.RETURN_PENDING}, S.HANDLING, APPROVERS, needs_note=True),
        _a("request_extension", {S.HANDLING}, SAME, {R.HANDLER}, LEAD_DEPARTMENT, needs_note=True),
        _a("approve_extension", {S.HANDLING}, SAME, {R.DISPATCHER, R.SHIFT_LEAD, R.LEADER}),
        _a("reject_extension", {S.HANDLING}, SAME, {R.DISPATCHER, R.SHIFT_LEAD, R.LEADER}, needs_note=True),
        _a("request_suspension", {S.HANDLING}, S.SUSPEND_PENDING, {R.HANDLER}, LEAD_DEPARTMENT, needs_note=True),
        _a("approve_suspension", {S.SUSPEND_PENDING}, S.SUSPENDED, {R.DISPATCHER}),
        _a("reject_suspension", {S.SUSPEND_PENDING}, S.HANDLING, {R.DISPATCHER}, needs_note=True),
        _a("resume", {S.SUSPENDED}, S.HANDLING, {R.DISPATCHER}),
        _a(
            "feedback",
            {S.HANDLING},
            S.TO_CHECK,
            {R.HANDLER},
            LEAD_DEPARTMENT,
            needs_note=True,
            needs_photo=True,
            photo_kind="after",
        ),
        _a("request_check", {S.TO_CHECK}, S.CHECKING, {R.OPERATOR}),
        _a(
            "check",
            {S.CHECKING},
            {True: S.TO_CLOSE, False: S.HANDLING},
            {R.GRID_WORKER},
            ASSIGNEE,
            photo_kind="verification",
        ),
        _a("close", {S.TO_CLOSE}, S.CLOSED, {R.SHIFT_LEAD}),
        _a("request_void", OPEN - {S.VOID_PENDING}, S.VOID_PENDING, {R.OPERATOR, R.DISPATCHER}, needs_note=True),
        _a("approve_void", {S.VOID_PENDING}, S.VOIDED, {R.SHIFT_LEAD}),
        _a("reject_void", {S.VOID_PENDING}, PRIOR, {R.SHIFT_LEAD}),
    ]
}

# The timed stage each status runs. Pending requests keep the handling clock running; only an
# approved suspension stops it. A void request does not stop whatever clock was running.
STAGE_OF = {
    S.REPORTED: Stage.ACCEPT,
    S.VERIFYING: Stage.VERIFY,
    S.TO_REGISTER: Stage.REGISTER,
    S.TO_DISPATCH: Stage.DISPATCH,
    S.HANDLING: Stage.HANDLING,
    S.RETURN_PENDING: Stage.HANDLING,
    S.SUSPEND_PENDING: Stage.HANDLING,
    S.SUSPENDED: Stage.HANDLING,
    S.TO_CHECK: Stage.CHECK,
    S.CHECKING: Stage.CHECK,
    S.TO_CLOSE: Stage.CLOSE,
}

# Actions that start their target stage afresh even when it is the same stage (rework gets a new limit).
RESTARTS_STAGE = frozenset({"check"})


def actions_from(status):
    """The actions whose sources include `status`."""
    return [a for a in ACTIONS.values() if status in a.sources]


def as_mermaid():
    """The state machine as a Mermaid diagram (`manage.py workflow_diagram`)."""
    lines = ["stateDiagram-v2", "    [*] --> reported: report"]
    for action in ACTIONS.values():
        for outcome, target in action.targets.items():
            label = action.name if outcome is None else f"{action.name} ({outcome})"
            for source in sorted(action.sources):
                shown = {SAME: source, PRIOR: "previous"}.get(target, target)
                lines.append(f"    {source} --> {shown}: {label}")
    for final in sorted(FINAL_STATUSES):
        lines.append(f"    {final} --> [*]")
    return "\n".join(lines)
