"""The enforcement chain (DOMAIN §1, §9): a management case transferred (移送) to a law-enforcement body becomes an
enforcement sub-case that is confirmed or declined (违法确认), helped by other bodies (执法协作), decided within the
discretion standard (自由裁量权基准), possibly listed for supervision (挂牌督办), and reported back (办结反馈)."""

from django.conf import settings
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _

from accounts.models import Role
from accounts.scope import subtree_q, user_scope


class EnforcementState(models.TextChoices):
    TRANSFERRED = "transferred", _("Transferred, awaiting confirmation")
    DECLINED = "declined", _("Declined")
    CONFIRMED = "confirmed", _("Violation confirmed")
    COLLABORATING = "collaborating", _("In collaboration")
    DECIDED = "decided", _("Penalty decided")
    LISTED = "listed", _("Listed for supervision")
    RECTIFIED = "rectified", _("Rectification reported")
    VERIFIED = "verified", _("Rectification verified")
    FED_BACK = "fed_back", _("Result reported back")
    CLOSED = "closed", _("Closed")


# The states in which the chain no longer holds its source case back.
ENFORCEMENT_DONE = frozenset({EnforcementState.DECLINED, EnforcementState.FED_BACK, EnforcementState.CLOSED})
ENFORCEMENT_FINAL = frozenset({EnforcementState.DECLINED, EnforcementState.CLOSED})


class EnforcementStep(models.TextChoices):
    """The timed steps of the chain; each reads its limit from `EnforcementStepLimit`."""

    CONFIRM = "confirm", _("Confirmation (违法确认)")
    COLLABORATE = "collaborate", _("Collaboration part (执法协作)")
    DECIDE = "decide", _("Decision (处罚决定)")
    RECTIFY = "rectify", _("Rectification (整改)")
    VERIFY = "verify", _("Verification of the rectification")
    FEEDBACK = "feedback", _("Report back (办结反馈)")


# The step a chain in each state is timed on; the other states run no clock.
STEP_OF_STATE = {
    EnforcementState.TRANSFERRED: EnforcementStep.CONFIRM,
    EnforcementState.CONFIRMED: EnforcementStep.DECIDE,
    EnforcementState.COLLABORATING: EnforcementStep.DECIDE,
    EnforcementState.DECIDED: EnforcementStep.RECTIFY,
    EnforcementState.LISTED: EnforcementStep.RECTIFY,
    EnforcementState.RECTIFIED: EnforcementStep.VERIFY,
    EnforcementState.VERIFIED: EnforcementStep.FEEDBACK,
}


class EnforcementStepLimit(models.Model):
    """The time limit of one enforcement step, in working hours (admin-editable catalogue data, seeded)."""

    step = models.CharField(_("step"), max_length=12, choices=EnforcementStep.choices, unique=True)
    hours = models.DecimalField(_("working hours"), max_digits=7, decimal_places=2)

    class Meta:
        verbose_name = _("enforcement step limit")
        verbose_name_plural = _("enforcement step limits")
        ordering = ["step"]
        constraints = [models.CheckConstraint(name="enforcement_step_limit_positive", condition=Q(hours__gt=0))]

    def __str__(self):
        return f"{self.get_step_display()}: {self.hours} h"


class Circumstance(models.TextChoices):
    MINOR = "minor", _("Minor (轻微)")
    GENERAL = "general", _("General (一般)")
    SERIOUS = "serious", _("Serious (较重)")
    GRAVE = "grave", _("Grave (严重)")


class DiscretionStandard(models.Model):
    """One row of the discretion standard (自由裁量权基准): an offence in one circumstance → its fine range."""

    offence_code = models.CharField(_("offence code"), max_length=20)
    offence = models.CharField(_("offence"), max_length=80)
    legal_basis = models.CharField(_("legal basis"), max_length=200)
    circumstance = models.CharField(_("circumstance"), max_length=10, choices=Circumstance.choices)
    fine_min = models.DecimalField(_("lowest fine (yuan)"), max_digits=10, decimal_places=2)
    fine_max = models.DecimalField(_("highest fine (yuan)"), max_digits=10, decimal_places=2)
    measure = models.CharField(_("other measures"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("discretion standard")
        verbose_name_plural = _("discretion standards")
        ordering = ["offence_code", "fine_min"]
        constraints = [
            models.UniqueConstraint(fields=["offence_code", "circumstance"], name="discretion_offence_circumstance"),
            models.CheckConstraint(
                name="discretion_range_ordered", condition=Q(fine_min__gte=0) & Q(fine_min__lte=models.F("fine_max"))
            ),
        ]

    def __str__(self):
        return f"{self.offence} · {self.get_circumstance_display()}: {self.fine_min}–{self.fine_max}"


class EnforcementQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Chains the user may know exist: over their grids (the source case's), or their department's as the
        enforcement body, a collaborating body, the source case's lead department or the listed responsible body."""
        scope = user_scope(user)
        if scope.everything:
            return self.all()
        if not user.is_authenticated:
            return self.none()
        region_paths = [p for p, roles in scope.region_roles.items() if roles]
        q = subtree_q(region_paths, "region_path")
        departments = scope.department_ids(Role.HANDLER)
        if departments:
            tasks = CollaborationTask.objects.filter(enforcement=OuterRef("pk"), department__in=departments)
            q |= (
                Q(body__in=departments)
                | Q(source__lead_department__in=departments)
                | Q(listing__responsible__in=departments)
                | Exists(tasks)
            )
        return self.filter(q)

    def open(self):
        return self.exclude(state__in=ENFORCEMENT_FINAL)


class EnforcementCase(models.Model):
    """An enforcement sub-case of a management case: its own number, state, body, timed step and event log."""

    number = models.CharField(_("enforcement number"), max_length=24, unique=True)
    source = models.ForeignKey(
        "cases.Case", on_delete=models.PROTECT, related_name="enforcement_cases", verbose_name=_("source case")
    )
    body = models.ForeignKey(
        "grids.Department",
        on_delete=models.PROTECT,
        related_name="enforcement_cases",
        verbose_name=_("competent enforcement body"),
    )
    state = models.CharField(
        _("state"), max_length=15, choices=EnforcementState.choices, default=EnforcementState.TRANSFERRED
    )
    violation = models.CharField(_("suspected violation"), max_length=200)
    note = models.TextField(_("transfer note"), blank=True)
    party = models.ForeignKey(
        "cases.Party",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="enforcement_cases",
        verbose_name=_("party"),
    )
    # Set on confirmation (违法确认): the offence of the discretion standard and its legal basis.
    offence_code = models.CharField(_("offence code"), max_length=20, blank=True)
    legal_basis = models.CharField(_("legal basis"), max_length=200, blank=True)
    decline_reason = models.TextField(_("reason for declining"), blank=True)
    evidence = models.ManyToManyField("cases.CasePhoto", blank=True, related_name="+", verbose_name=_("evidence"))
    # Copy of the source case's region path: scope filters are one indexed prefix match.
    region_path = models.CharField(max_length=80, editable=False)
    # Whether the transfer stopped the source case's clock (its category's flag), so the result restarts it.
    source_clock_paused = models.BooleanField(default=False, editable=False)

    step = models.CharField(_("timed step"), max_length=12, choices=EnforcementStep.choices, blank=True)
    step_started_at = models.DateTimeField(_("step started"), null=True, blank=True)
    step_deadline = models.DateTimeField(_("step deadline"), null=True, blank=True)
    overdue = models.BooleanField(_("overdue"), default=False)

    transferred_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    transferred_at = models.DateTimeField(_("transferred at"), db_index=True)
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    fed_back_at = models.DateTimeField(_("reported back at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("ended at"), null=True, blank=True)

    objects = EnforcementQuerySet.as_manager()

    class Meta:
        verbose_name = _("enforcement case")
        verbose_name_plural = _("enforcement cases")
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(name="enforcement_state_valid", condition=Q(state__in=EnforcementState.values)),
        ]
        indexes = [
            models.Index(fields=["region_path"], name="enforcement_region", opclasses=["varchar_pattern_ops"]),
            models.Index(fields=["body", "state"], name="enforcement_body_state"),
            # The enforcement sweep reads only chains with a running, not yet overdue step.
            models.Index(
                fields=["step_deadline"],
                name="enforcement_step_due",
                condition=Q(step_deadline__isnull=False, overdue=False),
            ),
        ]

    def __str__(self):
        return self.number

    @property
    def is_final(self):
        return self.state in ENFORCEMENT_FINAL


class EnforcementEvent(models.Model):
    """An immutable row per step of the chain: its timeline and the assessment's input."""

    enforcement = models.ForeignKey(EnforcementCase, on_delete=models.PROTECT, related_name="events")
    action = models.CharField(_("action"), max_length=30)
    from_state = models.CharField(_("from"), max_length=15, blank=True)
    to_state = models.CharField(_("to"), max_length=15)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_role = models.CharField(_("role"), max_length=20, blank=True)
    at = models.DateTimeField(_("at"), db_index=True)
    note = models.TextField(_("note"), blank=True)
    data = models.JSONField(_("details"), default=dict, blank=True)
    # The step this action ended, its deadline and whether that was met (timeliness indicators).
    step = models.CharField(max_length=12, blank=True)
    step_deadline = models.DateTimeField(null=True, blank=True)
    step_met = models.BooleanField(null=True)
    department = models.ForeignKey(
        "grids.Department", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    region_path = models.CharField(max_length=80)

    class Meta:
        verbose_name = _("enforcement event")
        verbose_name_plural = _("enforcement events")
        ordering = ["id"]
        indexes = [models.Index(fields=["action", "at"], name="enforcement_event_action_at")]

    def __str__(self):
        return f"{self.enforcement_id} {self.action} {self.from_state}→{self.to_state}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("enforcement events are immutable")
        super().save(*args, **kwargs)


class TaskState(models.TextChoices):
    OPEN = "open", _("Open")
    DONE = "done", _("Done")


class CollaborationTask(models.Model):
    """A collaborating body's part of an enforcement case (执法协作), with its own limit and feedback."""

    enforcement = models.ForeignKey(EnforcementCase, on_delete=models.PROTECT, related_name="tasks")
    department = models.ForeignKey("grids.Department", on_delete=models.PROTECT, related_name="+")
    request = models.TextField(_("what is asked"))
    state = models.CharField(_("state"), max_length=5, choices=TaskState.choices, default=TaskState.OPEN)
    deadline = models.DateTimeField(_("deadline"))
    feedback = models.TextField(_("feedback"), blank=True)
    asked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    asked_at = models.DateTimeField()
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("collaboration task")
        verbose_name_plural = _("collaboration tasks")
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["enforcement", "department"], condition=Q(state="open"), name="collaboration_one_open"
            )
        ]

    def __str__(self):
        return f"{self.enforcement_id} → {self.department_id} ({self.state})"


class ApprovalState(models.TextChoices):
    NOT_NEEDED = "not_needed", _("Within the standard")
    PENDING = "pending", _("Awaiting a leader's approval")
    APPROVED = "approved", _("Approved by a leader")
    REFUSED = "refused", _("Refused by a leader")


class PenaltyDecision(models.Model):
    """A proposed penalty: within the discretion standard it stands; outside it needs a reason and a leader."""

    enforcement = models.ForeignKey(EnforcementCase, on_delete=models.PROTECT, related_name="decisions")
    standard = models.ForeignKey(DiscretionStandard, on_delete=models.PROTECT, related_name="+")
    circumstance = models.CharField(_("circumstance"), max_length=10, choices=Circumstance.choices)
    fine = models.DecimalField(_("fine (yuan)"), max_digits=10, decimal_places=2)
    within_standard = models.BooleanField(_("within the standard"))
    reason = models.TextField(_("reason for departing from the standard"), blank=True)
    approval = models.CharField(_("approval"), max_length=10, choices=ApprovalState.choices)
    proposed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    proposed_at = models.DateTimeField()
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("penalty decision")
        verbose_name_plural = _("penalty decisions")
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                name="penalty_outside_needs_reason", condition=Q(within_standard=True) | ~Q(reason="")
            ),
            models.UniqueConstraint(
                fields=["enforcement"], condition=Q(approval="pending"), name="penalty_one_pending"
            ),
        ]

    def __str__(self):
        return f"{self.enforcement_id}: {self.fine} ({self.approval})"


class EnforcementListing(models.Model):
    """A 挂牌督办 listing: who must rectify what by when, public or internal; lifted once rectification is verified."""

    enforcement = models.OneToOneField(EnforcementCase, on_delete=models.PROTECT, related_name="listing")
    responsible = models.ForeignKey(
        "grids.Department", on_delete=models.PROTECT, related_name="+", verbose_name=_("responsible body")
    )
    rectification = models.TextField(_("rectification demanded"))
    deadline = models.DateTimeField(_("rectification deadline"))
    public = models.BooleanField(_("published"), default=False)
    listed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    listed_at = models.DateTimeField(_("listed at"))
    lifted_at = models.DateTimeField(_("lifted at"), null=True, blank=True)

    class Meta:
        verbose_name = _("supervision listing")
        verbose_name_plural = _("supervision listings")
        ordering = ["-listed_at"]
        indexes = [models.Index(fields=["public"], name="listing_public_open", condition=Q(lifted_at__isnull=True))]

    def __str__(self):
        return f"{self.enforcement_id} listed {self.listed_at:%Y-%m-%d}"
