"""`case_transition`: the only writer of a case's status.

It locks the case row (SELECT … FOR UPDATE), so of two racing actions the second sees the new
status and gets a 409; checks role and scope through `cases.permissions`; applies the action's
effect; moves the stage clock; and writes the immutable event row in the same transaction.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.clock import stage_extend, stage_pause, stage_resume, stage_start, stage_stop
from cases.models import FINAL_STATUSES, Case
from cases.permissions import case_action_role
from cases.workflow import ACTIONS, PRIOR, RESTARTS_STAGE, SAME, STAGE_OF
from huizhou_cityops.errors import ConflictError

from . import effects
from .events import case_event_record
from .photos import photos_attach, photos_prepare, photos_store
from .requests import requests_lapse

SYSTEM_ROLE = "system"


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
    # Checked once without the lock, so an outsider or a wrong request costs no photo decoding or storage;
    # checked again under the lock, where the answer counts.
    _check(cases.filter(pk=case_id).first(), spec, actor, system, note, photos)
    stored = photos_store(photos_prepare(photos))
    with transaction.atomic():
        case = cases.select_for_update(of=("self",)).filter(pk=case_id).first()
        role = _check(case, spec, actor, system, note, photos)
        now = now or timezone.now()
        result = getattr(effects, action)(case=case, actor=actor, role=role, params=params or {}, note=note, now=now)
        return _finish(case, spec, role, actor, note, now, result, stored)


def _check(case, spec, actor, system, note, photos):
    """404 out of scope, 403 wrong role, 409 wrong status, 400 missing note or photo; returns the role."""
    if case is None:
        raise Http404(_("No such case."))
    role = SYSTEM_ROLE if system else case_action_role(user=actor, case=case, action=spec)
    if role is None:
        raise PermissionDenied(_("Your roles do not allow “%(action)s” on this case.") % {"action": spec.name})
    if case.status not in spec.sources:
        raise ConflictError(
            _("The case is now “%(status)s”; “%(action)s” is not possible.")
            % {"status": case.get_status_display(), "action": spec.name},
            code="wrong_status",
        )
    if spec.needs_note and not note.strip():
        raise ValidationError({"note": [_("Give a reason or note for this action.")]})
    if spec.needs_photo and not photos:
        raise ValidationError({"photos": [_("Attach at least one photo of the result.")]})
    return role


def _finish(case, spec, role, actor, note, now, result, stored):
    from_status = case.status
    target = spec.target(result.outcome)
    if target == SAME:
        target = from_status
    elif target == PRIOR:
        target = case.resume_status
    ended = _move_clock(case, spec.name, from_status, target, now, result)
    case.status = target
    if target in FINAL_STATUSES:
        case.closed_at = now
    requests_lapse(case=case, from_status=from_status, to_status=target, now=now)
    case.save()
    event = case_event_record(
        case=case,
        action=spec.name,
        from_status=from_status,
        to_status=target,
        actor=actor,
        actor_role=role,
        at=now,
        note=note,
        data=result.data,
        department=result.department or case.lead_department,
        **ended,
    )
    if stored:
        photos_attach(case=case, event=event, kind=spec.photo_kind, stored=stored, actor=actor, now=now)
    return case


def _move_clock(case, action, from_status, target, now, result):
    """Update the stage clock; returns the event's stage facts (stage, deadline, met) when a stage ended."""
    before = {"stage": case.stage, "stage_deadline": case.stage_deadline}
    old_stage = case.stage
    new_stage = STAGE_OF.get(target, old_stage)
    ended = target in FINAL_STATUSES or new_stage != old_stage or action in RESTARTS_STAGE
    if action == "approve_suspension":
        stage_pause(case, now)
    elif action == "resume":
        stage_resume(case, now)
    elif action == "approve_extension":
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
