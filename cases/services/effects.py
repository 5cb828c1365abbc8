"""What each workflow action does to a case besides its status, one small function per action.

Each takes the locked case and the action's parameters, validates them (400 with field messages),
and returns an `Effect`: the outcome that picks the target status and the facts for the event row.
"""

from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError
from django.db.models import F, Q
from django.utils.translation import gettext as _

from accounts.models import Role
from accounts.scope import ancestor_paths, user_scope
from cases.clock import hours_duration
from cases.ids import parse_id
from cases.models import Case, CaseRequest, FilingCondition, RequestKind, RequestState, Source, Urgency
from cases.permissions import extension_needs_leader
from grids.models import Department
from huizhou_cityops.errors import ConflictError


@dataclass
class Effect:
    outcome: object = None
    data: dict = field(default_factory=dict)
    department: Department | None = None
    extension: timedelta = timedelta(0)


def _field_error(name, message):
    return ValidationError({name: [message]})


def _bool(params, name):
    value = params.get(name)
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false", "1", "0", "yes", "no"):
        return value.lower() in ("true", "1", "yes")
    raise _field_error(name, _("Answer true or false."))


def _grid_worker(case, params):
    """The grid worker named in `assignee` (id or username), who must work over the case's grid."""
    ref = params.get("assignee")
    if ref in (None, ""):
        raise _field_error("assignee", _("Choose the grid worker who goes on site."))
    users = get_user_model().objects.filter(is_active=True)
    pk = parse_id(ref)
    user = users.filter(pk=pk).first() if pk is not None else users.filter(username=str(ref)).first()
    if user is None or not user_scope(user).covers_path(case.region_path, Role.GRID_WORKER):
        raise _field_error("assignee", _("No grid worker of this case's grid has that name."))
    return user


def _department(ref, name, actor, case):
    """An active department that may handle this case: based above the case's grid (city bureaus, utilities,
    the district branch) or inside it (its street office)."""
    qs = (Department.objects.all() if actor is None else Department.objects.visible_to(actor)).filter(active=True)
    qs = qs.filter(
        Q(home_region__path__in=ancestor_paths(case.region_path)) | Q(home_region__path__startswith=case.region_path)
    )
    pk = parse_id(ref)
    department = qs.filter(pk=pk).first() if pk is not None else qs.filter(code=str(ref)).first()
    if department is None:
        raise _field_error(name, _("No active department “%(ref)s” serves this case's grid.") % {"ref": ref})
    return department


def _open_request(case, actor, kind, note, now, department=None, hours=None):
    if CaseRequest.objects.filter(case=case, kind=kind, state=RequestState.PENDING).exists():
        raise ConflictError(_("A request of this kind is already waiting for a decision."), code="request_pending")
    return CaseRequest.objects.create(
        case=case, kind=kind, reason=note, requested_by=actor, requested_at=now, department=department, hours=hours
    )


def _decide(case, actor, kind, approved, note, now):
    request = CaseRequest.objects.select_for_update().filter(case=case, kind=kind, state=RequestState.PENDING).first()
    if request is None:
        raise ConflictError(_("No request of this kind is waiting for a decision."), code="no_pending_request")
    request.state = RequestState.APPROVED if approved else RequestState.REJECTED
    request.decided_by, request.decided_at, request.decision_note = actor, now, note
    request.save(update_fields=["state", "decided_by", "decided_at", "decision_note"])
    return request


# ---- the actions, in the order of cases/workflow.py ----


def accept(**kw):
    return Effect()


def refuse(**kw):
    return Effect()


def request_verification(*, case, params, **kw):
    if case.source == Source.GRID_WORKER:
        raise ConflictError(_("A grid worker's own report needs no verification; accept or refuse it."))
    case.assignee = _grid_worker(case, params)
    return Effect(data={"assignee": case.assignee.username})


def verify(*, case, params, **kw):
    result = _bool(params, "result")
    case.assignee = None
    return Effect(outcome=result, data={"result": result})


def merge(*, case, actor, params, **kw):
    ref = params.get("master")
    masters = Case.objects.visible_to(actor).open().exclude(pk=case.pk)
    master_id = masters.filter(number=str(ref)).values_list("pk", flat=True).first()
    if master_id is None and parse_id(ref) is not None:
        master_id = masters.filter(pk=parse_id(ref)).values_list("pk", flat=True).first()
    if master_id is None:
        raise _field_error("master", _("Name an open case (its number) to merge this report into."))
    # The master is locked too; NOWAIT turns two crossing merges into a 409 instead of a deadlock.
    try:
        master = masters.select_for_update(of=("self",), nowait=True).get(pk=master_id)
    except DatabaseError:
        raise ConflictError(_("The master case is being changed right now; try again.")) from None
    case.duplicate_of = master
    Case.objects.filter(pk=master.pk).update(duplicate_count=F("duplicate_count") + 1)
    return Effect(data={"master": master.number})


def self_close(*, case, **kw):
    if not case.self_handled:
        raise ConflictError(_("Only a report fixed on the spot by its grid worker can be closed this way."))
    return Effect()


def register(*, case, params, **kw):
    condition = FilingCondition.objects.filter(
        pk=parse_id(params.get("filing_condition")),
        category=case.category,
        active=True,
    ).first()
    errors = {}
    if condition is None:
        errors["filing_condition"] = [_("Choose one of this category's filing conditions.")]
    urgency = params.get("urgency") or Urgency.NORMAL
    if urgency not in Urgency.values:
        errors["urgency"] = [_("Urgency must be one of: %(values)s.") % {"values": ", ".join(Urgency.values)}]
    if errors:
        raise ValidationError(errors)
    case.filing_condition, case.urgency = condition, urgency
    return Effect(data={"filing_condition": condition.pk, "urgency": urgency})


def refuse_registration(**kw):
    return Effect()


def dispatch(*, case, actor, params, **kw):
    lead = params.get("lead_department")
    if lead in (None, ""):
        raise _field_error("lead_department", _("Choose the lead department."))
    lead = _department(lead, "lead_department", actor, case)
    refs = params.get("assisting_departments") or []
    if isinstance(refs, str):
        refs = [refs]
    assisting = [_department(ref, "assisting_departments", actor, case) for ref in refs]
    if lead in assisting:
        raise _field_error("assisting_departments", _("The lead department cannot also assist."))
    case.lead_department = lead
    case.assisting_departments.set(assisting)
    return Effect(data={"lead": lead.code, "assisting": [d.code for d in assisting]}, department=lead)


def request_return(*, case, actor, note, now, **kw):
    _open_request(case, actor, RequestKind.RETURN, note, now, department=case.lead_department)
    return Effect()


def approve_return(*, case, actor, note, now, **kw):
    request = _decide(case, actor, RequestKind.RETURN, True, note, now)
    returned = case.lead_department
    case.lead_department = None
    case.assisting_departments.clear()
    # The department sent it back as not theirs: the earlier dispatch counts as a wrong dispatch.
    return Effect(data={"wrong_dispatch": True, "request": request.pk}, department=returned)


def reject_return(*, case, actor, note, now, **kw):
    _decide(case, actor, RequestKind.RETURN, False, note, now)
    return Effect()


def request_extension(*, case, actor, params, note, now, **kw):
    try:
        hours = Decimal(str(params.get("hours")))
    except (InvalidOperation, ValueError):
        raise _field_error("hours", _("Give the extra working hours as a number.")) from None
    if not (Decimal("0.5") <= hours <= Decimal(settings.CASE_EXTENSION_MAX_HOURS)):
        raise _field_error(
            "hours", _("Ask for 0.5 to %(max)s working hours.") % {"max": settings.CASE_EXTENSION_MAX_HOURS}
        )
    _open_request(case, actor, RequestKind.EXTENSION, note, now, department=case.lead_department, hours=hours)
    return Effect(data={"hours": str(hours)})


def approve_extension(*, case, actor, role, note, now, **kw):
    request = CaseRequest.objects.filter(case=case, kind=RequestKind.EXTENSION, state=RequestState.PENDING).first()
    if request is not None and role != Role.LEADER and extension_needs_leader(case=case, request=request):
        raise PermissionDenied(_("A second or long extension needs a leader's approval."))
    request = _decide(case, actor, RequestKind.EXTENSION, True, note, now)
    case.extension_count += 1
    return Effect(data={"hours": str(request.hours)}, extension=hours_duration(request.hours))


def reject_extension(*, case, actor, note, now, **kw):
    _decide(case, actor, RequestKind.EXTENSION, False, note, now)
    return Effect()


def request_suspension(*, case, actor, note, now, **kw):
    _open_request(case, actor, RequestKind.SUSPENSION, note, now, department=case.lead_department)
    return Effect()


def approve_suspension(*, case, actor, note, now, **kw):
    _decide(case, actor, RequestKind.SUSPENSION, True, note, now)
    return Effect()


def reject_suspension(*, case, actor, note, now, **kw):
    _decide(case, actor, RequestKind.SUSPENSION, False, note, now)
    return Effect()


def resume(**kw):
    return Effect()


def feedback(**kw):
    return Effect()


def request_check(*, case, params, **kw):
    case.assignee = _grid_worker(case, params)
    return Effect(data={"assignee": case.assignee.username})


def check(*, case, params, **kw):
    passed = _bool(params, "passed")
    case.assignee = None
    if not passed:
        case.rework_count += 1
    return Effect(outcome=passed, data={"passed": passed, "rework": not passed})


def close(**kw):
    return Effect()


def request_void(*, case, actor, note, now, **kw):
    _open_request(case, actor, RequestKind.VOID, note, now)
    case.resume_status = case.status
    return Effect()


def approve_void(*, case, actor, note, now, **kw):
    _decide(case, actor, RequestKind.VOID, True, note, now)
    return Effect()


def reject_void(*, case, actor, note, now, **kw):
    _decide(case, actor, RequestKind.VOID, False, note, now)
    return Effect()
