"""The responsibility list (权责清单) and each case's routing: who handles it, which command centre dispatches it."""

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from cases.models import CategoryKind, CommandLevel

__all__ = ["CaseRouting", "CommandLevel", "ResponsibilityRule"]


class ResponsibilityRule(models.Model):
    """One line of the responsibility list: category × region subtree → lead (+ assisting), level, auto-dispatch.

    The most specific active rule wins (see `dispatch.services.routing.routing_propose`).
    """

    kind = models.CharField(
        _("kind"),
        max_length=1,
        choices=CategoryKind.choices,
        blank=True,
        help_text=_("Empty: both components and events. Follows the category when one is chosen."),
    )
    category = models.ForeignKey(
        "cases.Category",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="responsibility_rules",
        verbose_name=_("category"),
        help_text=_("A minor class, a whole major class, or empty for every category of the kind."),
    )
    region = models.ForeignKey(
        "grids.Region",
        on_delete=models.PROTECT,
        related_name="responsibility_rules",
        verbose_name=_("region"),
        help_text=_("The rule covers this region and everything inside it."),
    )
    lead_department = models.ForeignKey(
        "grids.Department",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="lead_rules",
        verbose_name=_("lead department"),
    )
    # One street-level row per category instead of 84: the lead is found from the case's own street.
    lead_street_office = models.BooleanField(
        _("lead is the street office of the case's street"),
        default=False,
        help_text=_("Instead of a fixed lead department: the office of the street or town the case lies in."),
    )
    assisting_departments = models.ManyToManyField(
        "grids.Department", blank=True, related_name="assisting_rules", verbose_name=_("assisting departments")
    )
    dispatch_level = models.CharField(
        _("dispatched by"), max_length=10, choices=CommandLevel.choices, default=CommandLevel.DISTRICT
    )
    auto_dispatch = models.BooleanField(
        _("auto-dispatch"), default=False, help_text=_("A filed case goes straight to the lead department.")
    )
    active = models.BooleanField(_("active"), default=True)
    note = models.CharField(_("note"), max_length=200, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("responsibility rule")
        verbose_name_plural = _("responsibility list")
        ordering = ["kind", "category__code", "region__path"]
        constraints = [
            # One rule per (kind, category, region): the key the CSV import updates by. Two partial constraints
            # because the category may be empty (NULLs are distinct in a plain unique constraint).
            models.UniqueConstraint(
                fields=["category", "region"], condition=Q(category__isnull=False), name="rule_unique_category_region"
            ),
            models.UniqueConstraint(
                fields=["kind", "region"], condition=Q(category__isnull=True), name="rule_unique_kind_region"
            ),
            models.CheckConstraint(
                name="rule_one_lead",
                condition=Q(lead_department__isnull=False, lead_street_office=False)
                | Q(lead_department__isnull=True, lead_street_office=True),
            ),
            models.CheckConstraint(name="rule_kind_valid", condition=Q(kind__in=["", *CategoryKind.values])),
        ]

    def __str__(self):
        what = f"{self.category.kind}{self.category.code}" if self.category_id else (self.kind or "*")
        return f"{what} @ {self.region.code}"

    def clean(self):
        if self.category_id:
            if self.kind and self.kind != self.category.kind:
                raise ValidationError({"kind": _("The kind must be the category's kind.")})
            self.kind = self.category.kind
        if bool(self.lead_department_id) == bool(self.lead_street_office):
            raise ValidationError(
                {"lead_department": _("Choose a lead department, or the street office of the case's street.")}
            )


class RoutingBasis(models.TextChoices):
    """What a proposal rests on: the responsibility list, or the owner of the facility the case is about."""

    LIST = "list", _("Responsibility list")
    OWNER = "owner", _("Owner of the facility (先属主)")


class CaseRouting(models.Model):
    """Where a case stands in two-level command: the proposal made when it was filed and whose queue it is in."""

    case = models.OneToOneField(
        "cases.Case", primary_key=True, on_delete=models.CASCADE, related_name="routing", verbose_name=_("case")
    )
    level = models.CharField(
        _("command level"), max_length=10, choices=CommandLevel.choices, default=CommandLevel.DISTRICT
    )
    rule = models.ForeignKey(
        ResponsibilityRule,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("rule applied"),
    )
    proposed_lead = models.ForeignKey(
        "grids.Department",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("proposed lead department"),
    )
    proposed_assisting = models.ManyToManyField(
        "grids.Department", blank=True, related_name="+", verbose_name=_("proposed assisting departments")
    )
    basis = models.CharField(_("basis"), max_length=10, choices=RoutingBasis.choices, default=RoutingBasis.LIST)
    auto_dispatch = models.BooleanField(_("rule says auto-dispatch"), default=False)
    auto_dispatched = models.BooleanField(_("dispatched automatically"), default=False)
    # The event (register or approved return) this proposal answers: a receiver that runs twice, or late,
    # compares ids and does nothing the second time.
    source_event = models.ForeignKey(
        "cases.CaseEvent", null=True, blank=True, on_delete=models.PROTECT, related_name="+", editable=False
    )
    proposed_at = models.DateTimeField(_("proposed at"), null=True, blank=True)
    escalated = models.BooleanField(_("escalated to the city"), default=False)
    escalated_at = models.DateTimeField(_("escalated at"), null=True, blank=True)

    class Meta:
        verbose_name = _("case routing")
        verbose_name_plural = _("case routings")
        constraints = [
            models.CheckConstraint(name="routing_level_valid", condition=Q(level__in=CommandLevel.values)),
            models.CheckConstraint(
                name="routing_escalated_is_city", condition=Q(escalated=False) | Q(level=CommandLevel.CITY)
            ),
        ]

    def __str__(self):
        return f"{self.case_id} · {self.get_level_display()}"
