"""What an action is: one declaration of who may take it, from which states, with which parameters and guards,
what it does and what it leaves behind. Consumers (the service, `allowed_actions`, the API serializer, the page
and phone forms, the docs table) ask the declaration and never restate its rules.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from accounts.models import Role
from accounts.scope import user_scope
from huizhou_cityops.errors import ConflictError

from .params import Outcome, Param

SAME = "="  # the status stays (an overlay such as an extension)
PRIOR = "<"  # back to the status the case had before a void request

# How the actor must relate to the case: a role over the case's grid, a handler of the lead department, the
# grid worker the task is assigned to, or a handler of an assisting department that owes the case a part (协办).
REGION, LEAD_DEPARTMENT, ASSIGNEE, ASSISTING = "region", "lead_department", "assignee", "assisting"
# Either: a handler of the lead department, or one of the action's region roles over the case's grid (移送).
LEAD_OR_REGION = "lead_or_region"

# What an action does to the stage clock besides what the new status implies.
PAUSE, RESUME, EXTEND, RESTART = "pause", "resume", "extend", "restart"

SYSTEM_ROLE = "system"


def assisting_departments_of(user, case) -> list[int]:
    """The user's departments (as a handler) that were given a part of `case` to assist with, lowest id first."""
    from cases.models import AssistPart, PartState

    mine = user_scope(user).department_ids(Role.HANDLER)
    if not mine:
        return []
    parts = AssistPart.objects.filter(case=case, department_id__in=mine).exclude(state=PartState.WITHDRAWN)
    return sorted(set(parts.values_list("department_id", flat=True)))


@dataclass(frozen=True)
class Refusal:
    """Why an action may not be taken now: 403 (not yours to take) or 409 (not in this state of the case)."""

    status: int
    code: str
    message: str

    def raise_(self):
        if self.status == 403:
            raise PermissionDenied(self.message)
        raise ConflictError(self.message, code=self.code)


@dataclass(frozen=True)
class Facts:
    """What a guard may look at: the case, who acts under which role, and the requests waiting on the case."""

    case: object
    user: object
    role: str
    pending: dict  # RequestKind -> the pending CaseRequest


@dataclass(frozen=True)
class Guard:
    """A precondition beyond the status: `test(facts)` true lets the action through; else `refusal`."""

    test: Callable[[Facts], bool]
    status: int
    code: str
    message: Callable[[], str]

    def check(self, facts) -> Refusal | None:
        return None if self.test(facts) else Refusal(self.status, self.code, str(self.message()))


@dataclass
class Effect:
    """What an effect returns: the outcome that picks the target, facts for the event row, clock changes."""

    outcome: object = None
    data: dict = field(default_factory=dict)
    department: object = None
    extension: timedelta | None = None


@dataclass(frozen=True)
class Context:
    """Everything an effect needs: the locked case, the actor and the role they act under, the note and the time."""

    case: object
    actor: object
    role: str
    note: str
    now: datetime
    pending: dict


@dataclass(frozen=True)
class Action:
    name: str
    label: str
    sources: frozenset
    targets: dict  # outcome -> status; the outcome is None when there is one target
    roles: frozenset
    effect: Callable
    scope: str = REGION
    params: tuple[Param, ...] = ()
    guards: tuple[Guard, ...] = ()
    needs_note: bool = False
    note_label: str = ""
    needs_photo: bool = False
    photo_kind: str = "before"
    allows_photo: bool = False  # photos may be attached though none is required
    clock: str | None = None
    request_kind: str | None = None  # the kind of request this action opens or decides
    decides: bool | None = None  # on a request: None opens it, True approves it, False rejects it
    # Work other apps do after the transition commits: "route" (propose the responsible department),
    # "auto_dispatch" (dispatch it when the responsibility list says so).
    follow_up: tuple[str, ...] = ()
    primary: bool = False  # the step forward: shown first and open
    danger: bool = False  # ends or turns back a case
    description: str = ""

    def target(self, outcome=None):
        return self.targets[outcome]

    @property
    def param_names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.params)

    @property
    def outcome(self) -> Outcome | None:
        """The yes/no parameter that picks the target (verify, check), if the action has one."""
        return next((p for p in self.params if isinstance(p, Outcome)), None)

    # ---- who may take it ----

    def candidate_roles(self, *, user, case) -> list[str]:
        """The roles under which `user` relates to `case` as this action's scope asks, best first."""
        scope = user_scope(user)
        if self.scope == ASSIGNEE:
            held = case.assignee_id == user.pk and Role.GRID_WORKER in scope.roles
            return [Role.GRID_WORKER] if held else []
        if self.scope == ASSISTING:
            return [Role.HANDLER] if assisting_departments_of(user, case) else []
        found = []
        if self.scope in (LEAD_DEPARTMENT, LEAD_OR_REGION):
            roles, _path = scope.department_roles.get(case.lead_department_id, (set(), ""))
            found = [Role.HANDLER] if Role.HANDLER in roles and Role.HANDLER in self.roles else []
            if self.scope == LEAD_DEPARTMENT:
                return found
        for path, roles in sorted(scope.region_roles.items()):
            if case.region_path.startswith(path):
                found += [r for r in sorted(self.roles & roles) if r not in found]
        return found

    def decide(self, *, user, case, pending, system=False) -> tuple[str | None, Refusal | None]:
        """(role, None) when `user` may take the action on `case` now, else (None, the first refusal).

        The order is the order of the HTTP answers: not yours (403), not in this state (409), a guard.
        """
        if system:
            roles = [SYSTEM_ROLE]
        else:
            roles = self.candidate_roles(user=user, case=case)
            if not roles:
                return None, Refusal(
                    403,
                    "not_permitted",
                    _("Your roles do not allow “%(action)s” on this case.") % {"action": self.label},
                )
        if case.status not in self.sources:
            return None, Refusal(
                409,
                "wrong_status",
                _("The case is now “%(status)s”; “%(action)s” is not possible.")
                % {"status": case.get_status_display(), "action": self.label},
            )
        refusal = None
        for role in roles:  # a user holding several fitting roles acts under the first one the guards accept
            facts = Facts(case=case, user=user, role=role, pending=pending)
            refusal = next((r for r in (g.check(facts) for g in self.guards) if r is not None), None)
            if refusal is None:
                return role, None
        return None, refusal

    def permits(self, *, user, case, pending) -> bool:
        """Whether `decide` would let `user` take the action now, without the refusal's words: the state first (most
        actions are not possible in a case's state, and the answers of a case list every action), then the roles,
        then the guards under each role as `decide` tries them."""
        if case.status not in self.sources:
            return False
        for role in self.candidate_roles(user=user, case=case):
            facts = Facts(case=case, user=user, role=role, pending=pending)
            if all(g.check(facts) is None for g in self.guards):
                return True
        return False
