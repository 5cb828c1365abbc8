"""Exports of a work list (the command centre's tab and filters, the department board) made in the background."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class ExportFormat(models.TextChoices):
    CSV = "csv", "CSV"
    XLSX = "xlsx", "XLSX"


class ExportSurface(models.TextChoices):
    COMMAND = "command", _("Command centre")
    DEPARTMENT = "dept", _("Department workspace")


class ExportState(models.TextChoices):
    PENDING = "pending", pgettext_lazy("export state", "Waiting")
    RUNNING = "running", pgettext_lazy("export state", "Being written")
    DONE = "done", pgettext_lazy("export state", "Ready")
    FAILED = "failed", pgettext_lazy("export state", "Failed")
    EXPIRED = "expired", pgettext_lazy("export state", "Expired")


# States a worker or the sweep may still have to carry on.
OPEN_EXPORT_STATES = (ExportState.PENDING, ExportState.RUNNING)


class Export(models.Model):
    """One export job: who asked, the list it selects (re-read in the owner's scope when it runs), its progress and
    its file. Written in the same transaction as the request; a worker claims it with a conditional UPDATE."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="exports", verbose_name=_("requested by")
    )
    surface = models.CharField(_("list"), max_length=10, choices=ExportSurface.choices)
    # The list's query as given (tab, filters, command level): validated again, in the owner's scope, by the worker.
    params = models.JSONField(_("filters"), default=dict, blank=True)
    language = models.CharField(max_length=10, default=settings.LANGUAGE_CODE)
    format = models.CharField(_("format"), max_length=4, choices=ExportFormat.choices)
    state = models.CharField(_("state"), max_length=10, choices=ExportState.choices, default=ExportState.PENDING)
    rows_done = models.PositiveIntegerField(_("rows written"), default=0)
    rows_total = models.PositiveIntegerField(_("rows"), null=True, blank=True)
    file = models.FileField(_("file"), upload_to="exports/%Y/%m/", blank=True)
    # Each claim increments it; a worker writes progress only while the count is still its own, so a job taken
    # over after its lease ran out is never finished twice.
    attempts = models.PositiveSmallIntegerField(default=0, editable=False)
    lease_until = models.DateTimeField(null=True, blank=True, editable=False)
    error = models.TextField(_("error"), blank=True)
    created_at = models.DateTimeField(_("requested at"))
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    expires_at = models.DateTimeField(_("file kept until"), null=True, blank=True)

    class Meta:
        verbose_name = _("export")
        verbose_name_plural = _("exports")
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["user", "-id"], name="export_user_id"),
            # The sweep looks only at unfinished jobs and at files still kept: the partial indexes hold just those.
            models.Index(fields=["created_at"], name="export_open", condition=Q(state__in=OPEN_EXPORT_STATES)),
            models.Index(fields=["expires_at"], name="export_kept", condition=Q(state="done")),
        ]

    def __str__(self):
        return f"{self.get_surface_display()} {self.format} #{self.pk}"

    @property
    def percent(self):
        if not self.rows_total:
            return 100 if self.state == ExportState.DONE else 0
        return min(100, round(100 * self.rows_done / self.rows_total))
