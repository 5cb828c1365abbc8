"""`case_transition`: the only writer of a case's status.

It locks the case row (SELECT … FOR UPDATE), so of two racing actions the second sees the new status and
gets a 409; asks the action's declaration (cases/workflow) whether this user may take it now — the same
answer `allowed_actions` gives; resolves the declared parameters; applies the action's effect; moves the
stage clock; and writes the immutable event row in the same transaction.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.clock import stage_extend, stage_pause, stage_resume, stage_stop
from cases.models import FINAL_STATUSES, Case, CaseRequest, RequestState
from cases.workflow import ACTIONS, EXTEND, PAUSE, PRIOR, RESTART, RESUME, SAME, STAGE_OF, Context

from .events import case_event_record
from .photos import photos_attach, photos_prepare, photos_store
from .requests import requests_lapse
from .stages import stage_start

# The case's own fields an action may change; saved by name so a transition never rewrites the rest of the row.
CASE_FIELDS = (
    "status",
    "closed_at",
    "assignee",
    "filing_condition",
    "urgency",
    "lead_department",
    "command_level",
    "duplicate_of",
    "rework_count",
    "extension_count",
    "resume_status",
    "stage",
    "stage_started_at",
    "stage_warn_at",
    "stage_deadline",
    "stage_remaining",
    "stage_budget",
    "stage_clock",
    "timer_due_at",
    "overdue",
    "updated_at",
)


def pending_requests_by_kind(case) -> dict:
    """The requests waiting for a decision on `case`, by kind (at most one per kind, by constraint)."""
    return {r.kind: r for r in CaseRequest.objects.filter(case=case, state=RequestState.PENDING)}


def case_transition(
    *,
    case_id: int,
    actor,
    action: str,
    note: str = "",
    params: dict | None = None,
    photos=(),
    now=None,
    system: bool = False,
):
    """Take `action` on the case as `actor`; returns the updated case. 404 out of scope, 403, 409, 400.

    `system=True` (actor None) is the platform acting on its own, e.g. auto-dispatch from the
    responsibility list: no scope or role check, and the event row records the role "system".
    """
    spec = ACTIONS.get(action)
    if spec is None:
        raise ValidationError({"action": [_("Unknown action “%(action)s”.") % {"action": action}]})
    cases = Case.objects.all() if system else Case.objects.visible_to(actor)
    cases = cases.select_related("region", "filing_condition", "category").defer("region__geom")
    # With photos, checked once without the lock, so an outsider or a wrong request costs no photo decoding or
    # storage; checked (again) under the lock, where the answer counts.
    if photos:
        _check(cases.filter(pk=case_id).first(), spec, actor, system, note, photos)
    stored = photos_store(photos_prepare(photos))
    with transaction.atomic():
        case = cases.select_for_update(of=("self",)).filter(pk=case_id).first()
        role, pending = _check(case, spec, actor, system, note, photos)
        ctx = Context(case=case, actor=actor, role=role, note=note, now=now or timezone.now(), pending=pending)
        values = _resolve(spec, ctx, params or {})
        result = spec.effect(ctx, **values)
        return _finish(case, spec, ctx, result, stored)


def _check(case, spec, actor, system, note, photos):
    """404 out of scope, then the declaration's refusal (403/409), then 400 for a missing note or photo."""
    if case is None:
        raise Http404(_("No such case."))
    pending = pending_requests_by_kind(case)
    role, refusal = spec.decide(user=actor, case=case, pending=pending, system=system)
    if refusal is not None:
        refusal.raise_()
    if spec.needs_note and not note.strip():
        raise ValidationError({"note": [_("Give a reason or note for this action.")]})
    if spec.needs_photo and not photos:
        raise ValidationError({"photos": [_("Attach at least one photo of the result.")]})
    return role, pending


def _resolve(spec, ctx, params):
    """The declared parameters' values for the effect; every field's error at once."""
    values, errors = {}, {}
    for param in spec.params:
        try:
            values[param.name] = param.resolve(ctx, params.get(param.name))
        except ValidationError as exc:
            errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    return values


def _finish(case, spec, ctx, result, stored):
    from_status, now = case.status, ctx.now
    target = spec.target(result.outcome)
    if target == SAME:
        target = from_status
    elif target == PRIOR:
        target = case.resume_status
    ended = _move_clock(case, spec, from_status, target, now, result)
    case.status = target
    if target in FINAL_STATUSES:
        case.closed_at = now
    requests_lapse(case=case, from_status=from_status, to_status=target, now=now)
    case.save(update_fields=CASE_FIELDS)
    event = case_event_record(
        case=case,
        action=spec.name,
        from_status=from_status,
        to_status=target,
        actor=ctx.actor,
        actor_role=ctx.role,
        at=now,
        note=ctx.note,
        data=result.data,
        department=result.department or case.lead_department,
        **ended,
    )
    if stored:
        photos_attach(case=case, event=event, kind=spec.photo_kind, stored=stored, actor=ctx.actor, now=now)
    return case


def _move_clock(case, spec, from_status, target, now, result):
    """Update the stage clock; returns the event's stage facts (stage, deadline, met) when a stage ended."""
    before = {"stage": case.stage, "stage_deadline": case.stage_deadline}
    new_stage = STAGE_OF.get(target, case.stage)
    ended = target in FINAL_STATUSES or new_stage != case.stage or spec.clock == RESTART
    if spec.clock == PAUSE:
        stage_pause(case, now)
    elif spec.clock == RESUME:
        stage_resume(case, now)
    elif spec.clock == EXTEND:
        stage_extend(case, now, result.extension)
    if target in FINAL_STATUSES:
        stage_stop(case)
    elif ended:
        stage_start(case, new_stage, now)
    if not ended:
        return {"stage": before["stage"], "stage_deadline": before["stage_deadline"], "stage_met": None}
    deadline = before["stage_deadline"]
    return {
        "stage": before["stage"],
        "stage_deadline": deadline,
        "stage_met": None if deadline is None else now <= deadline,
    }
