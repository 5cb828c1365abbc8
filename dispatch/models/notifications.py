"""Notifications: the in-app inbox, and the outbox through which email and SMS copies are delivered."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class NotificationKind(models.TextChoices):
    WORK = "work", _("New work in your queue")
    WARNING = "warning", _("Deadline warning")
    OVERDUE = "overdue", _("Overdue")
    ESCALATION = "escalation", _("Escalation")
    ORDER = "order", _("Supervision order")
    ORDER_REPLY = "order_reply", _("Reply to a supervision order")
    ORDER_OVERDUE = "order_overdue", _("Supervision order unanswered")
    DECISION = "decision", _("Decision on your request")
    URGE = "urge", _("Urged by the command centre (催办)")
    REDISPATCH = "redispatch", _("Case re-dispatched (改派)")
    EMERGENCY = "emergency", _("Emergency")


# Only these also go out by email and SMS; everything is always in the in-app inbox.
URGENT_KINDS = frozenset(
    {
        NotificationKind.OVERDUE,
        NotificationKind.ESCALATION,
        NotificationKind.ORDER,
        NotificationKind.ORDER_OVERDUE,
        NotificationKind.URGE,
        NotificationKind.EMERGENCY,
    }
)


class Notification(models.Model):
    """One message in a user's in-app inbox, about one case event."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications", verbose_name=_("user")
    )
    kind = models.CharField(_("kind"), max_length=15, choices=NotificationKind.choices)
    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="+", verbose_name=_("case"))
    event = models.ForeignKey("cases.CaseEvent", on_delete=models.CASCADE, related_name="+", verbose_name=_("event"))
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-id"]
        constraints = [
            # Signals arrive at least once: a second delivery of the same event inserts nothing.
            models.UniqueConstraint(fields=["user", "event", "kind"], name="notification_once_per_event"),
            models.CheckConstraint(name="notification_kind_valid", condition=Q(kind__in=NotificationKind.values)),
        ]
        indexes = [
            models.Index(fields=["user", "-id"], name="notification_user_id"),
            # The unread badge is polled by every open page: count only the (few) unread rows.
            models.Index(fields=["user"], condition=Q(read_at__isnull=True), name="notification_unread"),
        ]

    def __str__(self):
        return f"{self.user_id} · {self.kind} · {self.title}"


class NotificationPreference(models.Model):
    """A user's choice of channels for one notification kind; without a row the kind's default applies.

    The in-app inbox always receives every notification; only the email and SMS copies are chosen here. The
    default (no row) is email and SMS for the urgent kinds only (URGENT_KINDS).
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notification_preferences",
        verbose_name=_("user"),
    )
    kind = models.CharField(_("kind"), max_length=15, choices=NotificationKind.choices)
    email = models.BooleanField(_("email"))
    sms = models.BooleanField(_("SMS"))

    class Meta:
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")
        constraints = [models.UniqueConstraint(fields=["user", "kind"], name="notification_preference_once")]

    def __str__(self):
        return f"{self.user_id} · {self.kind} · email={self.email} sms={self.sms}"


def channel_defaults(kind) -> dict:
    """The channels a kind goes out by when the user has not chosen: email and SMS for the urgent kinds."""
    urgent = kind in URGENT_KINDS
    return {"email": urgent, "sms": urgent}


class Channel(models.TextChoices):
    EMAIL = "email", _("Email")
    SMS = "sms", _("SMS")


class OutboxState(models.TextChoices):
    PENDING = "pending", pgettext_lazy("outbox state", "Pending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


def outbox_key() -> str:
    """The idempotency key of a message written without a more meaningful one (the admin, a one-off)."""
    return f"outbox:{uuid.uuid4().hex}"


class OutboxMessage(models.Model):
    """An email or SMS waiting to go out; retried with exponential backoff, then marked failed.

    `key` names the message for good: "notification:<id>:<channel>" for a notification's copy, "emergency:<case>:
    <phone>" for a duty phone's alert. Writers insert with ON CONFLICT DO NOTHING, so a retried fan-out never writes
    a second row, and every attempt hands the same key to the gateway (Idempotency-Key, the email's Message-ID), so a
    gateway that honours it sends a retried message once even when an earlier attempt's outcome was unknown.
    """

    notification = models.ForeignKey(
        Notification,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="outbox",
        verbose_name=_("notification"),
    )
    channel = models.CharField(_("channel"), max_length=5, choices=Channel.choices)
    recipient = models.CharField(_("recipient"), max_length=254, help_text=_("Email address or phone number."))
    subject = models.CharField(_("subject"), max_length=200, blank=True)
    body = models.TextField(_("text"))
    key = models.CharField(_("idempotency key"), max_length=100, unique=True, default=outbox_key, editable=False)
    state = models.CharField(_("state"), max_length=10, choices=OutboxState.choices, default=OutboxState.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt at"))
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("outgoing message")
        verbose_name_plural = _("outbox")
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["notification", "channel"],
                condition=Q(notification__isnull=False),
                name="outbox_once_per_notification",
            ),
            models.CheckConstraint(name="outbox_state_valid", condition=Q(state__in=OutboxState.values)),
            models.CheckConstraint(name="outbox_channel_valid", condition=Q(channel__in=Channel.values)),
        ]
        indexes = [
            # The delivery task polls for due pending rows every few seconds: the partial index holds only
            # those, so a poll with nothing to send is one probe however large the sent history grows.
            models.Index(fields=["next_attempt_at"], condition=Q(state=OutboxState.PENDING), name="outbox_pending_due"),
            models.Index(fields=["state", "-id"], name="outbox_state_id"),
        ]

    def __str__(self):
        return f"{self.channel} → {self.recipient} ({self.state})"


class EmergencyAlert(models.Model):
    """An emergency case's alert, sent once: to the city shift leads (no department) or to one department's duty.

    Inserting the row is the claim on the alert (unique per case and department, a missing department counting
    as one value), so re-dispatching to the same department, a repeated event or a retried routing run never
    alerts twice; a new department's duty is alerted when the case reaches it.
    """

    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="+", verbose_name=_("case"))
    department = models.ForeignKey(
        "grids.Department",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("department"),
    )
    event = models.ForeignKey("cases.CaseEvent", on_delete=models.CASCADE, related_name="+", verbose_name=_("event"))
    users = models.PositiveIntegerField(_("people told"), default=0)
    phone = models.CharField(_("duty phone"), max_length=30, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("emergency alert")
        verbose_name_plural = _("emergency alerts")
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["case", "department"], nulls_distinct=False, name="emergency_alert_once_per_target"
            )
        ]

    def __str__(self):
        return f"{self.case_id} · {self.department_id or 'shift leads'}"
