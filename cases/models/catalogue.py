"""The 部件/事件 catalogue: categories, filing conditions and their time limits (all data, never code)."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class CategoryKind(models.TextChoices):
    COMPONENT = "C", _("Component (部件)")
    EVENT = "E", _("Event (事件)")


class Category(models.Model):
    """A 大类 (major, 2 digits) or a 小类 (minor, 4 digits; 5 in the newer series) of one kind."""

    kind = models.CharField(_("kind"), max_length=1, choices=CategoryKind.choices)
    code = models.CharField(_("code"), max_length=8)
    name = models.CharField(_("name"), max_length=40)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children", verbose_name=_("major class")
    )
    # Pinyin initials, so the mobile picker finds 暴露垃圾 by "blj".
    initials = models.CharField(_("pinyin initials"), max_length=20, blank=True)
    active = models.BooleanField(_("active"), default=True)
    # While a case of this category waits for an enforcement body (移送), its own clock stops or keeps running.
    enforcement_pauses_clock = models.BooleanField(
        _("enforcement transfer pauses the clock"),
        default=False,
        db_default=False,
        help_text=_("When ticked, a case transferred to an enforcement body waits with its clock stopped."),
    )

    class Meta:
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        ordering = ["kind", "code"]
        constraints = [models.UniqueConstraint(fields=["kind", "code"], name="category_unique_code")]

    def __str__(self):
        return f"{self.kind}{self.code} {self.name}"

    @property
    def is_major(self):
        return self.parent_id is None


class Clock(models.TextChoices):
    WORKING = "working", _("Working time")
    NATURAL = "natural", _("Natural time (7×24)")


class Urgency(models.TextChoices):
    EMERGENCY = "emergency", _("Emergency")
    URGENT = "urgent", _("Urgent")
    NORMAL = "normal", _("Normal")


# Only these need a handling limit in every filing condition; an emergency without its own row uses the urgent one
# (counted on the emergency's clock).
REQUIRED_URGENCIES = (Urgency.URGENT, Urgency.NORMAL)
FALLBACK_URGENCY = {Urgency.EMERGENCY: Urgency.URGENT}


def handling_urgencies(urgency: str) -> list[str]:
    """The urgencies whose handling limit applies to `urgency`, best first: its own, then its fallback."""
    return [urgency, FALLBACK_URGENCY[urgency]] if urgency in FALLBACK_URGENCY else [urgency]


class TimeUnit(models.TextChoices):
    WORKING_HOUR = "working_hour", _("working hours")
    WORKING_DAY = "working_day", _("working days")
    NATURAL_HOUR = "natural_hour", _("natural hours")
    NATURAL_MINUTE = "natural_minute", _("natural minutes")


class FilingCondition(models.Model):
    """A 立案条件 of a 小类 with its 结案条件; the clock type says whether limits run on working or natural time."""

    category = models.ForeignKey(
        Category, on_delete=models.PROTECT, related_name="filing_conditions", verbose_name=_("category")
    )
    name = models.CharField(_("name"), max_length=60)
    filing_text = models.TextField(_("filing condition"))
    closing_text = models.TextField(_("closing condition"))
    clock = models.CharField(_("clock"), max_length=10, choices=Clock.choices, default=Clock.WORKING)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("filing condition")
        verbose_name_plural = _("filing conditions")
        ordering = ["category", "position", "id"]
        constraints = [models.UniqueConstraint(fields=["category", "name"], name="filing_condition_unique_name")]

    def __str__(self):
        return f"{self.category.name} · {self.name}"


class TimeLimit(models.Model):
    """The handling-stage limit of a filing condition for one urgency and area class."""

    filing_condition = models.ForeignKey(
        FilingCondition, on_delete=models.CASCADE, related_name="time_limits", verbose_name=_("filing condition")
    )
    urgency = models.CharField(_("urgency"), max_length=10, choices=Urgency.choices)
    area_class = models.CharField(_("area class"), max_length=1, choices=[("1", _("Class 1")), ("2", _("Class 2"))])
    value = models.DecimalField(_("value"), max_digits=6, decimal_places=2)
    unit = models.CharField(_("unit"), max_length=15, choices=TimeUnit.choices)

    class Meta:
        verbose_name = _("time limit")
        verbose_name_plural = _("time limits")
        constraints = [
            models.UniqueConstraint(fields=["filing_condition", "urgency", "area_class"], name="time_limit_unique"),
            models.CheckConstraint(name="time_limit_positive", condition=Q(value__gt=0)),
        ]

    def __str__(self):
        return f"{self.value} {self.get_unit_display()}"


class Step(models.TextChoices):
    ACCEPT = "accept", _("Accept (受理)")
    VERIFY = "verify", _("Verify (核实)")
    REGISTER = "register", _("Register (立案)")
    DISPATCH = "dispatch", _("Dispatch (派遣)")
    CHECK = "check", _("Check (核查)")
    CLOSE = "close", _("Close (结案)")


class StepLimit(models.Model):
    """A time limit for one of the centre's own steps."""

    step = models.CharField(_("step"), max_length=10, choices=Step.choices, unique=True)
    value = models.DecimalField(_("value"), max_digits=6, decimal_places=2)
    unit = models.CharField(_("unit"), max_length=15, choices=TimeUnit.choices)

    class Meta:
        verbose_name = _("step time limit")
        verbose_name_plural = _("step time limits")
        constraints = [models.CheckConstraint(name="step_limit_positive", condition=Q(value__gt=0))]

    def __str__(self):
        return f"{self.get_step_display()}: {self.value} {self.get_unit_display()}"


class HandlingClock(models.TextChoices):
    CONDITION = "condition", _("As the filing condition says")
    WORKING = "working", _("Working time")
    NATURAL = "natural", _("Natural time (7×24)")


class UrgencyPolicy(models.Model):
    """How one urgency is timed: the clock of the centre's steps and of the handling, and whether it alerts at once.

    Read whenever a stage starts, so an edit applies to stages that start afterwards; running stages keep theirs.
    """

    urgency = models.CharField(_("urgency"), max_length=10, choices=Urgency.choices, unique=True)
    step_clock = models.CharField(
        _("clock of the centre's steps"),
        max_length=10,
        choices=Clock.choices,
        default=Clock.WORKING,
        help_text=_("Accept, verify, register, dispatch, check and close."),
    )
    handling_clock = models.CharField(
        _("clock of the handling"), max_length=10, choices=HandlingClock.choices, default=HandlingClock.CONDITION
    )
    alert = models.BooleanField(
        _("alert at once"),
        default=False,
        help_text=_(
            "Tell the city shift leads and the department's on-duty contact by SMS and inbox as soon as a case "
            "has this urgency."
        ),
    )

    class Meta:
        verbose_name = _("urgency policy")
        verbose_name_plural = _("urgency policies")
        ordering = ["id"]

    def __str__(self):
        return str(self.get_urgency_display())


class UrgencyStepLimit(models.Model):
    """A step limit of one urgency, in place of the general step limit (e.g. an emergency is accepted in 10 min)."""

    policy = models.ForeignKey(
        UrgencyPolicy, on_delete=models.CASCADE, related_name="step_limits", verbose_name=_("urgency policy")
    )
    step = models.CharField(_("step"), max_length=10, choices=Step.choices)
    value = models.DecimalField(_("value"), max_digits=6, decimal_places=2)
    unit = models.CharField(_("unit"), max_length=15, choices=TimeUnit.choices)

    class Meta:
        verbose_name = _("step time limit of an urgency")
        verbose_name_plural = _("step time limits of the urgency")
        constraints = [
            models.UniqueConstraint(fields=["policy", "step"], name="urgency_step_limit_unique"),
            models.CheckConstraint(name="urgency_step_limit_positive", condition=Q(value__gt=0)),
        ]

    def __str__(self):
        return f"{self.get_step_display()}: {self.value} {self.get_unit_display()}"
