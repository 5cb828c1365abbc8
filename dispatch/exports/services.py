"""Write use-cases of exports: ask for one (streamed at once when small, a background job when large), run a job,
sweep the jobs a crash left behind and the files that expired.

A job is a row written in the same transaction as the request; the Celery task is only a nudge sent after commit.
Workers claim a job with a conditional UPDATE (pending, or running with its lease run out) and write progress only
while the claim is still theirs, so a job whose worker died is taken over by the sweep and never finished twice.
"""

import logging
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from dispatch.models import Export, ExportFormat, ExportState, ExportSurface

from .columns import export_rows, header
from .selection import export_queue, export_selection
from .writers import write_csv, write_xlsx

logger = logging.getLogger(__name__)

# The Celery queue of reports and exports (read by the reports worker, `-Q reports`; settings.CELERY_TASK_ROUTES).
EXPORT_QUEUE = "reports"
EXPORT_TASK = "dispatch.export_run"


class ClaimLost(Exception):
    """The job's lease ran out and another worker took it over: this run stops without writing."""


@dataclass
class ExportStream:
    """A small export, written while it is sent: its format, the file name, the header and the rows (lazy)."""

    format: str
    filename: str
    title: str
    header: list
    rows: Iterator


def export_title(surface, params) -> str:
    """The sheet's title: the list and, for the command centre, its tab."""
    if surface == ExportSurface.DEPARTMENT:
        return "dept"
    return f"command-{export_queue(params)}"


def export_filename(surface, params, fmt, now) -> str:
    return f"cases-{export_title(surface, params)}-{timezone.localtime(now):%Y%m%d-%H%M}.{fmt}"


def _check_format(fmt):
    if fmt not in ExportFormat.values:
        raise ValidationError({"format": [_("Choose CSV or XLSX.")]})


def export_request(*, user, surface: str, fmt: str, params: dict, language: str, now=None):
    """Export the list `params` select for `user`. Up to EXPORT_SYNC_MAX_ROWS rows: an ExportStream to send now;
    more: an Export job, written with its task's enqueue-on-commit. Raises ValidationError for bad filters or format,
    or when the user already has EXPORT_MAX_OPEN_PER_USER jobs waiting."""
    now = now or timezone.now()
    _check_format(fmt)
    qs = export_selection(user=user, surface=surface, params=params, now=now)
    total = qs.count()
    if total <= settings.EXPORT_SYNC_MAX_ROWS:
        rows = export_rows(qs, user=user, now=now, chunk_size=settings.EXPORT_CHUNK_ROWS)
        title = export_title(surface, params)
        return ExportStream(fmt, export_filename(surface, params, fmt, now), title, header(), rows)
    with transaction.atomic():
        # Lock the user's row so two quick clicks cannot both pass the limit.
        get_user_model().objects.select_for_update().filter(pk=user.pk).first()
        waiting = Export.objects.filter(user=user, state__in=[ExportState.PENDING, ExportState.RUNNING]).count()
        if waiting >= settings.EXPORT_MAX_OPEN_PER_USER:
            raise ValidationError(
                _("You already have %(n)s exports being prepared; wait until one is ready.") % {"n": waiting}
            )
        job = Export.objects.create(
            user=user, surface=surface, params=params, language=language, format=fmt, rows_total=total, created_at=now
        )
        transaction.on_commit(lambda: _enqueue(job.pk))
    return job


def _enqueue(export_id):
    """Nudge a worker. A lost message is harmless: the sweep runs a job still pending after the grace period."""
    from celery import current_app

    try:
        current_app.send_task(EXPORT_TASK, args=[export_id], queue=EXPORT_QUEUE)
    except Exception:  # the broker is down: the row is there, the sweep will find it
        logger.warning("export %s: could not enqueue; the sweep will run it", export_id, exc_info=True)


def _claim(export_id, now):
    lease = timedelta(seconds=settings.EXPORT_LEASE_SECONDS)
    claimable = Q(state=ExportState.PENDING) | Q(state=ExportState.RUNNING, lease_until__lt=now)
    claimed = Export.objects.filter(claimable, pk=export_id, attempts__lt=settings.EXPORT_MAX_ATTEMPTS)
    return claimed.update(
        state=ExportState.RUNNING, attempts=F("attempts") + 1, lease_until=now + lease, started_at=now, rows_done=0
    )


def export_run(*, export_id, now=None) -> str:
    """Claim the job and write its file (in its owner's scope and language as they are now). Returns "done",
    "failed", "lost" (taken over by another run) or "skipped" (not claimable: finished, or being written)."""
    now = now or timezone.now()
    if not _claim(export_id, now):
        return "skipped"
    job = Export.objects.select_related("user").get(pk=export_id)
    mine = Export.objects.filter(pk=job.pk, attempts=job.attempts, state=ExportState.RUNNING)
    lease = timedelta(seconds=settings.EXPORT_LEASE_SECONDS)

    def progress(done):
        # Also renews the lease: a long export that makes progress is never taken for dead.
        if not mine.update(rows_done=done, lease_until=timezone.now() + lease):
            raise ClaimLost

    name = ""
    try:
        with translation.override(job.language), tempfile.TemporaryFile() as target:
            done = _write(job, target, progress, now)
            target.seek(0)
            name = job.file.field.generate_filename(job, f"{uuid.uuid4().hex}.{job.format}")
            name = job.file.storage.save(name, File(target, name=name))
    except ClaimLost:
        return "lost"
    except ValidationError as error:  # the filters no longer hold in the owner's scope (e.g. a region left)
        _fail(mine, job, "; ".join(error.messages))
        return "failed"
    except Exception:
        logger.exception("export %s failed", job.pk)
        _fail(mine, job, None)
        return "failed"
    finished = timezone.now()
    keep = timedelta(hours=settings.EXPORT_KEEP_HOURS)
    ended = mine.update(
        state=ExportState.DONE, file=name, rows_done=done, finished_at=finished, expires_at=finished + keep
    )
    if not ended:
        job.file.storage.delete(name)
        return "lost"
    return "done"


def _write(job, target, progress, now):
    qs = export_selection(user=job.user, surface=job.surface, params=job.params, now=now)
    Export.objects.filter(pk=job.pk, attempts=job.attempts).update(rows_total=qs.count())
    every = settings.EXPORT_CHUNK_ROWS
    rows = export_rows(qs, user=job.user, now=now, chunk_size=every)
    if job.format == ExportFormat.XLSX:
        title = export_title(job.surface, job.params)
        return write_xlsx(target, header(), rows, title=title, progress=progress, every=every)
    return write_csv(target, header(), rows, progress=progress, every=every)


def _fail(mine, job, message):
    with translation.override(job.language):
        text = message or _("The export could not be written. Ask for it again.")
        text = _("The export failed: %(reason)s") % {"reason": text}
    mine.update(state=ExportState.FAILED, error=text, finished_at=timezone.now(), lease_until=None)


def exports_sweep(*, now=None, limit=None) -> dict:
    """The periodic work (beat, every EXPORT_SWEEP_SECONDS): run jobs left pending past the grace period or whose
    worker died (lease run out), give up on those out of attempts, and delete files past their keeping time."""
    now = now or timezone.now()
    limit = limit or settings.EXPORT_SWEEP_BATCH
    grace = now - timedelta(seconds=settings.EXPORT_PENDING_GRACE_SECONDS)
    dead = Q(state=ExportState.RUNNING, lease_until__lt=now)
    for job in Export.objects.filter(dead, attempts__gte=settings.EXPORT_MAX_ATTEMPTS):
        mine = Export.objects.filter(dead, pk=job.pk, attempts=job.attempts)
        with translation.override(job.language):
            _fail(mine, job, _("its worker stopped %(n)s times.") % {"n": job.attempts})
    orphans = list(
        Export.objects.filter(Q(state=ExportState.PENDING, created_at__lt=grace) | dead)
        .filter(attempts__lt=settings.EXPORT_MAX_ATTEMPTS)
        .order_by("created_at")
        .values_list("pk", flat=True)[:limit]
    )
    results = [export_run(export_id=pk) for pk in orphans]
    expired = 0
    for job in Export.objects.filter(state=ExportState.DONE, expires_at__lt=now):
        if Export.objects.filter(pk=job.pk, state=ExportState.DONE).update(state=ExportState.EXPIRED, file=""):
            if job.file:
                job.file.storage.delete(job.file.name)
            expired += 1
    return {"resumed": len(orphans), "done": results.count("done"), "expired": expired}
