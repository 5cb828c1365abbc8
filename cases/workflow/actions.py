"""Every workflow action, each declared once with its effect (DOMAIN.md §4).

An effect gets the locked case, the `Context` and the action's resolved parameters; it changes the case's own
fields (the service saves them), writes the rows the action owns (requests, links) and returns an `Effect`.
Who may act, from which status, which guards and parameters apply: the declaration says, the service checks.
"""

from django.conf import settings
from django.db import DatabaseError
from django.db.models import F
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from accounts.models import Role
from accounts.scope import user_scope
from cases.clock import hours_duration
from cases.models import (
    FINAL_STATUSES,
    SATISFACTION_EVENTS,
    Case,
    CaseEvent,
    CaseRequest,
    CommandLevel,
    RequestKind,
    RequestState,
    Satisfaction,
    Source,
    Status,
)
from cases.models.assist import AssistPart, PartState
from cases.workflow.enforcement import chain_in_progress, enforcement_open
from cases.workflow.spec import ASSISTING, LEAD_OR_REGION, assisting_departments_of
from huizhou_cityops.errors import ConflictError

from . import params as p
from .spec import ASSIGNEE, EXTEND, LEAD_DEPARTMENT, PAUSE, PRIOR, RESTART, RESUME, SAME, Action, Effect, Guard

S, R, K = Status, Role, RequestKind
OPEN = frozenset(s for s in Status if s not in FINAL_STATUSES)
RETURN_APPROVERS = frozenset({R.DISPATCHER, R.SHIFT_LEAD})
EXTENSION_APPROVERS = frozenset({R.DISPATCHER, R.SHIFT_LEAD, R.LEADER})

ACTIONS: dict[str, Action] = {}


def action(name, *, label, sources, target, roles, **options):
    """Declare the decorated function as the effect of action `name`."""

    def register(effect):
        assert name not in ACTIONS, f"action {name} declared twice"
        targets = target if isinstance(target, dict) else {None: target}
        ACTIONS[name] = Action(
            name=name,
            label=label,
            sources=frozenset(sources),
            targets=targets,
            roles=frozenset(roles),
            effect=effect,
            **options,
        )
        return effect

    return register


# ---- guards ----


def pending(kind):
    return Guard(
        lambda f: kind in f.pending,
        409,
        "no_pending_request",
        lambda: _("No request of this kind is waiting for a decision."),
    )


def nothing_pending(kind):
    return Guard(
        lambda f: kind not in f.pending,
        409,
        "request_pending",
        lambda: _("A request of this kind is already waiting for a decision."),
    )


def needs_leader(*, earlier: bool, hours) -> bool:
    """A second extension request, or one longer than a dispatcher may grant, needs a leader (DOMAIN §4)."""
    return earlier or hours > settings.CASE_EXTENSION_DISPATCHER_MAX_HOURS


def extension_needs_leader(*, case, request) -> bool:
    """`needs_leader` for a pending extension request of `case`."""
    earlier = case.requests.filter(kind=K.EXTENSION, id__lt=request.pk).exists()
    return needs_leader(earlier=earlier, hours=request.hours)


LEADER_FOR_LARGE_EXTENSIONS = Guard(
    lambda f: (
        f.role == R.LEADER
        or K.EXTENSION not in f.pending
        or not extension_needs_leader(case=f.case, request=f.pending[K.EXTENSION])
    ),
    403,
    "needs_leader",
    lambda: _("A second or long extension needs a leader's approval."),
)
NOT_A_GRID_WORKERS_REPORT = Guard(
    lambda f: f.case.source != Source.GRID_WORKER,
    409,
    "own_report",
    lambda: _("A grid worker's own report needs no verification; accept or refuse it."),
)
FIXED_ON_THE_SPOT = Guard(
    lambda f: f.case.self_handled,
    409,
    "not_self_handled",
    lambda: _("Only a report fixed on the spot by its grid worker can be closed this way."),
)


# ---- two-level command (两级指挥派遣) ----


def is_city_dispatcher(user, case) -> bool:
    """Whether `user` works in the city command centre over `case`: a dispatcher posted at the city's root region."""
    scope = user_scope(user)
    return scope.everything or any(
        case.region_path.startswith(path) and path.count("/") == 2  # "/4413/" is a city root
        for path in scope.region_paths(Role.DISPATCHER)
    )


def commands_case(user, case) -> bool:
    """Whether `user`, as a dispatcher over the case's grid, belongs to the command centre that commands it.

    A city-level case is the city command centre's alone; a district-level case is its district's, and the city
    centre, standing over the districts' centres (and covering a district without one), may act on it too.
    """
    return case.command_level != CommandLevel.CITY or is_city_dispatcher(user, case)


COMMAND_LEVEL = Guard(
    lambda f: f.role != R.DISPATCHER or commands_case(f.user, f.case),
    403,
    "city_command",
    lambda: _("This case is dispatched by the city command centre."),
)
CITY_COMMAND_CENTRE = Guard(
    lambda f: is_city_dispatcher(f.user, f.case),
    403,
    "not_city_command",
    lambda: _("Only the city command centre takes a case over."),
)
ESCALATED_TO_THE_CITY = Guard(
    lambda f: f.case.escalated,
    409,
    "not_escalated",
    lambda: _("Only a case escalated to the city command centre can be taken over."),
)
COMMANDED_BY_A_DISTRICT = Guard(
    lambda f: f.case.command_level == CommandLevel.DISTRICT,
    409,
    "already_city",
    lambda: _("The city command centre already commands this case."),
)


def was_returned(case) -> bool:
    """Whether a department's return request on the case was approved (its dispatch was wrong)."""
    return case.requests.filter(kind=K.RETURN, state=RequestState.APPROVED).exists()


DISPATCHED_BEFORE = Guard(
    lambda f: f.case.status != S.TO_DISPATCH or was_returned(f.case),
    409,
    "never_dispatched",
    lambda: _("Re-dispatch is for a case in handling or one a department returned; dispatch this case."),
)

# ---- parameters ----

DEPARTMENT_PARAMS = (
    p.Department(
        "lead_department",
        label=gettext_lazy("Lead department"),
        help_text=gettext_lazy("dispatch, redispatch: department code or id."),
    ),
    p.Departments("assisting_departments", label=gettext_lazy("Assisting departments")),
)
ASSIGNEE_PARAM = p.GridWorker(
    "assignee", label=gettext_lazy("Grid worker"), help_text=gettext_lazy("Grid worker (id or username) for 核实/核查.")
)


PARTS_MISSING = p.Flag(
    "parts_missing",
    label=gettext_lazy("Assisting departments have not given their part (协办部门未反馈)"),
    help_text=gettext_lazy("feedback: tick to report although assisting departments have not given their part."),
)


# ---- request helpers: a request row is opened by one action and decided by another ----


def _open_request(ctx, kind, department=None, hours=None):
    return CaseRequest.objects.create(
        case=ctx.case,
        kind=kind,
        reason=ctx.note,
        requested_by=ctx.actor,
        requested_at=ctx.now,
        department=department,
        hours=hours,
    )


def _decide(ctx, kind, approved):
    request = ctx.pending[kind]
    request.state = RequestState.APPROVED if approved else RequestState.REJECTED
    request.decided_by, request.decided_at, request.decision_note = ctx.actor, ctx.now, ctx.note
    request.save(update_fields=["state", "decided_by", "decided_at", "decision_note"])
    return request


# ---- the centre's intake: 受理, 核实, 合并, 自处置 ----


@action(
    "accept",
    label=pgettext_lazy("action", "Accept"),
    sources={S.REPORTED},
    target=S.TO_REGISTER,
    roles={R.OPERATOR, R.SHIFT_LEAD},  # the shift lead covers the desk: takes a call, accepts and files it
    primary=True,
)
def accept(ctx):
    return Effect()


@action(
    "refuse",
    label=pgettext_lazy("action", "Refuse"),
    sources={S.REPORTED},
    target=S.NOT_ACCEPTED,
    roles={R.OPERATOR},
    needs_note=True,
    danger=True,
)
def refuse(ctx):
    return Effect()


@action(
    "request_verification",
    label=pgettext_lazy("action", "Send for verification"),
    sources={S.REPORTED},
    target=S.VERIFYING,
    roles={R.OPERATOR},
    params=(ASSIGNEE_PARAM,),
    guards=(NOT_A_GRID_WORKERS_REPORT,),
)
def request_verification(ctx, *, assignee):
    ctx.case.assignee = assignee
    return Effect(data={"assignee": assignee.username})


@action(
    "verify",
    label=pgettext_lazy("action", "Verify"),
    sources={S.VERIFYING},
    target={True: S.REPORTED, False: S.NOT_ACCEPTED},
    roles={R.GRID_WORKER},
    scope=ASSIGNEE,
    params=(
        p.Outcome(
            "result",
            label=gettext_lazy("Is the report real?"),
            help_text=gettext_lazy("verify: is the report real?"),
            yes=pgettext_lazy("verification outcome", "Real"),
            no=pgettext_lazy("verification outcome", "Not real"),
        ),
    ),
    photo_kind="verification",
    primary=True,
)
def verify(ctx, *, result):
    ctx.case.assignee = None
    return Effect(outcome=result, data={"result": result})


@action(
    "merge",
    label=pgettext_lazy("action", "Merge as duplicate"),
    sources={S.REPORTED},
    target=S.NOT_ACCEPTED,
    roles={R.OPERATOR},
    params=(
        p.CaseNumber(
            "master",
            label=gettext_lazy("Master case number"),
            help_text=gettext_lazy("merge: the number of the master case."),
        ),
    ),
    danger=True,
)
def merge(ctx, *, master):
    # The master is locked too, through the same "open and visible" query the parameter was checked with, so a
    # master closed or merged meanwhile is a 409; NOWAIT turns two crossing merges into a 409 instead of a deadlock.
    masters = Case.objects.visible_to(ctx.actor).open().select_for_update(of=("self",), nowait=True)
    try:
        master = masters.filter(pk=master).first()
    except DatabaseError:
        raise ConflictError(_("The master case is being changed right now; try again.")) from None
    if master is None:
        raise ConflictError(_("The master case has ended or was merged meanwhile; choose another one."))
    ctx.case.duplicate_of = master
    Case.objects.filter(pk=master.pk).update(duplicate_count=F("duplicate_count") + 1)
    return Effect(data={"master": master.number})


@action(
    "self_close",
    label=pgettext_lazy("action", "Confirm fixed on the spot"),
    sources={S.REPORTED},
    target=S.SELF_CLOSED,
    roles={R.OPERATOR},
    guards=(FIXED_ON_THE_SPOT,),
)
def self_close(ctx):
    return Effect()


# ---- 立案 and 派遣 ----


@action(
    "register",
    label=pgettext_lazy("action", "Register"),
    sources={S.TO_REGISTER},
    target=S.TO_DISPATCH,
    roles={R.SHIFT_LEAD},
    params=(
        p.FilingCondition("filing_condition", label=gettext_lazy("Filing condition")),
        p.Urgency("urgency", label=gettext_lazy("Urgency")),
    ),
    follow_up=("route", "auto_dispatch"),
    primary=True,
)
def register(ctx, *, filing_condition, urgency):
    ctx.case.filing_condition, ctx.case.urgency = filing_condition, urgency
    return Effect(data={"filing_condition": filing_condition.pk, "urgency": urgency})


@action(
    "refuse_registration",
    label=pgettext_lazy("action", "Refuse registration"),
    sources={S.TO_REGISTER},
    target=S.NOT_REGISTERED,
    roles={R.SHIFT_LEAD},
    needs_note=True,
    danger=True,
)
def refuse_registration(ctx):
    return Effect()


@action(
    "dispatch",
    label=pgettext_lazy("action", "Dispatch"),
    sources={S.TO_DISPATCH},
    target=S.HANDLING,
    roles={R.DISPATCHER},
    params=DEPARTMENT_PARAMS,
    guards=(COMMAND_LEVEL,),
    primary=True,
)
def dispatch(ctx, *, lead_department, assisting_departments):
    _send_to(ctx, lead_department, assisting_departments)
    return Effect(
        data={"lead": lead_department.code, "assisting": [d.code for d in assisting_departments]},
        department=lead_department,
    )


def _send_to(ctx, lead_department, assisting_departments):
    if lead_department in assisting_departments:
        raise p.field_error("assisting_departments", _("The lead department cannot also assist."))
    ctx.case.lead_department = lead_department
    ctx.case.assisting_departments.set(assisting_departments)
    AssistPart.objects.reopen_for(case=ctx.case, departments=assisting_departments, now=ctx.now)


def _previous_lead(case):
    """The department the case was last with: its lead in handling, else the one whose return was approved."""
    if case.lead_department_id:
        return case.lead_department
    returned = CaseEvent.objects.filter(case=case, action="approve_return").select_related("department")
    event = returned.order_by("-id").first()
    return event.department if event else None


@action(
    "redispatch",
    label=pgettext_lazy("action", "Re-dispatch"),
    sources={S.HANDLING, S.TO_DISPATCH},
    target=S.HANDLING,
    roles={R.DISPATCHER},
    params=DEPARTMENT_PARAMS,
    guards=(COMMAND_LEVEL, DISPATCHED_BEFORE),
    needs_note=True,
    note_label=gettext_lazy("Reason for re-dispatch"),
    clock=RESTART,  # the new department gets the whole handling limit
    follow_up=("notify_previous_department",),
)
def redispatch(ctx, *, lead_department, assisting_departments):
    previous = _previous_lead(ctx.case)
    in_handling = ctx.case.status == S.HANDLING
    if in_handling and previous == lead_department:
        raise p.field_error("lead_department", _("The case is already with this department; choose another."))
    _send_to(ctx, lead_department, assisting_departments)
    if in_handling:
        # The old department's open extension request lapses with its handling stage.
        ctx.case.requests.filter(kind=K.EXTENSION, state=RequestState.PENDING).update(
            state=RequestState.LAPSED, decided_at=ctx.now
        )
    return Effect(
        data={
            "lead": lead_department.code,
            "assisting": [d.code for d in assisting_departments],
            "previous": previous.code if previous else None,
            # Taken away from the department in handling: the earlier dispatch was wrong (after an approved return
            # that return already counted it).
            "wrong_dispatch": in_handling,
        },
        department=previous if in_handling else lead_department,
    )


@action(
    "urge",
    label=pgettext_lazy("action", "Urge"),
    sources={S.HANDLING},
    target=SAME,
    roles={R.DISPATCHER},
    guards=(COMMAND_LEVEL,),
    needs_note=True,
    note_label=gettext_lazy("What the department must do now"),
    follow_up=("notify_lead_department",),
)
def urge(ctx):
    return Effect(department=ctx.case.lead_department)


@action(
    "take_over",
    label=pgettext_lazy("action", "Take over"),
    sources=OPEN - {S.VOID_PENDING},
    target=SAME,
    roles={R.DISPATCHER},
    guards=(CITY_COMMAND_CENTRE, ESCALATED_TO_THE_CITY, COMMANDED_BY_A_DISTRICT),
)
def take_over(ctx):
    ctx.case.command_level = CommandLevel.CITY
    return Effect(data={"command_level": CommandLevel.CITY, "from": CommandLevel.DISTRICT})


# ---- the department's handling and its requests: 回退, 延期, 挂账 ----


@action(
    "request_return",
    label=pgettext_lazy("action", "Request return"),
    sources={S.HANDLING},
    target=S.RETURN_PENDING,
    roles={R.HANDLER},
    scope=LEAD_DEPARTMENT,
    needs_note=True,
    request_kind=K.RETURN,
    guards=(nothing_pending(K.RETURN),),
)
def request_return(ctx):
    _open_request(ctx, K.RETURN, department=ctx.case.lead_department)
    return Effect()


@action(
    "approve_return",
    label=pgettext_lazy("action", "Approve return"),
    sources={S.RETURN_PENDING},
    target=S.TO_DISPATCH,
    roles=RETURN_APPROVERS,
    request_kind=K.RETURN,
    decides=True,
    guards=(pending(K.RETURN),),
    follow_up=("route",),
    primary=True,
)
def approve_return(ctx):
    request = _decide(ctx, K.RETURN, True)
    returned = ctx.case.lead_department
    ctx.case.lead_department = None
    ctx.case.assisting_departments.clear()
    AssistPart.objects.withdraw_for(case=ctx.case)
    # The department sent it back as not theirs: the earlier dispatch counts as a wrong dispatch.
    return Effect(data={"wrong_dispatch": True, "request": request.pk}, department=returned)


@action(
    "reject_return",
    label=pgettext_lazy("action", "Reject return"),
    sources={S.RETURN_PENDING},
    target=S.HANDLING,
    roles=RETURN_APPROVERS,
    needs_note=True,
    request_kind=K.RETURN,
    decides=False,
    guards=(pending(K.RETURN),),
)
def reject_return(ctx):
    _decide(ctx, K.RETURN, False)
    return Effect()


@action(
    "request_extension",
    label=pgettext_lazy("action", "Request extension"),
    sources={S.HANDLING},
    target=SAME,
    roles={R.HANDLER},
    scope=LEAD_DEPARTMENT,
    params=(p.Hours("hours", label=gettext_lazy("Extra working hours")),),
    needs_note=True,
    request_kind=K.EXTENSION,
    guards=(nothing_pending(K.EXTENSION),),
)
def request_extension(ctx, *, hours):
    _open_request(ctx, K.EXTENSION, department=ctx.case.lead_department, hours=hours)
    return Effect(data={"hours": str(hours)})


@action(
    "approve_extension",
    label=pgettext_lazy("action", "Approve extension"),
    sources={S.HANDLING},
    target=SAME,
    roles=EXTENSION_APPROVERS,
    request_kind=K.EXTENSION,
    decides=True,
    guards=(pending(K.EXTENSION), LEADER_FOR_LARGE_EXTENSIONS),
    clock=EXTEND,
    primary=True,
)
def approve_extension(ctx):
    request = _decide(ctx, K.EXTENSION, True)
    ctx.case.extension_count += 1
    return Effect(data={"hours": str(request.hours)}, extension=hours_duration(request.hours))


@action(
    "reject_extension",
    label=pgettext_lazy("action", "Reject extension"),
    sources={S.HANDLING},
    target=SAME,
    roles=EXTENSION_APPROVERS,
    needs_note=True,
    request_kind=K.EXTENSION,
    decides=False,
    guards=(pending(K.EXTENSION),),
)
def reject_extension(ctx):
    _decide(ctx, K.EXTENSION, False)
    return Effect()


@action(
    "request_suspension",
    label=pgettext_lazy("action", "Request suspension"),
    sources={S.HANDLING},
    target=S.SUSPEND_PENDING,
    roles={R.HANDLER},
    scope=LEAD_DEPARTMENT,
    needs_note=True,
    request_kind=K.SUSPENSION,
    guards=(nothing_pending(K.SUSPENSION),),
)
def request_suspension(ctx):
    _open_request(ctx, K.SUSPENSION, department=ctx.case.lead_department)
    return Effect()


@action(
    "approve_suspension",
    label=pgettext_lazy("action", "Approve suspension"),
    sources={S.SUSPEND_PENDING},
    target=S.SUSPENDED,
    roles={R.DISPATCHER},
    request_kind=K.SUSPENSION,
    decides=True,
    guards=(pending(K.SUSPENSION),),
    clock=PAUSE,
    primary=True,
)
def approve_suspension(ctx):
    _decide(ctx, K.SUSPENSION, True)
    return Effect()


@action(
    "reject_suspension",
    label=pgettext_lazy("action", "Reject suspension"),
    sources={S.SUSPEND_PENDING},
    target=S.HANDLING,
    roles={R.DISPATCHER},
    needs_note=True,
    request_kind=K.SUSPENSION,
    decides=False,
    guards=(pending(K.SUSPENSION),),
)
def reject_suspension(ctx):
    _decide(ctx, K.SUSPENSION, False)
    return Effect()


@action(
    "resume",
    label=pgettext_lazy("action", "Resume"),
    sources={S.SUSPENDED},
    target=S.HANDLING,
    roles={R.DISPATCHER},
    clock=RESUME,
    primary=True,
)
def resume(ctx):
    return Effect()


@action(
    "feedback",
    label=pgettext_lazy("action", "Report handling done"),
    sources={S.HANDLING},
    target=S.TO_CHECK,
    roles={R.HANDLER},
    scope=LEAD_DEPARTMENT,
    params=(PARTS_MISSING,),
    needs_note=True,
    note_label=gettext_lazy("What was done"),
    needs_photo=True,
    photo_kind="after",
    primary=True,
)
def feedback(ctx, *, parts_missing):
    return Effect(data=parts_missing_check(ctx, acknowledged=parts_missing))


# ---- 核查 and 结案 ----


@action(
    "request_check",
    label=pgettext_lazy("action", "Send for on-site check"),
    sources={S.TO_CHECK},
    target=S.CHECKING,
    roles={R.OPERATOR},
    params=(ASSIGNEE_PARAM,),
    primary=True,
)
def request_check(ctx, *, assignee):
    ctx.case.assignee = assignee
    return Effect(data={"assignee": assignee.username})


@action(
    "check",
    label=pgettext_lazy("action", "Check"),
    sources={S.CHECKING},
    target={True: S.TO_CLOSE, False: S.HANDLING},
    roles={R.GRID_WORKER},
    scope=ASSIGNEE,
    params=(
        p.Outcome(
            "passed",
            label=gettext_lazy("Is the fix done?"),
            help_text=gettext_lazy("check: is the fix done?"),
            yes=pgettext_lazy("check outcome", "Passed"),
            no=pgettext_lazy("check outcome", "Failed"),
        ),
    ),
    photo_kind="verification",
    clock=RESTART,  # rework gets a new handling limit
    primary=True,
)
def check(ctx, *, passed):
    ctx.case.assignee = None
    if not passed:
        ctx.case.rework_count += 1
    return Effect(outcome=passed, data={"passed": passed, "rework": not passed})


ENFORCEMENT_REPORTED_BACK = Guard(
    lambda f: not chain_in_progress(f.case),
    409,
    "enforcement_open",
    lambda: _("An enforcement body has not reported back on this case yet (办结反馈); it closes after that."),
)


@action(
    "close",
    label=pgettext_lazy("action", "Close"),
    sources={S.TO_CLOSE},
    target=S.CLOSED,
    roles={R.SHIFT_LEAD},
    guards=(ENFORCEMENT_REPORTED_BACK,),
    primary=True,
)
def close(ctx):
    return Effect()


# ---- 回访: reopening a closed case the reporter is dissatisfied with ----


def satisfaction_since_closing(case) -> str:
    """The latest satisfaction recorded since the case was closed (portal rating or call-back), or ""."""
    if case.status != S.CLOSED or case.closed_at is None:
        return ""
    latest = (
        CaseEvent.objects.filter(case=case, action__in=SATISFACTION_EVENTS, at__gte=case.closed_at)
        .exclude(data__satisfaction=None)
        .order_by("-id")
        .values_list("data__satisfaction", flat=True)
        .first()
    )
    return latest or ""


DISSATISFIED_REPORTER = Guard(
    lambda f: satisfaction_since_closing(f.case) == Satisfaction.DISSATISFIED,
    409,
    "not_dissatisfied",
    lambda: _("Only a case its reporter rated dissatisfied (不满意) since it was closed can be reopened."),
)
WAS_HANDLED = Guard(
    lambda f: f.case.lead_department_id is not None,
    409,
    "never_handled",
    lambda: _("This case was never with a department; it cannot go back to one."),
)


@action(
    "reopen",
    label=pgettext_lazy("action", "Reopen"),
    sources={S.CLOSED},
    target=S.HANDLING,
    roles={R.OPERATOR},
    guards=(DISSATISFIED_REPORTER, WAS_HANDLED),
    needs_note=True,
    note_label=gettext_lazy("What the reporter is dissatisfied with"),
    clock=RESTART,  # the department gets a new handling limit, as for a failed check (返工)
    danger=True,
    description=gettext_lazy(
        "After a dissatisfied rating or call-back (回访), the operator sends a closed case back to its lead "
        "department for rework (返工)."
    ),
)
def reopen(ctx):
    ctx.case.closed_at = None
    ctx.case.rework_count += 1
    return Effect(data={"rework": True, "reopened": True})


# ---- 作废 ----


@action(
    "request_void",
    label=pgettext_lazy("action", "Request void"),
    sources=OPEN - {S.VOID_PENDING},
    target=S.VOID_PENDING,
    roles={R.OPERATOR, R.DISPATCHER},
    needs_note=True,
    request_kind=K.VOID,
    guards=(nothing_pending(K.VOID),),
    danger=True,
)
def request_void(ctx):
    _open_request(ctx, K.VOID)
    ctx.case.resume_status = ctx.case.status
    return Effect()


@action(
    "approve_void",
    label=pgettext_lazy("action", "Approve void"),
    sources={S.VOID_PENDING},
    target=S.VOIDED,
    roles={R.SHIFT_LEAD},
    request_kind=K.VOID,
    decides=True,
    guards=(pending(K.VOID),),
    primary=True,
    danger=True,
)
def approve_void(ctx):
    _decide(ctx, K.VOID, True)
    return Effect()


@action(
    "reject_void",
    label=pgettext_lazy("action", "Reject void"),
    sources={S.VOID_PENDING},
    target=PRIOR,
    roles={R.SHIFT_LEAD},
    request_kind=K.VOID,
    decides=False,
    guards=(pending(K.VOID),),
)
def reject_void(ctx):
    _decide(ctx, K.VOID, False)
    return Effect()


# ---- 协办: the assisting departments' parts ----
# A dispatch opens one part per assisting department (AssistPart, in the dispatch's transaction) and an approved
# return withdraws them. Each assisting department gives its part with `assist_feedback`; the lead department's
# `feedback` goes through while parts are open only when the handler ticks `parts_missing`, which the event
# records (and the timeline shows).


def parts_missing_check(ctx, *, acknowledged):
    """The event data of a lead department's feedback: the assisting departments whose part is missing, if any.

    Open parts without the acknowledgement are a field error: the handler either waits or ticks the box.
    """
    missing = list(
        AssistPart.objects.open()
        .filter(case=ctx.case)
        .order_by("department__name")
        .values_list("department__code", "department__name")
    )
    if not missing:
        return {}
    if not acknowledged:
        names = "、".join(name for _code, name in missing)
        raise p.field_error(
            "parts_missing",
            _("%(departments)s have not given their part yet: wait for them, or tick the box to report without it.")
            % {"departments": names},
        )
    return {"parts_missing": [code for code, _name in missing], "parts_missing_names": [n for _c, n in missing]}


HAS_OPEN_PART = Guard(
    lambda f: (
        AssistPart.objects.open()
        .filter(case=f.case, department_id__in=assisting_departments_of(f.user, f.case))
        .exists()
    ),
    409,
    "part_given",
    lambda: _("Your department has already given its part on this case."),
)


@action(
    "assist_feedback",
    label=pgettext_lazy("action", "Give assisting part"),
    sources=OPEN - {S.VOID_PENDING, S.REPORTED, S.VERIFYING, S.TO_REGISTER, S.TO_DISPATCH},
    target=SAME,
    roles={R.HANDLER},
    scope=ASSISTING,
    guards=(HAS_OPEN_PART,),
    needs_note=True,
    note_label=gettext_lazy("What your department did"),
    allows_photo=True,
    photo_kind="after",
    primary=True,
    description=gettext_lazy("An assisting department (协办) reports its part of the work to the lead department."),
)
def assist_feedback(ctx):
    mine = assisting_departments_of(ctx.actor, ctx.case)
    part = AssistPart.objects.open().filter(case=ctx.case, department_id__in=mine).order_by("id").first()
    # The case row is locked, so no other transition runs meanwhile; the conditional update still keeps a part
    # from being given twice should anything else ever write parts without that lock.
    if part is None or not AssistPart.objects.filter(pk=part.pk, state=PartState.OPEN).update(
        state=PartState.DONE, feedback=ctx.note, answered_by=ctx.actor, answered_at=ctx.now
    ):
        raise ConflictError(_("Your department has already given its part on this case."), code="part_given")
    return Effect(data={"part": part.pk, "department": part.department.code}, department=part.department)


# ---- 移送: the case becomes an enforcement matter (cases/services/enforcement.py carries the chain on) ----
# A case may be transferred several times (after a body declines, or once a chain has reported back), one chain
# at a time: the body in charge asks the others through 执法协作.

NO_CHAIN_IN_PROGRESS = Guard(
    lambda f: not chain_in_progress(f.case),
    409,
    "enforcement_in_progress",
    lambda: _("An enforcement body is already dealing with this case."),
)


@action(
    "transfer_to_enforcement",
    label=pgettext_lazy("action", "Transfer to enforcement"),
    sources={S.HANDLING, S.VERIFYING},
    target=SAME,
    roles={R.HANDLER, R.DISPATCHER},
    scope=LEAD_OR_REGION,
    params=(
        p.EnforcementBody(
            "enforcement_body",
            label=gettext_lazy("Enforcement body"),
            help_text=gettext_lazy("transfer_to_enforcement: code or id of the competent law-enforcement unit."),
        ),
        p.Text(
            "violation",
            label=gettext_lazy("Suspected violation"),
            help_text=gettext_lazy("transfer_to_enforcement: what the party is suspected of (e.g. 占道经营)."),
        ),
    ),
    guards=(COMMAND_LEVEL, NO_CHAIN_IN_PROGRESS),
    needs_note=True,
    note_label=gettext_lazy("Facts and evidence for the enforcement body"),
    description=gettext_lazy(
        "移送: the case is handed to a law-enforcement body as an enforcement sub-case; the case waits for its result, "
        "with its clock stopped when its category says so."
    ),
)
def transfer_to_enforcement(ctx, *, enforcement_body, violation):
    enforcement = enforcement_open(
        case=ctx.case,
        body=enforcement_body,
        violation=violation,
        actor=ctx.actor,
        role=ctx.role,
        note=ctx.note,
        now=ctx.now,
    )
    return Effect(
        data={
            "enforcement": enforcement.number,
            "body": enforcement_body.code,
            "clock_paused": enforcement.source_clock_paused,
        },
        department=enforcement_body,
    )
