"""The working-time calendar: per-date overrides and daily working periods with validity dates."""

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _


class DayKind(models.TextChoices):
    HOLIDAY = "holiday", _("Holiday (no work)")
    WORKDAY = "workday", _("Working day (incl. make-up day)")


class CalendarDay(models.Model):
    """An exception to the Monday–Friday rule: a holiday on a weekday or a make-up working day (调休)."""

    date = models.DateField(_("date"), unique=True)
    kind = models.CharField(_("kind"), max_length=10, choices=DayKind.choices)
    name = models.CharField(_("name"), max_length=40, blank=True)
    source = models.CharField(_("source"), max_length=20, default="manual")

    class Meta:
        verbose_name = _("calendar day")
        verbose_name_plural = _("calendar days")
        ordering = ["date"]

    def __str__(self):
        return f"{self.date} {self.get_kind_display()} {self.name}".strip()


class CalendarYear(models.Model):
    """A year whose official holiday schedule is loaded; deadlines in other years are flagged loudly."""

    year = models.PositiveSmallIntegerField(_("year"), unique=True)
    source = models.CharField(_("source"), max_length=40, default="manual")
    loaded_at = models.DateTimeField(_("loaded at"), auto_now=True)

    class Meta:
        verbose_name = _("holiday schedule year")
        verbose_name_plural = _("holiday schedule years")
        ordering = ["year"]

    def __str__(self):
        return str(self.year)


class WorkingPeriod(models.Model):
    """One daily working period (e.g. 08:30–12:00), valid between two dates (seasonal office hours)."""

    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    start = models.TimeField(_("start"))
    end = models.TimeField(_("end"))

    class Meta:
        verbose_name = _("working period")
        verbose_name_plural = _("working periods")
        ordering = ["valid_from", "start"]
        constraints = [
            models.CheckConstraint(name="working_period_start_before_end", condition=Q(start__lt=F("end"))),
            models.CheckConstraint(
                name="working_period_valid_range", condition=Q(valid_to__isnull=True) | Q(valid_to__gte=F("valid_from"))
            ),
        ]

    def __str__(self):
        return f"{self.start:%H:%M}–{self.end:%H:%M} ({self.valid_from}–{self.valid_to or '…'})"
