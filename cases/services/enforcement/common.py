"""The enforcement chain's shared pieces: who may act on it (one function per decision) and the helpers every
step uses (the locked row, refusals, the step move with its event, the word sent back to the source case)."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils.translation import gettext as _

from accounts.models import Role
from accounts.scope import user_scope
from cases.clock import is_paused, stage_resume
from cases.models import (
    ApprovalState,
    Case,
    EnforcementCase,
    EnforcementState,
    Status,
)
from cases.services.events import case_overlay_event
from cases.workflow.enforcement import enforcement_event_record, step_move
from huizhou_cityops.errors import ConflictError

E = EnforcementState
MAX_TEXT = 2000


# ---- who may act (one function per decision; pages, API and tests ask the same) ----


def acts_for_body(user, enforcement) -> bool:
    """A handler of the competent enforcement body."""
    return enforcement.body_id in user_scope(user).department_ids(Role.HANDLER)


def is_leader_over(user, enforcement) -> bool:
    """A leader posted over the source case's grid: approves a penalty outside the discretion standard."""
    scope = user_scope(user)
    return scope.everything or scope.covers_path(enforcement.region_path, Role.LEADER)


def may_list(user, enforcement) -> bool:
    """挂牌督办 is decided by the enforcement body, a leader or a dispatcher of the command centre over the grid."""
    scope = user_scope(user)
    return (
        acts_for_body(user, enforcement)
        or is_leader_over(user, enforcement)
        or scope.covers_path(enforcement.region_path, Role.DISPATCHER)
    )


def rectifier_of(user, enforcement) -> bool:
    """Who reports the rectification: the listed responsible body when listed, else the enforcement body."""
    listing = getattr(enforcement, "listing", None)
    if listing is not None and listing.responsible_id in user_scope(user).department_ids(Role.HANDLER):
        return True
    return acts_for_body(user, enforcement)


def enforcement_actions_for(user, enforcement) -> list[str]:
    """The steps `user` may take on the chain now (what the page offers; every service checks the same)."""
    state, found = enforcement.state, []
    body = acts_for_body(user, enforcement)
    if body and state == E.TRANSFERRED:
        found += ["confirm", "decline"]
    pending = state in (E.CONFIRMED, E.COLLABORATING) and _pending_decision(enforcement) is not None
    if body and state in (E.CONFIRMED, E.COLLABORATING):
        found.append("collaborate")
        if not pending:
            found.append("decide")
    if pending and is_leader_over(user, enforcement):
        found += ["approve_penalty", "refuse_penalty"]
    if state == E.DECIDED and may_list(user, enforcement) and not hasattr(enforcement, "listing"):
        found.append("list")
    if state in (E.DECIDED, E.LISTED) and rectifier_of(user, enforcement):
        found.append("rectify")
    if body and state == E.RECTIFIED:
        found.append("verify")
    if body and state == E.VERIFIED:
        found.append("feedback")
    if body and state == E.FED_BACK:
        found.append("close")
    if body and state not in (E.DECLINED, E.CLOSED):
        found.append("party")
    return found


def _pending_decision(enforcement):
    return enforcement.decisions.filter(approval=ApprovalState.PENDING).first()


# ---- helpers ----


def _text(name, value, *, required=True):
    text = str(value or "").strip()
    if required and not text:
        raise ValidationError({name: [_("This field is required.")]})
    if len(text) > MAX_TEXT:
        raise ValidationError({name: [_("Write at most %(max)d characters.") % {"max": MAX_TEXT}]})
    return text


def _locked(enforcement_id, actor):
    """The chain, locked, if `actor` may see it; 404 otherwise (out of scope is absent, never 403)."""
    enforcement = (
        EnforcementCase.objects.visible_to(actor)
        .select_related("body", "source")
        .select_for_update(of=("self",))
        .filter(pk=enforcement_id)
        .first()
    )
    if enforcement is None:
        raise Http404(_("No such enforcement case."))
    return enforcement


def _require(allowed: bool):
    if not allowed:
        raise PermissionDenied(_("Your roles do not allow this step on this enforcement case."))


def _in_state(enforcement, *states):
    if enforcement.state not in states:
        raise ConflictError(
            _("The enforcement case is now “%(state)s”; this step is not possible.")
            % {"state": enforcement.get_state_display()},
            code="wrong_state",
        )


def _role(user, enforcement):
    if acts_for_body(user, enforcement):
        return Role.HANDLER
    scope = user_scope(user)
    for role in (Role.LEADER, Role.DISPATCHER, Role.SHIFT_LEAD):
        if scope.covers_path(enforcement.region_path, role):
            return role
    return Role.HANDLER if scope.department_ids(Role.HANDLER) else ""


def _move(enforcement, *, action, state, actor, now, note="", data=None, department=None, fields=()):
    from_state = enforcement.state
    ended = step_move(enforcement, state, now)
    enforcement.save(update_fields=["state", "step", "step_started_at", "step_deadline", "overdue", *fields])
    return enforcement_event_record(
        enforcement=enforcement,
        action=action,
        from_state=from_state,
        actor=actor,
        role=_role(actor, enforcement),
        now=now,
        note=note,
        data=data,
        department=department,
        ended=ended,
    )


def _tell_source(enforcement, *, action, actor, now, note="", data=None, resume=False):
    """Write the step into the source case's timeline; restart its clock when the chain no longer holds it."""
    case = Case.objects.select_for_update(of=("self",)).select_related("region").get(pk=enforcement.source_id)
    case_overlay_event(
        case=case,
        action=action,
        actor=actor,
        role=_role(actor, enforcement),
        now=now,
        note=note,
        data={"enforcement": enforcement.number, "body": enforcement.body.code, **(data or {})},
    )
    if resume and enforcement.source_clock_paused and is_paused(case) and case.status != Status.SUSPENDED:
        others = (
            EnforcementCase.objects.filter(source=case, source_clock_paused=True, state__in=HOLDING)
            .exclude(pk=enforcement.pk)
            .exists()
        )
        if not others:
            stage_resume(case, now)
            case.save(update_fields=["stage_deadline", "stage_warn_at", "stage_remaining", "timer_due_at", "overdue"])


# The states in which a chain still holds its source case (its clock stays stopped while any such chain runs).
HOLDING = [s for s in E if s not in (E.DECLINED, E.FED_BACK, E.CLOSED)]
