"""Assessment schemes (versioned data), assessment runs of a period and the frozen result of each unit."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Subject(models.TextChoices):
    """What a scheme scores: a department, a region (community → street → district → city) or a post."""

    DEPARTMENT = "department", _("Department")
    REGION = "region", _("Region")
    GRID_WORKER = "grid_worker", _("Grid worker")
    OPERATOR = "operator", _("Operator")
    SHIFT_LEAD = "shift_lead", _("Shift lead")
    DISPATCHER = "dispatcher", _("Dispatcher")


POST_SUBJECTS = (Subject.GRID_WORKER, Subject.OPERATOR, Subject.SHIFT_LEAD, Subject.DISPATCHER)


class Scheme(models.Model):
    """A named way of scoring one subject; its rules live in immutable versions, the newest one in force."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=80)
    subject = models.CharField(_("subject"), max_length=12, choices=Subject.choices)
    description = models.TextField(_("description"), blank=True)
    # The scheme the freezing and the dashboard use for its subject; several may exist, one is primary.
    primary = models.BooleanField(_("primary for its subject"), default=False)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("assessment scheme")
        verbose_name_plural = _("assessment schemes")
        ordering = ["subject", "code"]
        constraints = [
            models.UniqueConstraint(
                fields=["subject"], condition=Q(primary=True), name="scheme_one_primary_per_subject"
            )
        ]

    def __str__(self):
        return self.name

    def current_version(self):
        return self.versions.order_by("-number").first()


class SchemeVersion(models.Model):
    """One immutable version of a scheme's rules; changing a scheme writes a new version.

    `components`: [{"indicator": name, "weight": 0.3, "mode": "rate" | "inverse" | "count"}]; weights add up to 1,
    the score is Σ weight × value on a 0–100 scale ("inverse" is 100 − rate, "count" maps the indicator's count
    through the thresholds). `thresholds`: {"default": [[max count, score], …], "above": score, "1": […], "2": […],
    "per_grid": bool}: the first bound the count does not exceed gives the score, else "above"; region schemes may
    give separate lists for 一类 ("1") and 二类 ("2") areas, and with "per_grid" compare the count per community.
    `grades`: [["A", 90], ["B", 75], …]: the first grade whose minimum the score reaches.
    """

    scheme = models.ForeignKey(Scheme, on_delete=models.PROTECT, related_name="versions", verbose_name=_("scheme"))
    number = models.PositiveIntegerField(_("version"))
    components = models.JSONField(_("components"))
    thresholds = models.JSONField(_("count thresholds"), default=dict, blank=True)
    grades = models.JSONField(_("grade bands"))
    note = models.CharField(_("what changed"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("scheme version")
        verbose_name_plural = _("scheme versions")
        ordering = ["scheme", "-number"]
        constraints = [models.UniqueConstraint(fields=["scheme", "number"], name="scheme_version_unique")]

    def __str__(self):
        return f"{self.scheme} v{self.number}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("scheme versions are immutable: write a new version")
        super().save(*args, **kwargs)

    def rules(self):
        """The plain rules the scoring reads."""
        return {"components": self.components, "thresholds": self.thresholds, "grades": self.grades}


class PeriodKind(models.TextChoices):
    DAY = "day", _("Day")
    WEEK = "week", _("Week")
    MONTH = "month", _("Month")
    QUARTER = "quarter", _("Quarter")
    YEAR = "year", _("Year")
    CUSTOM = "custom", _("Custom")


class RunKind(models.TextChoices):
    FREEZE = "freeze", _("Frozen at the period end")
    RECOMPUTE = "recompute", _("Recomputation")


class AssessmentRun(models.Model):
    """The results of one period as computed once: the freeze at its end, or a later recomputation.

    Runs are never changed or deleted; the newest run of a period is the one shown. A recomputation records who
    asked for it and why, and keeps every earlier run with its results.
    """

    period_kind = models.CharField(_("period"), max_length=10, choices=PeriodKind.choices)
    period_start = models.DateField(_("first day"))
    period_end = models.DateField(_("last day"))
    kind = models.CharField(_("kind"), max_length=10, choices=RunKind.choices)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("requested by"),
        help_text=_("Empty for the automatic freeze."),
    )
    reason = models.TextField(_("reason"), blank=True)
    computed_at = models.DateTimeField(_("computed at"))
    # The last case event the run read: a recomputation "as of" this run reads exactly the same events.
    last_event_id = models.BigIntegerField(_("last event read"))
    # The last patrol track point the run read (漏报率): points uploaded later, e.g. from a phone that was offline,
    # are left out of an "as of" recomputation and of the cases behind the run's figures. Empty: no bound.
    last_track_point_id = models.BigIntegerField(_("last track point read"), null=True, blank=True)
    # The last enforcement-chain event the run read (移送, 违法确认, 执法办结, 挂牌督办 figures). Empty: no bound.
    last_enforcement_event_id = models.BigIntegerField(_("last enforcement event read"), null=True, blank=True)
    as_of = models.DateTimeField(_("deadlines counted up to"))
    supersedes = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("replaces")
    )
    seconds = models.FloatField(_("computation time (s)"), default=0)
    # Figures the pages show besides the units' results, frozen with them: {"top_categories": {region code:
    # [[kind, code, name, count], …]}} for the city, every district and every street.
    extras = models.JSONField(_("other frozen figures"), default=dict, blank=True)

    class Meta:
        verbose_name = _("assessment run")
        verbose_name_plural = _("assessment runs")
        ordering = ["-period_start", "-id"]
        constraints = [
            # At most one automatic freeze per period: the beat task may run twice, the second finds it done.
            models.UniqueConstraint(
                fields=["period_kind", "period_start", "period_end"],
                condition=Q(kind="freeze"),
                name="assessment_run_one_freeze_per_period",
            ),
            models.CheckConstraint(
                name="assessment_run_recompute_has_reason",
                condition=Q(kind="freeze") | (Q(requested_by__isnull=False) & ~Q(reason="")),
            ),
        ]
        indexes = [
            models.Index(fields=["period_kind", "period_start", "period_end", "-id"], name="assessment_run_period")
        ]

    def __str__(self):
        return f"{self.get_period_kind_display()} {self.period_start}–{self.period_end} · {self.get_kind_display()}"


class UnitResult(models.Model):
    """The frozen result of one unit in one run: input counts, indicator values, score, grade, scheme version."""

    run = models.ForeignKey(AssessmentRun, on_delete=models.PROTECT, related_name="results")
    subject = models.CharField(_("subject"), max_length=12, choices=Subject.choices)
    department = models.ForeignKey(
        "grids.Department", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    region = models.ForeignKey("grids.Region", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    scheme_version = models.ForeignKey(SchemeVersion, on_delete=models.PROTECT, related_name="+")
    counts = models.JSONField(_("input counts"))
    values = models.JSONField(_("indicator values"))
    components = models.JSONField(_("score components"), default=dict)
    score = models.DecimalField(_("score"), max_digits=6, decimal_places=2, null=True)
    grade = models.CharField(_("grade"), max_length=4, blank=True)
    rank = models.PositiveIntegerField(_("rank"), null=True)

    class Meta:
        verbose_name = _("unit result")
        verbose_name_plural = _("unit results")
        ordering = ["run", "subject", "rank"]
        constraints = [
            models.CheckConstraint(
                name="unit_result_one_unit",
                condition=(
                    Q(department__isnull=False, region__isnull=True, user__isnull=True)
                    | Q(department__isnull=True, region__isnull=False, user__isnull=True)
                    | Q(department__isnull=True, region__isnull=True, user__isnull=False)
                ),
            ),
        ]
        indexes = [models.Index(fields=["run", "subject"], name="unit_result_run_subject")]

    def __str__(self):
        return f"{self.run_id} {self.subject} {self.department_id or self.region_id or self.user_id}: {self.score}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("frozen results are immutable")
        super().save(*args, **kwargs)


class RollupDay(models.Model):
    """One local day of the daily roll-ups (rollups/): when it was written and the last event ids it read."""

    day = models.DateField(_("day"), primary_key=True)
    last_event_id = models.BigIntegerField(_("last event read"))
    last_enforcement_event_id = models.BigIntegerField(_("last enforcement event read"))
    # How many case and enforcement events of the day it read: a different number now means late events.
    events = models.IntegerField(_("events read"), default=0)
    enforcement_events = models.IntegerField(_("enforcement events read"), default=0)
    computed_at = models.DateTimeField(_("computed at"))
    # Today's roll-up is written in parts as the day goes: its rows cover [day start, through); empty: the whole day.
    through = models.DateTimeField(_("through"), null=True, blank=True)

    class Meta:
        verbose_name = _("daily roll-up")
        verbose_name_plural = _("daily roll-ups")
        ordering = ["-day"]

    def __str__(self):
        return self.day.isoformat()


class DailyUnitCounts(models.Model):
    """A day's input counts of one department (department_id) or one grid (region_path), from the events of the day.

    `since` is empty for the day's own facts. A fact made true by an event of this day about an earlier event (a
    close about its feedback, a reply about its order, a chain's end about its transfer, the end of an overdue
    handling stage about its deadline) carries the earlier event's day (or the deadline's day) in `since`: a period
    counts it only when that day is in the period too (rollups/read.py).
    """

    day = models.DateField()
    since = models.DateField(null=True)
    department_id = models.IntegerField(null=True)
    region_path = models.CharField(max_length=80, blank=True)
    # Handling stages with their deadline on day `since` that ended on this day (超期未处置 of periods ending earlier).
    overdue_ended = models.IntegerField(default=0)

    class Meta:
        indexes = [
            models.Index(fields=["day"], name="daily_unit_counts_day"),
            # 超期未处置 of a period: stages with their deadline in it that ended on a later day (rollups/read.py).
            models.Index(fields=["since"], condition=Q(overdue_ended__gt=0), name="daily_unit_counts_overdue"),
        ]

    def __str__(self):
        return f"{self.day} {self.department_id or self.region_path} {self.since or ''}"


class DailyCategoryCounts(models.Model):
    """Cases filed on a day per street (the first three segments of the grid path) and minor category: 高发问题."""

    day = models.DateField()
    street_path = models.CharField(max_length=80)
    category_id = models.IntegerField()
    filed = models.IntegerField()

    class Meta:
        indexes = [models.Index(fields=["day"], name="daily_category_counts_day")]

    def __str__(self):
        return f"{self.day} {self.street_path} {self.category_id}"


class DailyPostCounts(models.Model):
    """A day's input counts of one person in one post (grid worker, operator, shift lead, dispatcher); `since` as in
    DailyUnitCounts (a report filed later, a filing voided, a dispatch returned, a task that ended after its
    deadline's day). Missed reports and running tasks are not here: they are counted live (rollups/read.py)."""

    day = models.DateField()
    since = models.DateField(null=True)
    actor_id = models.IntegerField()
    actor_role = models.CharField(max_length=20)
    overdue_verify_ended = models.IntegerField(default=0)
    overdue_check_ended = models.IntegerField(default=0)

    class Meta:
        indexes = [
            models.Index(fields=["day"], name="daily_post_counts_day"),
            models.Index(
                fields=["since"],
                condition=Q(overdue_verify_ended__gt=0) | Q(overdue_check_ended__gt=0),
                name="daily_post_counts_overdue",
            ),
        ]

    def __str__(self):
        return f"{self.day} {self.actor_id} {self.actor_role} {self.since or ''}"


def _add_count_columns():
    # One column per input count of departments and regions (indicators/counts.py), so a period is summed in SQL.
    from .indicators.counts import POST_COUNTS, UNIT_COUNTS

    for count in UNIT_COUNTS:
        field = models.FloatField(default=0) if count.summed else models.IntegerField(default=0)
        DailyUnitCounts.add_to_class(count.name, field)
    for count in POST_COUNTS:
        DailyPostCounts.add_to_class(count.name, models.IntegerField(default=0))


_add_count_columns()
