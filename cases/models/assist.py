"""协办 and 吹哨报到: the parts assisting departments owe a case, and the departments a street office summons to it.

Both are overlays on a case (its status does not change) with their own small state; every step also writes a
case event, so it shows on the timeline, in the live feed and in the assessment.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class PartState(models.TextChoices):
    OPEN = "open", _("Awaiting the part")
    DONE = "done", _("Part given")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class AssistPartQuerySet(models.QuerySet):
    def open(self):
        return self.filter(state=PartState.OPEN)

    def reopen_for(self, *, case, departments, now):
        """Withdraw the case's open parts and open one for each of `departments` (a dispatch or re-dispatch).

        Runs in the dispatching transaction, so the parts exist exactly when the case is dispatched with them.
        """
        self.filter(case=case, state=PartState.OPEN).update(state=PartState.WITHDRAWN)
        return self.bulk_create([self.model(case=case, department=d, opened_at=now) for d in departments])

    def withdraw_for(self, *, case):
        """The case left its departments (a return was approved): their open parts lapse."""
        return self.filter(case=case, state=PartState.OPEN).update(state=PartState.WITHDRAWN)


class AssistPart(models.Model):
    """What one assisting department (协办单位) owes a dispatched case: its part of the work and a feedback on it."""

    case = models.ForeignKey(
        "cases.Case", on_delete=models.CASCADE, related_name="assist_parts", verbose_name=_("case")
    )
    department = models.ForeignKey(
        "grids.Department", on_delete=models.PROTECT, related_name="assist_parts", verbose_name=_("department")
    )
    state = models.CharField(_("state"), max_length=10, choices=PartState.choices, default=PartState.OPEN)
    opened_at = models.DateTimeField(_("opened at"))
    feedback = models.TextField(_("feedback"), blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("answered by"),
    )
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)

    objects = AssistPartQuerySet.as_manager()

    class Meta:
        verbose_name = _("assisting department's part")
        verbose_name_plural = _("assisting departments' parts")
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(name="assist_part_state_valid", condition=Q(state__in=PartState.values)),
            models.CheckConstraint(
                name="assist_part_done_answered",
                condition=~Q(state=PartState.DONE) | Q(answered_at__isnull=False, answered_by__isnull=False),
            ),
            # One part waiting per department and case; a re-dispatch withdraws the old ones first.
            models.UniqueConstraint(
                fields=["case", "department"], condition=Q(state=PartState.OPEN), name="assist_part_one_open"
            ),
        ]
        indexes = [
            # The department board reads the open parts of a few departments.
            models.Index(fields=["department", "case"], condition=Q(state=PartState.OPEN), name="assist_part_open"),
        ]

    def __str__(self):
        return f"{self.case_id} · {self.department_id} · {self.state}"


class SummonsState(models.TextChoices):
    OPEN = "open", _("Awaiting report")
    REPORTED = "reported", pgettext_lazy("summons state", "Reported")
    OVERDUE = "overdue", _("Report overdue")


# An overdue summons can still be answered (late); a reported one is settled.
REPORTABLE_STATES = frozenset({SummonsState.OPEN, SummonsState.OVERDUE})


class Whistle(models.Model):
    """A street office blows the whistle (吹哨) on a case it cannot solve alone and summons departments."""

    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="whistles", verbose_name=_("case"))
    department = models.ForeignKey(
        "grids.Department", on_delete=models.PROTECT, related_name="+", verbose_name=_("street office")
    )
    blown_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("blown by")
    )
    blown_at = models.DateTimeField(_("blown at"))
    note = models.TextField(_("note"))

    class Meta:
        verbose_name = _("whistle (吹哨)")
        verbose_name_plural = _("whistles (吹哨)")
        ordering = ["-id"]

    def __str__(self):
        return f"{self.case_id} · {self.blown_at:%Y-%m-%d %H:%M}"


class Summons(models.Model):
    """One department summoned by a whistle, which must report (报到) by `deadline` (working time)."""

    whistle = models.ForeignKey(Whistle, on_delete=models.CASCADE, related_name="summonses", verbose_name=_("whistle"))
    # The case again, so that "cases a department is summoned to" is one indexed lookup (visibility, the board).
    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="summonses", verbose_name=_("case"))
    department = models.ForeignKey(
        "grids.Department", on_delete=models.PROTECT, related_name="summonses", verbose_name=_("department")
    )
    state = models.CharField(_("state"), max_length=10, choices=SummonsState.choices, default=SummonsState.OPEN)
    deadline = models.DateTimeField(_("report by"))
    note = models.TextField(_("report"), blank=True)
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("reported by"),
    )
    reported_at = models.DateTimeField(_("reported at"), null=True, blank=True)
    overdue_at = models.DateTimeField(_("went overdue at"), null=True, blank=True)

    class Meta:
        verbose_name = _("summons (报到)")
        verbose_name_plural = _("summonses (报到)")
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["whistle", "department"], name="summons_once_per_whistle"),
            models.CheckConstraint(name="summons_state_valid", condition=Q(state__in=SummonsState.values)),
            models.CheckConstraint(
                name="summons_reported_has_reporter",
                condition=~Q(state=SummonsState.REPORTED) | Q(reported_at__isnull=False, reported_by__isnull=False),
            ),
        ]
        indexes = [
            # The sweep reads only open summonses by deadline: the partial index holds just those rows.
            models.Index(fields=["deadline"], condition=Q(state=SummonsState.OPEN), name="summons_open_deadline"),
            models.Index(fields=["department", "case"], name="summons_department_case"),
        ]

    def __str__(self):
        return f"{self.case_id} · {self.department_id} · {self.state}"
