from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .querysets import PostingQuerySet


class User(AbstractUser):
    """A person who signs in; what they may do comes from their postings."""

    full_name = models.CharField(_("full name"), max_length=60, blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)

    def __str__(self):
        return self.full_name or self.username


class Role(models.TextChoices):
    GRID_WORKER = "grid_worker", _("Grid worker")
    OPERATOR = "operator", _("Operator")
    SHIFT_LEAD = "shift_lead", _("Shift lead")
    DISPATCHER = "dispatcher", _("Dispatcher")
    HANDLER = "handler", _("Department handler")
    LEADER = "leader", _("Leader")
    ASSESSOR = "assessor", _("Assessor")
    ADMINISTRATOR = "administrator", _("Administrator")


# Handlers act for a department; every other role works over a region subtree.
DEPARTMENT_ROLES = frozenset({Role.HANDLER})


class Posting(models.Model):
    """Binds a user and a role to a region subtree or to a department, for a period."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="postings", verbose_name=_("user"))
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    region = models.ForeignKey(
        "grids.Region",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="postings",
        verbose_name=_("region"),
    )
    department = models.ForeignKey(
        "grids.Department",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="postings",
        verbose_name=_("department"),
    )
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_to = models.DateField(_("valid to"), null=True, blank=True)

    objects = PostingQuerySet.as_manager()

    class Meta:
        verbose_name = _("posting")
        verbose_name_plural = _("postings")
        constraints = [
            models.CheckConstraint(
                name="posting_region_xor_department",
                condition=(
                    Q(region__isnull=False, department__isnull=True) | Q(region__isnull=True, department__isnull=False)
                ),
            ),
            # Handlers act for a department and only handlers do: every scope rule reads postings this way.
            models.CheckConstraint(
                name="posting_department_iff_handler",
                condition=Q(role=Role.HANDLER, department__isnull=False)
                | (~Q(role=Role.HANDLER) & Q(department__isnull=True)),
            ),
            # One of region and department is always NULL, and NULLs are distinct by default, so a plain unique
            # constraint never fires. NULLS NOT DISTINCT (PostgreSQL 15+) makes it one rule over both kinds of
            # posting, and model validation (admin forms) checks it the same way; two partial constraints would
            # say the same twice and need the check constraints above to be read together with them.
            models.UniqueConstraint(
                fields=["user", "role", "region", "department"], name="posting_unique", nulls_distinct=False
            ),
        ]

    def __str__(self):
        return f"{self.user} · {self.get_role_display()} · {self.region or self.department}"


class SecurityEventKind(models.TextChoices):
    LOGIN_FAILED = "login_failed", _("Failed sign-in")
    LOCKED_OUT = "locked_out", _("Lockout")
    DENIED = "denied", _("Request refused (403)")
    POSTING_GRANTED = "posting_granted", _("Posting granted")
    POSTING_CHANGED = "posting_changed", _("Posting changed")
    POSTING_REMOVED = "posting_removed", _("Posting removed")
    ACCOUNT_CHANGED = "account_changed", _("Account changed")


class SecurityEvent(models.Model):
    """One security-relevant happening, kept for administrators: never edited, never deleted through the site."""

    at = models.DateTimeField(_("at"), default=timezone.now)
    kind = models.CharField(_("kind"), max_length=20, choices=SecurityEventKind.choices)
    # Names are copied as text beside the foreign keys so the record still says who after a user is deleted.
    actor = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("by")
    )
    username = models.CharField(_("username"), max_length=150, blank=True)
    subject = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("account")
    )
    ip_address = models.GenericIPAddressField(_("client address"), null=True, blank=True)
    method = models.CharField(_("method"), max_length=10, blank=True)
    path = models.CharField(_("path"), max_length=300, blank=True)
    detail = models.CharField(_("detail"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("security event")
        verbose_name_plural = _("security events")
        ordering = ["-at", "-pk"]
        # The admin lists newest first, filtered by kind.
        indexes = [models.Index(fields=["kind", "-at"], name="securityevent_kind_at")]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.get_kind_display()} {self.username}"
