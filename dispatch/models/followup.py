"""The follow-up outbox: the work a committed change causes, written in the change's own transaction.

A transition's routing proposal and auto-dispatch, its notifications, a sweep batch's lifts and notices: each is
a row here, inserted with the event that causes it, so a process that dies right after the commit loses nothing.
A task on the `followup` queue carries the rows out right after the commit (dispatch.followup); the repair sweep
(beat) takes every row whose work was never done or whose claim ran out.
"""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class FollowUpKind(models.TextChoices):
    ROUTE = "route", _("Routing proposal and auto-dispatch")
    NOTIFY_TRANSITION = "notify_transition", _("Notifications of a transition")
    NOTIFY_ASSIST = "notify_assist", _("Notifications of assisting work (协办)")
    NOTIFY_ORDER = "notify_order", _("Notifications of a supervision order")
    NOTIFY_WHISTLE = "notify_whistle", _("Notifications of a whistle (吹哨)")
    TIMERS = "timers", _("Lifts and notifications of fired timers")


class FollowUpState(models.TextChoices):
    PENDING = "pending", pgettext_lazy("follow-up state", "Pending")
    DONE = "done", pgettext_lazy("follow-up state", "Done")
    FAILED = "failed", pgettext_lazy("follow-up state", "Failed")


class FollowUp(models.Model):
    """One piece of work a committed event causes; carried out once (the handler's effects commit with `done`)."""

    kind = models.CharField(_("kind"), max_length=20, choices=FollowUpKind.choices)
    payload = models.JSONField(_("payload"), default=dict, blank=True)
    # No foreign keys: the row is written in the hot path of every transition and of the sweep (a timer batch's
    # events are inserted by the same statement), and it outlives nothing it points at (cases are never deleted).
    case_id = models.BigIntegerField(_("case"), null=True, blank=True)
    event_id = models.BigIntegerField(_("event"), null=True, blank=True)
    key = models.CharField(_("idempotency key"), max_length=80, unique=True)
    state = models.CharField(_("state"), max_length=10, choices=FollowUpState.choices, default=FollowUpState.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    # When the repair sweep may take the row: a grace period after it was written (the fast path runs it at
    # once), then the back-off after a failure.
    next_attempt_at = models.DateTimeField(_("next attempt at"))
    claimed_until = models.DateTimeField(_("claimed until"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created at"))
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)

    class Meta:
        verbose_name = _("follow-up")
        verbose_name_plural = _("follow-ups")
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(name="followup_state_valid", condition=Q(state__in=FollowUpState.values)),
            models.CheckConstraint(name="followup_kind_valid", condition=Q(kind__in=FollowUpKind.values)),
        ]
        indexes = [
            # The repair sweep's probe and the age of the oldest pending row: only pending rows (normally few).
            models.Index(fields=["next_attempt_at"], condition=Q(state="pending"), name="followup_pending_due"),
            models.Index(fields=["id"], condition=Q(state="pending"), name="followup_pending_id"),
            # A row waits for the earlier pending rows of its event (routing before the notification).
            models.Index(fields=["event_id"], condition=Q(state="pending"), name="followup_pending_event"),
            models.Index(fields=["id"], condition=Q(state="failed"), name="followup_failed"),
        ]

    def __str__(self):
        return f"{self.kind} · {self.key} ({self.state})"
