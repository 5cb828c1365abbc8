"""街道吹哨、部门报到: a street office summons departments to a case; each must report (报到) within a limit.

Who may blow the whistle: a handler of a street office (街道办事处) whose street contains the case and whose
office leads or assists it — the office that meets the problem on the ground. Summoned departments must report
within settings.WHISTLE_REPORT_HOURS working hours; the deadline is stored on each summons and the periodic
sweep (`whistles_sweep`, beat every WHISTLE_SWEEP_SECONDS) marks unanswered ones overdue. Like orders, a whistle
never changes the case's status: each step is a case event (from = to = the status) written in the same
transaction, so it is on the timeline and in the live feed; notifications follow after commit.
"""

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Role
from accounts.scope import user_scope
from cases.clock import WORKING, add_time, hours_duration
from cases.ids import parse_id
from cases.models import FINAL_STATUSES, REPORTABLE_STATES, Case, Summons, SummonsState, Whistle
from cases.services.events import case_overlay_event
from cases.workflow import SYSTEM_ROLE
from cases.workflow.params import serving_departments
from grids.models import Department, DepartmentKind
from huizhou_cityops.errors import ConflictError

MAX_SUMMONED = 20


# ---- checks: one function per decision ----


def whistle_offices(*, user, case) -> list[Department]:
    """The street offices under which `user` may blow the whistle on `case` (empty: they may not)."""
    scope = user_scope(user)
    ids = scope.department_ids(Role.HANDLER)
    if not ids:
        return []
    offices = Department.objects.filter(pk__in=ids, kind=DepartmentKind.STREET_OFFICE, active=True)
    involved = Q(pk=case.lead_department_id) | Q(assisting_cases=case)
    return [
        office
        for office in offices.filter(involved).select_related("home_region").distinct().order_by("pk")
        if case.region_path.startswith(office.home_region.path)
    ]


def check_may_whistle(*, user, case) -> Department:
    """The street office the user blows the whistle for; 403 for anyone else who can see the case."""
    offices = whistle_offices(user=user, case=case)
    if not offices:
        raise PermissionDenied(
            _("Only a handler of the street office that works this case in its street may blow the whistle.")
        )
    return offices[0]


def check_may_report(*, user, summons) -> None:
    """The summoned department's handlers report; 403 for anyone else who can see the case."""
    roles, _path = user_scope(user).department_roles.get(summons.department_id, (set(), ""))
    if Role.HANDLER not in roles:
        raise PermissionDenied(_("Only the summoned department's handlers may report to this whistle."))


def summonable_departments(*, case, office):
    """Active departments that serve the case's grid, other than the office that blows the whistle."""
    return serving_departments(None, case).exclude(pk=office.pk)


def _departments(case, office, refs) -> list[Department]:
    refs = [refs] if isinstance(refs, str) else list(refs or [])
    refs = [str(r).strip() for r in refs if str(r).strip()]
    if not refs:
        raise ValidationError({"departments": [_("Choose at least one department to summon.")]})
    if len(refs) > MAX_SUMMONED:
        raise ValidationError({"departments": [_("Summon at most %(max)d departments.") % {"max": MAX_SUMMONED}]})
    allowed = summonable_departments(case=case, office=office)
    found, unknown = [], []
    for ref in refs:
        pk = parse_id(ref)
        department = allowed.filter(pk=pk).first() if pk is not None else allowed.filter(code=ref[:40]).first()
        if department is None:
            unknown.append(ref[:40])
        elif department not in found:
            found.append(department)
    if unknown:
        message = _("No active department “%(ref)s” serves this case's grid.") % {"ref": "、".join(unknown)}
        raise ValidationError({"departments": [message]})
    return found


def _notify_after_commit(kind, *, event_id, **ids):
    """The notifications as a follow-up row of the whistle's own transaction, carried out after its commit."""
    from dispatch.models import FollowUpKind
    from dispatch.services.followup import followup_add

    subject = ids.get("whistle_id") or ids.get("summons_id")
    followup_add(
        kind=FollowUpKind.NOTIFY_WHISTLE,
        key=f"notify_whistle:{event_id}:{kind}:{subject}",
        payload={"kind": kind, **ids},
        event_id=event_id,
    )


# ---- the use-cases ----


@transaction.atomic
def whistle_blow(*, case_id: int, actor, departments, note: str, now=None) -> Whistle:
    """A street office summons `departments` (codes or ids) to the case with a note. 404 / 403 / 409 / 400.

    Locks the case row so that the whistle and its event see the status a concurrent transition leaves.
    """
    now = now or timezone.now()
    case = Case.objects.visible_to(actor).select_for_update(of=("self",)).filter(pk=case_id).first()
    if case is None:
        raise Http404(_("No such case."))
    office = check_may_whistle(user=actor, case=case)
    if case.status in FINAL_STATUSES:
        raise ConflictError(_("The case has ended; no department can be summoned to it any more."), code="case_ended")
    errors = {}
    if not (note or "").strip():
        errors["note"] = [_("Say why the departments are summoned and where they should report.")]
    try:
        summoned = _departments(case, office, departments)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    hours = Decimal(str(settings.WHISTLE_REPORT_HOURS))
    deadline = add_time(start=now, duration=hours_duration(hours), clock=WORKING)
    whistle = Whistle.objects.create(case=case, department=office, blown_by=actor, blown_at=now, note=note.strip())
    Summons.objects.bulk_create(
        [Summons(whistle=whistle, case=case, department=d, deadline=deadline) for d in summoned]
    )
    data = {
        "whistle": whistle.pk,
        "office": office.code,
        "departments": [d.code for d in summoned],
        "deadline": deadline.isoformat(),
    }
    event = case_overlay_event(
        case=case,
        action="whistle_blown",
        actor=actor,
        role=Role.HANDLER,
        now=now,
        note=whistle.note,
        data=data,
        department_id=office.pk,
    )
    _notify_after_commit("blown", whistle_id=whistle.pk, event_id=event.pk)
    return whistle


@transaction.atomic
def summons_report(*, summons_id: int, actor, note: str, case_id: int | None = None, now=None) -> Summons:
    """A summoned department reports (报到), on time or late; `case_id`, when given, must be the summons' case.
    404 / 403 / 409 / 400."""
    now = now or timezone.now()
    summons = Summons.objects.filter(pk=summons_id).select_related("department")
    if case_id is not None:
        summons = summons.filter(case_id=case_id)
    summons = summons.first()
    case = None
    if summons is not None:
        case = Case.objects.visible_to(actor).filter(pk=summons.case_id).first()
    if case is None:
        raise Http404(_("No such summons."))
    check_may_report(user=actor, summons=summons)
    if not (note or "").strip():
        raise ValidationError({"note": [_("Say who reports and what your department will do.")]})
    # Conditional update: of two reports one wins, the other gets 409.
    updated = Summons.objects.filter(pk=summons.pk, state__in=REPORTABLE_STATES).update(
        state=SummonsState.REPORTED, note=note.strip(), reported_by=actor, reported_at=now
    )
    if not updated:
        raise ConflictError(_("Your department has already reported to this whistle."), code="summons_settled")
    summons.refresh_from_db()
    on_time = summons.overdue_at is None and now <= summons.deadline
    data = {
        "whistle": summons.whistle_id,
        "summons": summons.pk,
        "department": summons.department.code,
        "on_time": on_time,
    }
    event = case_overlay_event(
        case=case,
        action="whistle_reported",
        actor=actor,
        role=Role.HANDLER,
        now=now,
        note=summons.note,
        data=data,
        department_id=summons.department_id,
    )
    _notify_after_commit("reported", summons_id=summons.pk, event_id=event.pk)
    return summons


def whistles_sweep(*, now=None, batch: int = 200) -> int:
    """Open summonses past their deadline go overdue, each with a "whistle_overdue" event; returns how many.

    Safe to run twice at once: rows are claimed with SKIP LOCKED and moved with `UPDATE … WHERE state='open'`,
    so a summons goes overdue (and its department and the whistle's office are told) exactly once.
    """
    now = now or timezone.now()
    total = 0
    while True:
        with transaction.atomic():
            due = list(
                Summons.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related("case", "department")
                .filter(state=SummonsState.OPEN, deadline__lt=now)
                .order_by("deadline", "id")[:batch]
            )
            for summons in due:
                if not Summons.objects.filter(pk=summons.pk, state=SummonsState.OPEN).update(
                    state=SummonsState.OVERDUE, overdue_at=now
                ):
                    continue
                data = {
                    "whistle": summons.whistle_id,
                    "summons": summons.pk,
                    "department": summons.department.code,
                    "deadline": summons.deadline.isoformat(),
                }
                event = case_overlay_event(
                    case=summons.case,
                    action="whistle_overdue",
                    actor=None,
                    role=SYSTEM_ROLE,
                    now=now,
                    data=data,
                    department_id=summons.department_id,
                )
                _notify_after_commit("overdue", summons_id=summons.pk, event_id=event.pk)
                total += 1
        if len(due) < batch:
            return total
