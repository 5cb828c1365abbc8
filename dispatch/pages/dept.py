"""The department workspace (/dept/): the department's cases by traffic light, the case panel, replies to 督办."""

from django.core.exceptions import ValidationError
from django.http import JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from cases.ids import parse_id
from cases.models import Light
from cases.selectors import case_detail_for_user
from cases.worktime import calendar_coverage_warning_for
from dispatch.pages.forms import OrderReplyForm, SummonsReportForm, WhistleForm
from dispatch.pages.selectors import department_board_for_user
from dispatch.services.orders import order_reply
from dispatch.services.whistles import summons_report, whistle_blow

from . import command
from .access import handler_required, page
from .panel import act_response, panel_answer, panel_call, panel_context, panel_not_found, panel_response

GROUPS = [
    (Light.RED, Light.RED.label),
    (Light.YELLOW, Light.YELLOW.label),
    (Light.GREEN, Light.GREEN.label),
    ("stopped", _("Clock stopped (suspended)")),
]
# Cases the departments do not lead but owe something: an assisting part (协办), a report to a whistle (吹哨报到).
SIDE_GROUPS = [
    ("assist", _("Assisting (协办)")),
    ("whistle", _("Summoned (吹哨报到)")),
]


def _board_context(request, now):
    board = department_board_for_user(user=request.user, now=now)
    groups = [{"key": key, "label": label, "cases": board.groups[key]} for key, label in GROUPS]
    groups += [{"key": key, "label": label, "cases": board.groups[key], "side": True} for key, label in SIDE_GROUPS]
    return {"board": board, "groups": groups, "now": now}


@handler_required
@page
@require_GET
def dept_workspace(request):
    now = timezone.now()
    panel = None
    case_id = parse_id(request.GET.get("case"))
    if case_id is not None:
        case = case_detail_for_user(user=request.user, case_id=case_id)
        if case is not None:
            panel = panel_context(request=request, case=case, surface="dept", now=now)
    context = {
        **_board_context(request, now),
        "panel": panel,
        "calendar_warning": calendar_coverage_warning_for(request.user, now=now),
        "config": {
            "boardUrl": reverse("dept-board"),
            **command.feed_config(),
            "pollSeconds": 15,
            "text": {"changed": _("This case was changed by someone else."), "reload": _("Reload")},
        },
    }
    return render(request, "dept/workspace.html", context)


@handler_required
@require_GET
def dept_board(request):
    """The light groups again, for the live refresh (htmx)."""
    if request.GET.get("format") == "json":
        board = department_board_for_user(user=request.user, now=timezone.now())
        return JsonResponse({"counts": board.counts})
    return render(request, "dept/_board.html", _board_context(request, timezone.now()))


@handler_required
def dept_panel(request, pk):
    return panel_response(request, pk, surface="dept")


@handler_required
def dept_act(request, pk, action):
    return act_response(request, pk, action, surface="dept")


@handler_required
@require_POST
def dept_order_reply(request, pk, order_id):
    """The department's reply to a supervision order (督办), through the orders service."""
    form = OrderReplyForm(request.POST)

    def reply():
        if not form.is_valid():  # e.g. a NUL character, which no text column can hold
            raise ValidationError(form.errors["reply"])
        order_reply(order_id=order_id, actor=request.user, reply=form.cleaned_data["reply"])

    outcome = panel_call(reply, success=_("Your reply has been sent."))
    if outcome is None:
        return panel_not_found(request)
    errors = list(outcome.error.messages) if outcome.error else []
    return panel_answer(request, pk, surface="dept", outcome=outcome, order_errors=errors, order_id=order_id)


@handler_required
@require_POST
def dept_whistle(request, pk):
    """A street office blows the whistle (吹哨) on the case, through the whistle service."""
    form = WhistleForm(request.POST)

    def blow():
        if not form.is_valid():
            raise ValidationError(form.errors)
        data = form.cleaned_data
        whistle_blow(case_id=pk, actor=request.user, departments=data["departments"], note=data["note"])

    outcome = panel_call(blow, success=_("The whistle is blown: the departments have been summoned."))
    if outcome is None:
        return panel_not_found(request)
    errors = outcome.error.message_dict if outcome.error and hasattr(outcome.error, "error_dict") else {}
    data = {"note": request.POST.get("note", ""), "departments": request.POST.getlist("departments")}
    return panel_answer(request, pk, surface="dept", outcome=outcome, whistle_errors=errors, whistle_data=data)


@handler_required
@require_POST
def dept_summons_report(request, pk, summons_id):
    """A summoned department reports (报到) to a whistle, through the whistle service."""
    form = SummonsReportForm(request.POST)

    def report():
        if not form.is_valid():
            raise ValidationError(form.errors["note"])
        summons_report(summons_id=summons_id, case_id=pk, actor=request.user, note=form.cleaned_data["note"])

    outcome = panel_call(report, success=_("Your department has reported."))
    if outcome is None:
        return panel_not_found(request)
    errors = list(outcome.error.messages) if outcome.error else []
    return panel_answer(request, pk, surface="dept", outcome=outcome, summons_errors=errors, summons_id=summons_id)
