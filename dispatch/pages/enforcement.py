"""The enforcement pages (/enforcement/): the chains in the user's scope, one chain with its source case and the
steps the user may take, a collaborating department's part, and the internal 挂牌督办 list."""

import csv
import json

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from accounts.models import Role
from accounts.scope import user_scope
from accounts.surfaces import COMMAND, DEPARTMENT
from cases import enforcement_selectors as selectors
from cases.models import Circumstance, DiscretionStandard, EnforcementState, PartyKind
from cases.services.credit import may_read_credit
from cases.services.enforcement import (
    enforcement_actions_for,
    enforcement_evidence_add,
    enforcement_part_give,
    enforcement_step,
)
from dispatch.pages.forms import EnforcementPartForm, EnforcementStepForm
from grids.models import Department, DepartmentKind
from huizhou_cityops.errors import ConflictError

from .access import enforcement_required, page

STEP_LABELS = {
    "confirm": gettext_lazy("Confirm the violation (违法确认)"),
    "decline": gettext_lazy("Decline the transfer"),
    "collaborate": gettext_lazy("Ask a department to collaborate (执法协作)"),
    "decide": gettext_lazy("Decide the penalty"),
    "approve_penalty": gettext_lazy("Approve the penalty outside the standard"),
    "refuse_penalty": gettext_lazy("Refuse the penalty outside the standard"),
    "list": gettext_lazy("List for supervision (挂牌督办)"),
    "rectify": gettext_lazy("Report the rectification done"),
    "verify": gettext_lazy("Verify the rectification"),
    "feedback": gettext_lazy("Report the result back (办结反馈)"),
    "close": gettext_lazy("Close the enforcement case"),
    "party": gettext_lazy("Name the party (管理征信)"),
}


EVENT_LABELS = {
    "transfer": gettext_lazy("Transferred (移送)"),
    "confirm": gettext_lazy("Violation confirmed (违法确认)"),
    "decline": gettext_lazy("Declined"),
    "collaborate": gettext_lazy("Collaboration asked (执法协作)"),
    "part_given": gettext_lazy("Collaborating part given"),
    "penalty_proposed": gettext_lazy("Penalty outside the standard proposed"),
    "penalty_refused": gettext_lazy("Penalty refused by a leader"),
    "decide": gettext_lazy("Penalty decided"),
    "list": gettext_lazy("Listed for supervision (挂牌督办)"),
    "rectify": gettext_lazy("Rectification reported"),
    "verify": gettext_lazy("Rectification checked"),
    "feedback": gettext_lazy("Result reported back (办结反馈)"),
    "close": gettext_lazy("Closed"),
    "overdue": gettext_lazy("Step overdue"),
    "party": gettext_lazy("Party named"),
    "evidence": gettext_lazy("Evidence added"),
}


def _source_url(user, enforcement):
    """Where the source case opens for this user: the command centre's panel, else the department's."""
    if COMMAND.opens_for(user):
        return COMMAND.case_url(enforcement.source_id)
    if DEPARTMENT.opens_for(user):
        return DEPARTMENT.case_url(enforcement.source_id)
    return ""


@enforcement_required
@page
@require_GET
def enforcement_list(request):
    state = request.GET.get("state", "")
    if state not in EnforcementState.values:
        state = ""
    user = request.user
    departments = user_scope(user).department_ids(Role.HANDLER)
    chains = list(selectors.enforcement_list_for_user(user=user, state=state or None)[:200])
    context = {
        "chains": chains,
        "repeat": selectors.repeat_offender_ids({c.party_id for c in chains}),
        "states": EnforcementState.choices,
        "state": state,
        "parts": list(selectors.open_tasks_for_departments(department_ids=departments)) if departments else [],
        "pending_penalties": list(selectors.pending_penalties(user=user)),
        "now": timezone.now(),
    }
    return render(request, "enforcement/list.html", context)


@enforcement_required
@page
@require_GET
def enforcement_listings(request):
    include_lifted = request.GET.get("lifted") == "1"
    listings = selectors.listings_for_user(user=request.user, include_lifted=include_lifted)
    context = {"listings": list(listings[:500]), "include_lifted": include_lifted, "now": timezone.now()}
    return render(request, "enforcement/listings.html", context)


def _detail_context(request, enforcement, *, step=None, errors=None, data=None):
    user = request.user
    allowed = enforcement_actions_for(user, enforcement)
    standards = (
        list(DiscretionStandard.objects.filter(offence_code=enforcement.offence_code))
        if enforcement.offence_code
        else []
    )
    ranges = {s.circumstance: [str(s.fine_min), str(s.fine_max)] for s in standards}
    return {
        "e": enforcement,
        "source_url": _source_url(user, enforcement),
        "timeline": [
            {"event": ev, "label": EVENT_LABELS.get(ev.action, ev.action)} for ev in reversed(enforcement.events.all())
        ],
        "steps": [{"name": name, "label": STEP_LABELS[name], "failed": name == step} for name in allowed],
        "errors": errors or {},
        "data": data or {},
        "offences": DiscretionStandard.objects.order_by("offence_code").values("offence_code", "offence").distinct(),
        "standards": standards,
        "ranges_json": json.dumps(ranges),
        "circumstances": Circumstance.choices,
        "departments": Department.objects.filter(active=True).exclude(pk=enforcement.body_id).order_by("level", "name")
        if {"collaborate", "list"} & set(allowed)
        else [],
        "my_parts": [
            t
            for t in enforcement.tasks.all()
            if t.state == "open" and t.department_id in user_scope(user).department_ids(Role.HANDLER)
        ],
        "is_enforcement_body": enforcement.body.kind == DepartmentKind.ENFORCEMENT,
        "may_add_evidence": "party" in allowed,  # the body, while the chain runs
        "repeat_offender": bool(selectors.repeat_offender_ids([enforcement.party_id])),
        "party_kinds": PartyKind.choices,
        "now": timezone.now(),
    }


def _load(request, pk):
    enforcement = selectors.enforcement_detail_for_user(user=request.user, pk=pk)
    if enforcement is None:
        raise Http404(_("No such enforcement case."))
    return enforcement


@enforcement_required
@page
@require_GET
def enforcement_detail(request, pk):
    enforcement = _load(request, pk)
    return render(request, "enforcement/detail.html", _detail_context(request, enforcement))


def _field_errors(exc):
    if hasattr(exc, "error_dict"):
        return {field: [str(m) for e in errs for m in e.messages] for field, errs in exc.error_dict.items()}
    return {"note": [str(m) for m in exc.messages]}


@enforcement_required
@require_POST
def enforcement_step_take(request, pk, step):
    enforcement = _load(request, pk)
    form = EnforcementStepForm(request.POST)
    if not form.is_valid():
        errors = {f: [str(m) for m in ms] for f, ms in form.errors.items()}
        context = _detail_context(request, enforcement, step=step, errors=errors, data=request.POST)
        return render(request, "enforcement/detail.html", context, status=400)
    fields = {k: v for k, v in form.cleaned_data.items() if v not in (None, "")}
    fields["passed"] = form.cleaned_data["passed"]
    if step == "verify" and request.POST.get("passed") not in ("yes", "no"):
        fields["passed"] = True
    try:
        enforcement_step(actor=request.user, enforcement_id=enforcement.pk, step=step, fields=fields)
    except ValidationError as exc:
        context = _detail_context(request, enforcement, step=step, errors=_field_errors(exc), data=request.POST)
        return render(request, "enforcement/detail.html", context, status=400)
    except ConflictError as exc:
        messages.warning(request, exc.message)
        return redirect("enforcement-detail", pk=enforcement.pk)
    except PermissionDenied as exc:
        raise PermissionDenied(str(exc)) from exc
    messages.success(request, _("Done: %(step)s.") % {"step": STEP_LABELS.get(step, step)})
    return redirect("enforcement-detail", pk=enforcement.pk)


@enforcement_required
@require_POST
def enforcement_part(request, pk):
    form = EnforcementPartForm(request.POST)
    form.is_valid()
    task_enforcement = selectors.open_tasks_for_departments(
        department_ids=user_scope(request.user).department_ids(Role.HANDLER)
    ).filter(pk=pk)
    row = task_enforcement.values_list("enforcement_id", flat=True).first()
    try:
        task = enforcement_part_give(task_id=pk, actor=request.user, feedback=form.cleaned_data.get("feedback", ""))
    except ValidationError as exc:
        if row is None:
            raise Http404(_("No such collaboration task.")) from exc
        enforcement = _load(request, row)
        context = _detail_context(request, enforcement, step="part", errors=_field_errors(exc), data=request.POST)
        return render(request, "enforcement/detail.html", context, status=400)
    except ConflictError as exc:
        messages.warning(request, exc.message)
        return redirect("enforcement-list")
    messages.success(request, _("Your department's part is given."))
    return redirect("enforcement-detail", pk=task.enforcement_id)


# ---- the credit register (管理征信) ----

CREDIT_FIELDS = (
    "party_id",
    "kind",
    "name",
    "credit_code",
    "id_masked",
    "violations",
    "rectifications",
    "listings",
    "last_violation",
    "repeat_offender",
)


def _credit_rows():
    for party in selectors.party_register_rows():
        yield {
            "party_id": party.pk,
            "kind": party.kind,
            "name": party.name,
            "credit_code": party.credit_code,
            "id_masked": party.id_masked,
            "violations": party.violations,
            "rectifications": party.rectifications,
            "listings": party.listings,
            "last_violation": party.last_violation.isoformat() if party.last_violation else None,
            "repeat_offender": party.violations >= selectors.REPEAT_OFFENDER_VIOLATIONS,
        }


@enforcement_required
@page
@require_GET
def enforcement_credit(request):
    """The credit register, or its export (?format=csv|json, schema in docs/credit-export.md)."""
    if not may_read_credit(request.user):
        raise PermissionDenied(_("The credit register is for leaders and law-enforcement units."))
    fmt = request.GET.get("format", "")
    if fmt == "json":
        response = JsonResponse({"schema": "cityops-credit/1", "parties": list(_credit_rows())})
        response["Content-Disposition"] = 'attachment; filename="credit-register.json"'
        return response
    if fmt == "csv":
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="credit-register.csv"'
        response.write("\ufeff")  # so that spreadsheet programs read it as UTF-8
        writer = csv.DictWriter(response, fieldnames=CREDIT_FIELDS)
        writer.writeheader()
        for row in _credit_rows():
            writer.writerow({k: _csv_safe(v) for k, v in row.items()})
        return response
    return render(request, "enforcement/credit.html", {"rows": list(_credit_rows())})


def _csv_safe(value):
    # A name starting with = + - @ would run as a formula in a spreadsheet.
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return value


@enforcement_required
@require_POST
def enforcement_evidence(request, pk):
    """The body adds evidence photos (checked like every case photo) with a note."""
    enforcement = _load(request, pk)
    try:
        enforcement_evidence_add(
            enforcement_id=enforcement.pk,
            actor=request.user,
            photos=request.FILES.getlist("photos"),
            note=request.POST.get("note", "")[:2000],
        )
    except ValidationError as exc:
        context = _detail_context(request, enforcement, step="evidence", errors=_field_errors(exc), data=request.POST)
        return render(request, "enforcement/detail.html", context, status=400)
    except ConflictError as exc:
        messages.warning(request, exc.message)
        return redirect("enforcement-detail", pk=enforcement.pk)
    messages.success(request, _("Evidence added."))
    return redirect("enforcement-detail", pk=enforcement.pk)
