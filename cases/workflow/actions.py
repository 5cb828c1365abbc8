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
from cases.clock import hours_duration
from cases.models import FINAL_STATUSES, Case, CaseRequest, RequestKind, RequestState, Source, Status
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

# ---- parameters ----

ASSIGNEE_PARAM = p.GridWorker(
    "assignee", label=gettext_lazy("Grid worker"), help_text=gettext_lazy("Grid worker (id or username) for 核实/核查.")
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
    params=(
        p.Department(
            "lead_department",
            label=gettext_lazy("Lead department"),
            help_text=gettext_lazy("dispatch: department code or id."),
        ),
        p.Departments("assisting_departments", label=gettext_lazy("Assisting departments")),
    ),
    primary=True,
)
def dispatch(ctx, *, lead_department, assisting_departments):
    if lead_department in assisting_departments:
        raise p.field_error("assisting_departments", _("The lead department cannot also assist."))
    ctx.case.lead_department = lead_department
    ctx.case.assisting_departments.set(assisting_departments)
    return Effect(
        data={"lead": lead_department.code, "assisting": [d.code for d in assisting_departments]},
        department=lead_department,
    )


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
    needs_note=True,
    note_label=gettext_lazy("What was done"),
    needs_photo=True,
    photo_kind="after",
    primary=True,
)
def feedback(ctx):
    return Effect()


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


@action(
    "close",
    label=pgettext_lazy("action", "Close"),
    sources={S.TO_CLOSE},
    target=S.CLOSED,
    roles={R.SHIFT_LEAD},
    primary=True,
)
def close(ctx):
    return Effect()


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
