"""The steps of the chain after its transfer: 违法确认, 执法协作, the penalty within the discretion standard, 挂牌督办,
rectification and its verification, 办结反馈 and filing away."""

from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Role
from accounts.scope import user_scope
from cases.models import (
    ApprovalState,
    Circumstance,
    CollaborationTask,
    DiscretionStandard,
    EnforcementCase,
    EnforcementListing,
    EnforcementStep,
    PenaltyDecision,
    TaskState,
)
from cases.workflow.enforcement import enforcement_event_record, step_deadline
from grids.models import Department
from huizhou_cityops.errors import ConflictError

from .common import (
    E,
    _in_state,
    _locked,
    _move,
    _pending_decision,
    _require,
    _tell_source,
    _text,
    acts_for_body,
    is_leader_over,
    may_list,
    rectifier_of,
)

# ---- 违法确认 ----


@transaction.atomic
def enforcement_confirm(*, enforcement_id, actor, offence_code, legal_basis="", note="", now=None):
    """The enforcement body confirms the violation: the offence of the discretion standard and its legal basis."""
    now = now or timezone.now()
    enforcement = _locked(enforcement_id, actor)
    _require(acts_for_body(actor, enforcement))
    _in_state(enforcement, E.TRANSFERRED)
    code = _text("offence_code", offence_code)
    standard = DiscretionStandard.objects.filter(offence_code=code).first()
    if standard is None:
        raise ValidationError(
            {"offence_code": [_("No offence “%(code)s” in the discretion standard.") % {"code": code}]}
        )
    enforcement.offence_code = code
    enforcement.legal_basis = _text("legal_basis", legal_basis, required=False) or standard.legal_basis
    enforcement.confirmed_at = now
    note = _text("note", note, required=False)
    _move(
        enforcement,
        action="confirm",
        state=E.CONFIRMED,
        actor=actor,
        now=now,
        note=note,
        data={"offence_code": code, "offence": standard.offence, "legal_basis": enforcement.legal_basis},
        fields=("offence_code", "legal_basis", "confirmed_at"),
    )
    _tell_source(
        enforcement,
        action="enforcement_confirmed",
        actor=actor,
        now=now,
        note=note,
        data={"offence": standard.offence, "legal_basis": enforcement.legal_basis},
    )
    return enforcement


@transaction.atomic
def enforcement_decline(*, enforcement_id, actor, reason, now=None):
    """The body declines the matter with a reason: the source case gets it back (event in its timeline)."""
    now = now or timezone.now()
    enforcement = _locked(enforcement_id, actor)
    _require(acts_for_body(actor, enforcement))
    _in_state(enforcement, E.TRANSFERRED)
    enforcement.decline_reason = _text("reason", reason)
    enforcement.closed_at = now
    _move(
        enforcement,
        action="decline",
        state=E.DECLINED,
        actor=actor,
        now=now,
        note=enforcement.decline_reason,
        fields=("decline_reason", "closed_at"),
    )
    _tell_source(
        enforcement, action="enforcement_declined", actor=actor, now=now, note=enforcement.decline_reason, resume=True
    )
    return enforcement


# ---- 执法协作 ----


def _department(ref):
    ref = str(ref or "").strip()
    qs = Department.objects.filter(active=True)
    department = qs.filter(pk=int(ref)).first() if ref.isdigit() else qs.filter(code=ref).first()
    if department is None:
        raise ValidationError({"department": [_("No active department “%(ref)s”.") % {"ref": ref}]})
    return department


@transaction.atomic
def enforcement_collaborate(*, enforcement_id, actor, department, request, now=None):
    """The body asks another department for its part (执法协作), with the step's limit as the task's deadline."""
    now = now or timezone.now()
    enforcement = _locked(enforcement_id, actor)
    _require(acts_for_body(actor, enforcement))
    _in_state(enforcement, E.CONFIRMED, E.COLLABORATING)
    department = department if isinstance(department, Department) else _department(department)
    if department.pk == enforcement.body_id:
        raise ValidationError({"department": [_("The enforcement body does not collaborate with itself.")]})
    if enforcement.tasks.filter(department=department, state=TaskState.OPEN).exists():
        raise ValidationError({"department": [_("%(name)s already has an open part.") % {"name": department.name}]})
    text = _text("request", request)
    deadline = step_deadline(EnforcementStep.COLLABORATE, now) or now
    task = CollaborationTask.objects.create(
        enforcement=enforcement, department=department, request=text, deadline=deadline, asked_by=actor, asked_at=now
    )
    from_state = enforcement.state
    enforcement.state = E.COLLABORATING  # the decision step keeps running while the parts are given
    enforcement.save(update_fields=["state"])
    enforcement_event_record(
        enforcement=enforcement,
        action="collaborate",
        from_state=from_state,
        actor=actor,
        role=Role.HANDLER,
        now=now,
        note=text,
        data={"task": task.pk, "department": department.code, "deadline": deadline.isoformat()},
        department=department,
    )
    return task


@transaction.atomic
def enforcement_part_give(*, task_id, actor, feedback, now=None):
    """A collaborating department gives its part; the chain's timeline records whether it was in time."""
    now = now or timezone.now()
    task = CollaborationTask.objects.filter(pk=task_id).select_related("department").first()
    if task is None or task.department_id not in user_scope(actor).department_ids(Role.HANDLER):
        raise Http404(_("No such collaboration task."))
    enforcement = (
        EnforcementCase.objects.select_for_update(of=("self",)).select_related("body").get(pk=task.enforcement_id)
    )
    text = _text("feedback", feedback)
    if not CollaborationTask.objects.filter(pk=task.pk, state=TaskState.OPEN).update(
        state=TaskState.DONE, feedback=text, answered_by=actor, answered_at=now
    ):
        raise ConflictError(_("Your department has already given its part."), code="part_given")
    enforcement_event_record(
        enforcement=enforcement,
        action="part_given",
        from_state=enforcement.state,
        actor=actor,
        role=Role.HANDLER,
        now=now,
        note=text,
        data={"task": task.pk, "department": task.department.code},
        department=task.department,
        ended={"step": EnforcementStep.COLLABORATE, "step_deadline": task.deadline, "step_met": now <= task.deadline},
    )
    return task


# ---- the penalty within the discretion standard (自由裁量权基准) ----


def discretion_range(*, offence_code, circumstance):
    """The standard's row for the offence in that circumstance (the form proposes its range), or None."""
    return DiscretionStandard.objects.filter(offence_code=offence_code, circumstance=circumstance).first()


def _fine(value):
    try:
        fine = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise ValidationError({"fine": [_("Give the fine in yuan as a number.")]}) from None
    if not fine.is_finite() or fine < 0 or fine >= Decimal("100000000") or fine != fine.quantize(Decimal("0.01")):
        raise ValidationError({"fine": [_("Give the fine in yuan, from 0, with at most two decimals.")]})
    return fine


@transaction.atomic
def enforcement_decide(*, enforcement_id, actor, circumstance, fine, reason="", now=None):
    """Propose the penalty. Within the standard's range it stands; outside it a reason is required, and it stands
    only once a leader approves (a leader proposing it approves it at once)."""
    now = now or timezone.now()
    enforcement = _locked(enforcement_id, actor)
    _require(acts_for_body(actor, enforcement))
    _in_state(enforcement, E.CONFIRMED, E.COLLABORATING)
    if circumstance not in Circumstance.values:
        raise ValidationError({"circumstance": [_("Choose the circumstance.")]})
    fine = _fine(fine)
    reason = _text("reason", reason, required=False)
    if enforcement.tasks.filter(state=TaskState.OPEN).exists():
        raise ConflictError(_("Collaborating departments have not all given their part yet."), code="parts_open")
    if _pending_decision(enforcement):
        raise ConflictError(_("A penalty outside the standard is waiting for a leader."), code="penalty_pending")
    standard = discretion_range(offence_code=enforcement.offence_code, circumstance=circumstance)
    if standard is None:
        raise ValidationError({"circumstance": [_("The discretion standard has no range for this circumstance.")]})
    within = standard.fine_min <= fine <= standard.fine_max
    if not within and not reason:
        raise ValidationError(
            {
                "reason": [
                    _("%(fine)s yuan is outside the standard's %(min)s–%(max)s yuan: give the reason for it.")
                    % {"fine": fine, "min": standard.fine_min, "max": standard.fine_max}
                ]
            }
        )
    leader = is_leader_over(actor, enforcement)
    approval = ApprovalState.NOT_NEEDED if within else (ApprovalState.APPROVED if leader else ApprovalState.PENDING)
    decision = PenaltyDecision.objects.create(
        enforcement=enforcement,
        standard=standard,
        circumstance=circumstance,
        fine=fine,
        within_standard=within,
        reason=reason,
        approval=approval,
        proposed_by=actor,
        proposed_at=now,
        approved_by=actor if approval == ApprovalState.APPROVED else None,
        approved_at=now if approval == ApprovalState.APPROVED else None,
    )
    data = {"decision": decision.pk, "fine": str(fine), "within_standard": within, "approval": approval}
    if approval == ApprovalState.PENDING:
        enforcement_event_record(
            enforcement=enforcement,
            action="penalty_proposed",
            from_state=enforcement.state,
            actor=actor,
            role=Role.HANDLER,
            now=now,
            note=reason,
            data=data,
        )
    else:
        _move(enforcement, action="decide", state=E.DECIDED, actor=actor, now=now, note=reason, data=data)
    return decision


@transaction.atomic
def enforcement_penalty_approve(*, enforcement_id, actor, approve: bool, note="", now=None):
    """A leader approves or refuses a penalty outside the standard; approved, the penalty stands (决定)."""
    now = now or timezone.now()
    enforcement = _locked(enforcement_id, actor)
    _require(is_leader_over(actor, enforcement))
    _in_state(enforcement, E.CONFIRMED, E.COLLABORATING)
    decision = _pending_decision(enforcement)
    if decision is None:
        raise ConflictError(_("No penalty is waiting for approval."), code="no_pending_penalty")
    note = _text("note", note, required=not approve)
    decision.approval = ApprovalState.APPROVED if approve else ApprovalState.REFUSED
    decision.approved_by, decision.approved_at = actor, now
    decision.save(update_fields=["approval", "approved_by", "approved_at"])
    data = {"decision": decision.pk, "fine": str(decision.fine), "approval": decision.approval}
    if approve:
        _move(enforcement, action="decide", state=E.DECIDED, actor=actor, now=now, note=note, data=data)
    else:
        enforcement_event_record(
            enforcement=enforcement,
            action="penalty_refused",
            from_state=enforcement.state,
            actor=actor,
            role=Role.LEADER,
            now=now,
            note=note,
            data=data,
        )
    return decision


# ---- 挂牌督办, rectification and its verification ----


@transaction.atomic
def enforcement_list(*, enforcement_id, actor, responsible, rectification, deadline, public=False, now=None):
    """List the matter for supervision (挂牌督办): who must rectify what by when; public or internal."""
    now = now or timezone.now()
    enforcement = _locked(enforcement_id, actor)
    _require(may_list(actor, enforcement))
    _in_state(enforcement, E.DECIDED)
    if EnforcementListing.objects.filter(enforcement=enforcement).exists():
        raise ConflictError(_("This enforcement case is already listed."), code="listed")
    responsible = responsible if isinstance(responsible, Department) else _department(responsible)
    text = _text("rectification", rectification)
    if deadline is None or deadline <= now:
        raise ValidationError({"deadline": [_("Give a rectification deadline in the future.")]})
    listing = EnforcementListing.objects.create(
        enforcement=enforcement,
        responsible=responsible,
        rectification=text,
        deadline=deadline,
        public=bool(public),
        listed_by=actor,
        listed_at=now,
    )
    _move(
        enforcement,
        action="list",
        state=E.LISTED,
        actor=actor,
        now=now,
        note=text,
        data={"responsible": responsible.code, "deadline": deadline.isoformat(), "public": bool(public)},
        department=responsible,
    )
    # The listing's own deadline, not the catalogue's, is what the rectification is timed on.
    enforcement.step_deadline = deadline
    enforcement.save(update_fields=["step_deadline"])
    _tell_source(enforcement, action="enforcement_listed", actor=actor, now=now, note=text)
    return listing


@transaction.atomic
def enforcement_rectify(*, enforcement_id, actor, note, now=None):
    """The responsible body (or the enforcement body) reports the rectification done."""
    now = now or timezone.now()
    enforcement = _locked(enforcement_id, actor)
    _require(rectifier_of(actor, enforcement))
    _in_state(enforcement, E.DECIDED, E.LISTED)
    _move(enforcement, action="rectify", state=E.RECTIFIED, actor=actor, now=now, note=_text("note", note))
    return enforcement


@transaction.atomic
def enforcement_verify(*, enforcement_id, actor, passed: bool, note="", now=None):
    """The enforcement body checks the rectification: passed lifts the listing; failed sends it back."""
    now = now or timezone.now()
    enforcement = _locked(enforcement_id, actor)
    _require(acts_for_body(actor, enforcement))
    _in_state(enforcement, E.RECTIFIED)
    note = _text("note", note, required=not passed)
    listing = EnforcementListing.objects.filter(enforcement=enforcement).first()
    if passed:
        if listing is not None:
            listing.lifted_at = now
            listing.save(update_fields=["lifted_at"])
        _move(enforcement, action="verify", state=E.VERIFIED, actor=actor, now=now, note=note, data={"passed": True})
    else:
        back = E.LISTED if listing is not None else E.DECIDED
        _move(enforcement, action="verify", state=back, actor=actor, now=now, note=note, data={"passed": False})
        if listing is not None:
            enforcement.step_deadline = max(listing.deadline, enforcement.step_deadline or listing.deadline)
            enforcement.save(update_fields=["step_deadline"])
    return enforcement


# ---- 办结反馈 ----


@transaction.atomic
def enforcement_feedback(*, enforcement_id, actor, note, now=None):
    """The body reports the result back to the source case, which may close from then on."""
    now = now or timezone.now()
    enforcement = _locked(enforcement_id, actor)
    _require(acts_for_body(actor, enforcement))
    _in_state(enforcement, E.VERIFIED)
    text = _text("note", note)
    enforcement.fed_back_at = now
    decision = enforcement.decisions.exclude(approval__in=[ApprovalState.PENDING, ApprovalState.REFUSED]).last()
    data = {"fine": str(decision.fine) if decision else None, "listed": hasattr(enforcement, "listing")}
    _move(
        enforcement,
        action="feedback",
        state=E.FED_BACK,
        actor=actor,
        now=now,
        note=text,
        data=data,
        fields=("fed_back_at",),
    )
    _tell_source(enforcement, action="enforcement_feedback", actor=actor, now=now, note=text, data=data, resume=True)
    return enforcement


@transaction.atomic
def enforcement_close(*, enforcement_id, actor, now=None):
    """The body files the chain away once it has reported back."""
    now = now or timezone.now()
    enforcement = _locked(enforcement_id, actor)
    _require(acts_for_body(actor, enforcement))
    _in_state(enforcement, E.FED_BACK)
    enforcement.closed_at = now
    _move(enforcement, action="close", state=E.CLOSED, actor=actor, now=now, fields=("closed_at",))
    return enforcement
