"""Exports of the work lists: "导出 CSV / XLSX" of the command centre's tab and filters and of the department board,
the user's own export jobs with their progress (htmx poll), and the download of a finished file (owner only)."""

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from dispatch.exports.selection import export_params
from dispatch.exports.selectors import export_for_owner, export_list_for_user
from dispatch.exports.services import ExportStream, export_filename, export_request
from dispatch.exports.writers import CONTENT_TYPES, csv_chunks, xlsx_tempfile
from dispatch.models import ExportState, ExportSurface

from .access import command_required, export_required, handler_required, page


def _stream(export: ExportStream):
    """Send a small export as it is written: CSV row by row; XLSX from a temporary file (write-only workbook)."""
    if export.format == "csv":
        response = StreamingHttpResponse(csv_chunks(export.header, export.rows), content_type=CONTENT_TYPES["csv"])
        response["Content-Disposition"] = content_disposition_header(True, export.filename)
    else:
        target = xlsx_tempfile(export.header, export.rows, title=export.title)
        response = FileResponse(
            target, as_attachment=True, filename=export.filename, content_type=CONTENT_TYPES["xlsx"]
        )
    response["Cache-Control"] = "private, no-store"
    return response


def _export(request, surface, back):
    params, fmt = export_params(request.GET), request.GET.get("format", "")
    try:
        result = export_request(user=request.user, surface=surface, fmt=fmt, params=params, language=get_language())
    except ValidationError as error:
        messages.error(request, _("The export was not made: %(reason)s") % {"reason": " ".join(error.messages)})
        return redirect(back)
    if isinstance(result, ExportStream):
        return _stream(result)
    messages.info(
        request,
        _("The list has %(n)s cases: it is exported in the background and can be downloaded here when it is ready.")
        % {"n": result.rows_total},
    )
    return redirect(reverse("export-list") + f"#export-{result.pk}")


@command_required
@page
@require_GET
def command_export(request):
    """The command centre's current tab and filters, in the user's scope, as CSV or XLSX (?format=)."""
    query = request.GET.copy()
    query.pop("format", None)
    back = reverse("command-centre") + (f"?{query.urlencode()}" if query else "")
    return _export(request, ExportSurface.COMMAND, back)


@handler_required
@page
@require_GET
def dept_export(request):
    """The department board's cases as CSV or XLSX (?format=)."""
    return _export(request, ExportSurface.DEPARTMENT, reverse("dept-workspace"))


@export_required
@page
@require_GET
def export_list(request):
    """The user's own exports, newest first; unfinished ones poll their status."""
    jobs = export_list_for_user(user=request.user)
    context = {"jobs": jobs, "open_states": _open_states(), "keep_hours": settings.EXPORT_KEEP_HOURS}
    return render(request, "exports/list.html", context)


def _open_states():
    return (ExportState.PENDING, ExportState.RUNNING)


def _own(request, pk):
    job = export_for_owner(user=request.user, export_id=pk)
    if job is None:
        raise Http404(_("No such export."))
    return job


@export_required
@require_GET
def export_status(request, pk):
    """One export's progress (htmx polls it every 2 s until it is ready or failed)."""
    job = _own(request, pk)
    return render(request, "exports/_job.html", {"job": job, "open_states": _open_states()})


@export_required
@require_GET
def export_download(request, pk):
    """The finished file, to its owner only (404 for anyone else, and once it has expired)."""
    job = _own(request, pk)
    if job.state != ExportState.DONE or not job.file:
        raise Http404(_("This export is not ready or has expired."))
    try:
        handle = job.file.open("rb")
    except FileNotFoundError:
        raise Http404(_("This export is not ready or has expired.")) from None
    filename = export_filename(job.surface, job.params, job.format, job.created_at)
    response = FileResponse(handle, as_attachment=True, filename=filename, content_type=CONTENT_TYPES[job.format])
    response["Cache-Control"] = "private, no-store"
    return response
