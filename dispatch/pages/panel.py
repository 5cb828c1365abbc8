"""The case panel shared by the command centre and the department workspace, its action forms and case photos.

The panel shows exactly the actions `cases.permissions.case_allowed_actions` allows; a posted action goes
through `case_transition` and its errors come back in the panel: field errors next to the fields (422),
"someone else changed this case" (409), not allowed (403).
"""

from dataclasses import dataclass
from urllib.parse import quote

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from rest_framework.authentication import SessionAuthentication
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.settings import api_settings

from accounts.models import Role
from cases.clock import describe_remaining, light_at
from cases.enforcement_selectors import enforcement_for_case, repeat_offenders_near
from cases.models import Case, CasePhoto, PhotoKind, Status
from cases.permissions import case_allowed_actions
from cases.photos import PhotoError
from cases.selectors import (
    case_contact_phone_for,
    case_detail_for_user,
    case_duplicate_candidates,
    pending_requests,
)
from cases.services import case_transition
from cases.workflow import ACTIONS
from cases.workflow.forms import action_form
from cases.worktime import calendar_coverage_warning_for
from dispatch.events import event_label
from dispatch.pages.selectors import (
    assist_parts_for_case,
    canned_phrases_for_actions,
    departments_for_dispatch,
    filing_conditions_for_case,
    grid_workers_for_case,
    supervision_orders_for_case,
    whistle_context_for_case,
)
from dispatch.selectors import case_routing_for_user
from dispatch.services.orders import check_may_issue
from grids.models import Level
from grids.selectors import region_ancestors
from huizhou_cityops.errors import ConflictError

# Where each surface's panel and action endpoints live.
SURFACES = {
    "command": {"page": "command-centre", "panel": "command-panel", "act": "command-act"},
    "dept": {"page": "dept-workspace", "panel": "dept-panel", "act": "dept-act"},
}


@dataclass
class Notice:
    kind: str  # success | conflict | error
    text: str


def _routing(user, case):
    """The responsibility list's proposal, shown while the case waits for (re-)dispatch."""
    if case.status not in (Status.TO_DISPATCH, Status.RETURN_PENDING):
        return None
    return case_routing_for_user(user=user, case_id=case.pk)


def _may_issue_order(user, case):
    """Leaders over the case's grid may issue a 督办 on an open case (the orders service decides)."""
    if case.is_final:
        return False
    try:
        check_may_issue(user=user, case=case)
    except PermissionDenied:
        return False
    return True


def _timeline(case):
    photos_by_event = {}
    for photo in case.photos.all():
        photos_by_event.setdefault(photo.event_id, []).append(photo)
    rows = []
    for event in case.events.all():
        role = Role(event.actor_role).label if event.actor_role in Role.values else _("System")
        rows.append(
            {
                "event": event,
                "label": event_label(event.action),
                "role": role,
                "from": Status(event.from_status).label if event.from_status in Status.values else "",
                "to": Status(event.to_status).label if event.to_status in Status.values else "",
                "photos": photos_by_event.get(event.pk, []),
            }
        )
    return list(reversed(rows))  # newest first


def _actions(case, allowed, form, failed_action):
    """The allowed actions as the panel shows them: the step forward first and open, then the side branches."""
    specs = [ACTIONS[name] for name in allowed]
    ordered = [s for s in specs if s.primary] + [s for s in specs if not s.primary]
    rows = []
    for index, spec in enumerate(ordered):
        failed = spec.name == failed_action
        rows.append(
            {
                "name": spec.name,
                "label": spec.label,
                "primary": spec.primary,
                "danger": spec.danger,
                "needs_note": spec.needs_note,
                "note_label": spec.note_label,
                "needs_photo": spec.needs_photo,
                "allows_photo": spec.allows_photo,
                "params": spec.param_names,
                "outcome": spec.outcome,
                "form": form if failed else None,
                "open": failed or (failed_action is None and index == 0 and spec.primary),
            }
        )
    return rows


def panel_context(*, request, case, surface, form=None, failed_action=None, notice=None, now=None):
    """Everything the panel template shows, in a fixed number of queries whatever the case's history."""
    user, now = request.user, now or timezone.now()
    pending = pending_requests(case)
    allowed = case_allowed_actions(user=user, case=case, pending=pending)
    photos = list(case.photos.all())
    phone = case_contact_phone_for(user=user, case=case)
    options = {}
    if {"request_verification", "request_check"} & set(allowed):
        options["grid_workers"] = grid_workers_for_case(case)
    if "register" in allowed:
        options["filing_conditions"] = filing_conditions_for_case(case)
    routing = _routing(user, case)
    if {"dispatch", "redispatch"} & set(allowed):
        options["departments"] = departments_for_dispatch(user=user, case=case, routing=routing)
    options["phrases"] = canned_phrases_for_actions(allowed) if allowed else {}
    duplicates = case_duplicate_candidates(case=case, user=user, now=now) if case.status == Status.REPORTED else []
    orders = supervision_orders_for_case(case) if case.supervised else []
    urls = SURFACES[surface]
    return {
        "case": case,
        "surface": surface,
        "panel_url": reverse(urls["panel"], args=[case.pk]),
        "act_url_name": urls["act"],
        "panel_url_name": urls["panel"],
        "page_url_name": urls["page"],
        "light": light_at(case, now),
        "remaining": describe_remaining(case, now),
        "calendar_warning": calendar_coverage_warning_for(user, now=now, deadline=case.stage_deadline),
        "before_photos": [p for p in photos if p.kind == PhotoKind.BEFORE],
        "after_photos": [p for p in photos if p.kind == PhotoKind.AFTER],
        "check_photos": [p for p in photos if p.kind == PhotoKind.VERIFICATION],
        "timeline": _timeline(case),
        # The live feed skips events the panel already shows (e.g. the user's own action).
        "last_event_id": max((e.pk for e in case.events.all()), default=0),
        "pending_requests": pending,
        "contact_phone": phone,
        "assisting": list(case.assisting_departments.all()),
        "actions": _actions(case, allowed, form, failed_action),
        "options": options,
        "routing": routing,
        "proposed_lead_code": routing.lead.code if routing and routing.lead else "",
        "duplicates": duplicates,
        "orders": orders,
        "enforcement": enforcement_for_case(case=case),
        "repeat_nearby": repeat_offenders_near(case=case),
        "order_reply_available": surface == "dept",
        "may_issue_order": surface == "command" and _may_issue_order(user, case),
        "notice": notice,
        "grid_places": _grid_places(case),
        **_assist_context(user, case, surface),
    }


def _grid_places(case):
    """A unit grid's community and street, nearest first (one query, only for a case located in a unit grid)."""
    if case.region.level != Level.UNIT:
        return []
    return region_ancestors(case.region)[:1:-1][:2]


def _assist_context(user, case, surface):
    """协办 parts and 吹哨报到 for the panel: who owes what, and the forms the user may fill in."""
    parts = assist_parts_for_case(case)
    whistles = whistle_context_for_case(user=user, case=case, may_blow=surface == "dept")
    return {
        "parts": parts,
        "open_parts": [part for part in parts if part.state == "open"],
        "whistles": whistles["whistles"],
        "may_whistle": whistles["office"] is not None,
        "whistle_office": whistles["office"],
        "whistle_departments": whistles["departments"],
        "summons_report_available": surface == "dept",
    }


def render_panel(request, context, status=200):
    template = "includes/case_panel.html" if request.headers.get("HX-Request") else "includes/case_panel_page.html"
    return TemplateResponse(request, template, {"p": context}, status=status)


def panel_not_found(request):
    """The panel's answer for a case that does not exist or lies outside the user's scope (404)."""
    context = {"notice": Notice("error", _("No such case, or it is outside your scope."))}
    return _render_gone(request, context, status=404)


def _render_gone(request, context, status=200):
    template = "includes/case_panel_gone.html"
    if not request.headers.get("HX-Request"):
        template = "includes/case_panel_gone_page.html"
    return TemplateResponse(request, template, context, status=status)


def refusal_text(exc: PermissionDenied) -> str:
    """The refusal's own words (the workflow's Refusal messages), or a plain sentence when it came without any."""
    return str(exc) or _("You may not do this on this case.")


@dataclass
class Outcome:
    """What a service call from the panel came to: the notice and status to answer with, and its field errors."""

    notice: Notice | None
    status: int
    error: ValidationError | None = None


def panel_call(call, *, success) -> Outcome | None:
    """Run a service call for the panel; None when the case is out of the user's scope (the caller answers 404)."""
    try:
        call()
    except ValidationError as exc:
        return Outcome(None, 422, exc)
    except ConflictError as exc:
        return Outcome(Notice("conflict", exc.message), 409)
    except PermissionDenied as exc:
        return Outcome(Notice("error", refusal_text(exc)), 403)
    except Http404:
        return None
    return Outcome(Notice("success", success), 200)


def panel_answer(request, pk, *, surface, outcome, **extra):
    """After a panel's service call: back to the page (a plain form post that worked), or the panel as it now is."""
    if outcome.status == 200 and not request.headers.get("HX-Request"):
        return redirect(f"{reverse(SURFACES[surface]['page'])}?case={pk}")
    case = case_detail_for_user(user=request.user, case_id=pk)
    if case is None:
        return panel_not_found(request)
    context = panel_context(request=request, case=case, surface=surface, notice=outcome.notice)
    context.update(extra)
    response = render_panel(request, context, status=outcome.status)
    if outcome.status == 200:
        response["HX-Trigger"] = "cityops:case-changed"
    return response


@require_GET
def panel_response(request, pk, *, surface):
    case = case_detail_for_user(user=request.user, case_id=pk)
    if case is None:
        return panel_not_found(request)
    return render_panel(request, panel_context(request=request, case=case, surface=surface))


@require_POST
def act_response(request, pk, action, *, surface):
    """Take one workflow action from the panel's form and answer with the panel as it now is."""
    if action not in ACTIONS:
        raise Http404
    form = action_form(action, request.POST, request.FILES)
    status, notice, failed = 200, None, action
    if form.is_valid():
        try:
            case_transition(
                case_id=pk,
                actor=request.user,
                action=action,
                note=form.cleaned_data["note"],
                params=form.params(),
                photos=form.cleaned_data["photos"] or (),
            )
        except ValidationError as exc:
            form.add_service_errors(exc)
            status = 422
        except PhotoError as exc:
            form.add_error("photos", exc.message)
            status = 422
        except ConflictError as exc:
            text = _("Someone else changed this case in the meantime. It has been reloaded: check it and try again.")
            notice, status, failed, form = Notice("conflict", f"{text} ({exc.message})"), 409, None, None
        except PermissionDenied as exc:
            notice, status, failed, form = Notice("error", refusal_text(exc)), 403, None, None
        except Http404:
            return panel_not_found(request)
        else:
            notice = Notice("success", _("Done: %(action)s.") % {"action": ACTIONS[action].label})
            failed, form = None, None
    else:
        status = 422
    if status == 200 and not request.headers.get("HX-Request"):
        return redirect(f"{reverse(SURFACES[surface]['page'])}?case={pk}")
    case = case_detail_for_user(user=request.user, case_id=pk)
    if case is None:  # the action took the case out of the user's scope
        response = _render_gone(request, {"notice": notice}, status=status)
    else:
        context = panel_context(
            request=request, case=case, surface=surface, form=form, failed_action=failed, notice=notice
        )
        response = render_panel(request, context, status=status)
    if status in (200, 409):
        response["HX-Trigger"] = "cityops:case-changed"
    return response


def _photo_reader(request):
    """The signed-in user, else the owner of the request's API token (the API hands these URLs out); or None."""
    if request.user.is_authenticated:
        return request.user
    for authentication in api_settings.DEFAULT_AUTHENTICATION_CLASSES:
        if issubclass(authentication, SessionAuthentication):
            continue  # the session was Django's to read, and it holds no one
        try:
            found = authentication().authenticate(request)
        except AuthenticationFailed:
            return None
        if found is not None:
            return found[0]
    return None


@require_GET
def case_photo(request, pk, thumbnail=False):
    """A case photo (or its thumbnail) for whoever may see the case: photos are as private as their case."""
    reader = _photo_reader(request)
    if reader is None:
        return redirect_to_login(request.get_full_path())
    photo = (
        CasePhoto.objects.filter(pk=pk, case__in=Case.objects.visible_to(reader).values("pk"))
        .only("image", "thumbnail")
        .first()
    )
    if photo is None:
        raise Http404(_("No such photo."))
    return photo_file_response((photo.thumbnail if thumbnail else photo.image).name)


def photo_file_response(name):
    """The photo file `name` as the answer, once the caller checked who may see it (also the public portal's)."""
    if settings.PHOTO_SERVING == "x-accel":
        # nginx sends the file from its `internal` location once this view has checked the scope.
        response = HttpResponse(content_type="image/jpeg")
        response["X-Accel-Redirect"] = settings.PHOTO_ACCEL_PREFIX + quote(name)
    else:
        try:
            handle = default_storage.open(name, "rb")
        except FileNotFoundError:
            return HttpResponse(status=404)
        response = FileResponse(handle, content_type="image/jpeg")
    # Content-addressed files never change: the browser may keep them, but only for this user.
    response["Cache-Control"] = "private, max-age=86400"
    return response
