"""Supervision orders (督办, and the formal published 挂牌督办): an overlay on a case with its own reply deadline."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class OrderState(models.TextChoices):
    OPEN = "open", _("Awaiting reply")
    REPLIED = "replied", _("Replied")
    OVERDUE = "overdue", _("Reply overdue")
    WITHDRAWN = "withdrawn", _("Withdrawn")


# An overdue order can still be answered (late); a replied or withdrawn one is settled.
ANSWERABLE_STATES = frozenset({OrderState.OPEN, OrderState.OVERDUE})


class SupervisionOrder(models.Model):
    """A leader's order on a case that the department must answer by `reply_deadline` (working time)."""

    case = models.ForeignKey(
        "cases.Case", on_delete=models.PROTECT, related_name="supervision_orders", verbose_name=_("case")
    )
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("issued by")
    )
    issued_at = models.DateTimeField(_("issued at"))
    note = models.TextField(_("order"))
    reply_hours = models.DecimalField(_("working hours to reply"), max_digits=6, decimal_places=2)
    reply_deadline = models.DateTimeField(_("reply deadline"))
    formal = models.BooleanField(
        _("formal (挂牌督办)"),
        default=False,
        help_text=_("The formal, published form, for serious overdue or repeated problems."),
    )
    state = models.CharField(_("state"), max_length=10, choices=OrderState.choices, default=OrderState.OPEN)
    reply = models.TextField(_("reply"), blank=True)
    replied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("replied by"),
    )
    replied_at = models.DateTimeField(_("replied at"), null=True, blank=True)
    overdue_at = models.DateTimeField(_("went overdue at"), null=True, blank=True)
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)

    class Meta:
        verbose_name = _("supervision order")
        verbose_name_plural = _("supervision orders")
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(name="order_state_valid", condition=Q(state__in=OrderState.values)),
            models.CheckConstraint(name="order_reply_hours_positive", condition=Q(reply_hours__gt=0)),
            models.CheckConstraint(
                name="order_replied_has_reply",
                condition=~Q(state=OrderState.REPLIED) | Q(replied_at__isnull=False, replied_by__isnull=False),
            ),
        ]
        indexes = [
            # The sweep reads only open orders by deadline: the partial index holds just those rows.
            models.Index(fields=["reply_deadline"], condition=Q(state=OrderState.OPEN), name="order_open_deadline"),
            models.Index(fields=["state", "-id"], name="order_state_id"),
        ]

    def __str__(self):
        return f"{self.case_id} · {self.get_state_display()}"
