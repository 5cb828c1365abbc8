"""回访 (/command/callbacks/): the operators' call-back queue of closed cases, the result of each call and the
reopening of a case the reporter is dissatisfied with (the `reopen` workflow action)."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.models import Role
from accounts.scope import user_scope
from cases.models import Satisfaction
from cases.selectors import case_contact_phone_for
from cases.services import case_transition
from cases.services.satisfaction import case_callback_record
from cases.workflow import ACTIONS
from dispatch.selectors import callback_queue_for_user
from huizhou_cityops.errors import ConflictError

from .access import _role_required, page


def is_operator(user) -> bool:
    return user.is_authenticated and Role.OPERATOR in user_scope(user).roles


operator_required = _role_required(is_operator, lambda: _("Call-backs (回访) are made by operators."))


@operator_required
@page
@require_GET
def callback_queue(request):
    rows = list(callback_queue_for_user(user=request.user))
    for case in rows:
        case.phone_shown = case_contact_phone_for(user=request.user, case=case)
        case.may_reopen = case.latest_satisfaction == Satisfaction.DISSATISFIED and case.lead_department_id
    context = {"rows": rows, "satisfactions": Satisfaction.choices, "reopen_label": ACTIONS["reopen"].label}
    return render(request, "command/callbacks.html", context)


def _say(request, exc):
    if isinstance(exc, ValidationError):
        text = " ".join(str(m) for messages_ in exc.message_dict.values() for m in messages_)
    elif isinstance(exc, ConflictError):
        text = exc.message
    else:
        text = str(exc) or _("Not allowed.")
    messages.error(request, text)


@operator_required
@require_POST
def callback_record(request, pk):
    """The result of one call-back: reached or not and, when reached, the reporter's satisfaction."""
    reached = request.POST.get("reached")
    if reached not in ("yes", "no"):
        messages.error(request, _("Say whether the reporter was reached."))
        return redirect("command-callbacks")
    try:
        case_callback_record(
            case_id=pk,
            actor=request.user,
            reached=reached == "yes",
            satisfaction=request.POST.get("satisfaction", "") if reached == "yes" else "",
            note=request.POST.get("note", ""),
        )
    except Http404:
        raise
    except (ValidationError, ConflictError, PermissionDenied) as exc:
        _say(request, exc)
    else:
        messages.success(request, _("The call-back is recorded."))
    return redirect("command-callbacks")


@operator_required
@require_POST
def callback_reopen(request, pk):
    """Reopen a case its reporter is dissatisfied with: back to its lead department for rework (返工)."""
    try:
        case = case_transition(case_id=pk, actor=request.user, action="reopen", note=request.POST.get("note", ""))
    except Http404:
        raise
    except (ValidationError, ConflictError, PermissionDenied) as exc:
        _say(request, exc)
    else:
        text = _("Case %(number)s is reopened and back with its department.") % {"number": case.number}
        messages.success(request, text)
    return redirect("command-callbacks")
