"""待核实 in the command centre (/command/sensing/): detections below their source's threshold, for the desk (operators
and shift leads) to confirm (→ an accepted case), dismiss, or send a grid worker to look (→ a case in 核实)."""

from urllib.parse import quote

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from cases.selectors import sensing_events_visible_to, sensing_may_review, sensing_waiting_list_for_user
from cases.services.sensing_review import sensing_confirm, sensing_dismiss, sensing_send_to_verify
from dispatch.pages.selectors import grid_workers_for_case
from huizhou_cityops.errors import ConflictError

from .access import _role_required, page

desk_required = _role_required(
    sensing_may_review, lambda: str(_("Detections are confirmed at the supervision centre's desk (operators)."))
)


@desk_required
@page
@require_GET
def command_sensing(request):
    """The waiting detections of the user's grids, oldest first, with the grid workers who may go and look."""
    events = sensing_waiting_list_for_user(user=request.user)
    # The grid workers of a grid once per grid (two queries each), not once per detection.
    workers = {}
    for event in events:
        if event.region_path not in workers:
            workers[event.region_path] = grid_workers_for_case(event)
        event.grid_workers = workers[event.region_path]
    return render(request, "command/sensing.html", {"events": events})


def _message(exc):
    if isinstance(exc, ValidationError):
        return " ".join(str(m) for messages_ in exc.message_dict.values() for m in messages_)
    return str(getattr(exc, "message", exc))


@desk_required
@require_POST
def command_sensing_decide(request, pk, decision):
    """Confirm, dismiss or send to verify one waiting detection; back to the queue with what happened."""
    try:
        if decision == "confirm":
            case = sensing_confirm(event_id=pk, actor=request.user)
            messages.success(request, _("Confirmed: case %(number)s accepted.") % {"number": case.number})
        elif decision == "verify":
            worker = request.POST.get("assignee", "")
            case = sensing_send_to_verify(event_id=pk, actor=request.user, assignee=worker)
            messages.success(request, _("Case %(number)s sent for verification.") % {"number": case.number})
        elif decision == "dismiss":
            sensing_dismiss(event_id=pk, actor=request.user)
            messages.success(request, _("Detection dismissed."))
        else:
            raise Http404(_("No such decision."))
    except (ValidationError, ConflictError, PermissionDenied) as exc:
        messages.error(request, _message(exc) or _("This decision is not possible."))
    return redirect(reverse("command-sensing"))


@desk_required
@require_GET
def command_sensing_snapshot(request, pk):
    """A waiting or decided detection's snapshot, for the desk of its grid (404 elsewhere or without one)."""
    event = sensing_events_visible_to(request.user).filter(pk=pk).only("snapshot").first()
    if event is None or not event.snapshot:
        raise Http404(_("No such snapshot."))
    if settings.PHOTO_SERVING == "x-accel":
        response = HttpResponse(content_type="image/jpeg")
        response["X-Accel-Redirect"] = settings.PHOTO_ACCEL_PREFIX + quote(event.snapshot)
    else:
        try:
            handle = default_storage.open(event.snapshot, "rb")
        except FileNotFoundError:
            return HttpResponse(status=404)
        response = FileResponse(handle, content_type="image/jpeg")
    response["Cache-Control"] = "private, max-age=86400"
    return response
