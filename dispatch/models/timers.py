"""Stage timers: the escalation ladder (data) and the marks that make every timer effect happen once."""

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

WARNING = "warning"
OVERDUE = "overdue"
ESCALATION_PREFIX = "escalation-"


class EscalationTarget(models.TextChoices):
    """Who an escalation step tells; the notifications resolve these to people."""

    DEPARTMENT_LEADER = "department_leader", _("Lead department's leader")
    DISTRICT_COMMAND = "district_command", _("District command centre")
    CITY_COMMAND = "city_command", _("City command centre")


class EscalationStep(models.Model):
    """One rung of the escalation ladder: fires when a stage runs `percent` % of its limit past the deadline."""

    percent = models.PositiveSmallIntegerField(
        _("percent of the limit past the deadline"),
        unique=True,
        validators=[MinValueValidator(1), MaxValueValidator(1000)],
        help_text=_("50 means: when half the stage's limit again has passed since the deadline."),
    )
    tell_department_leader = models.BooleanField(_("tell the lead department's leader"), default=False)
    tell_district_command = models.BooleanField(_("tell the district command centre"), default=False)
    tell_city_command = models.BooleanField(_("tell the city command centre"), default=False)
    lift_to_city = models.BooleanField(
        _("lift to the city command level"), default=False, help_text=_("The city command centre takes the case over.")
    )
    propose_supervision = models.BooleanField(
        _("propose a supervision order (督办)"),
        default=False,
        help_text=_("A leader is asked to issue a supervision order on the case."),
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("escalation step")
        verbose_name_plural = _("escalation ladder")
        ordering = ["percent"]
        constraints = [
            models.CheckConstraint(name="escalation_step_percent_range", condition=Q(percent__gte=1, percent__lte=1000))
        ]

    def __str__(self):
        return f"+{self.percent} %"

    @property
    def level(self) -> str:
        """The timer level of this step; named by its percent, so adding or reordering steps renames nothing."""
        return f"{ESCALATION_PREFIX}{self.percent}"

    @property
    def targets(self) -> list[str]:
        flags = [
            (self.tell_department_leader, EscalationTarget.DEPARTMENT_LEADER),
            (self.tell_district_command, EscalationTarget.DISTRICT_COMMAND),
            (self.tell_city_command, EscalationTarget.CITY_COMMAND),
        ]
        return [target.value for on, target in flags if on]


class TimerMark(models.Model):
    """A timer level (warning, overdue, escalation-N) that fired for one run of a case's stage, with its event.

    Unique per case, stage, stage start and level: inserting the mark is the claim on the effect, so two
    sweeps, a retried task or a re-run after a crash can never write the event or notify twice.
    """

    # No index of its own: the unique constraint's index starts with the case. No foreign-key constraints either
    # (here and on the event): the sweep writes the event and its mark in one statement, cases are never deleted
    # and events never change (cases_caseevent_immutable), so the tens of thousands of checks a busy sweep would
    # make at its commit could never fail.
    case = models.ForeignKey(
        "cases.Case", on_delete=models.PROTECT, related_name="timer_marks", db_index=False, db_constraint=False
    )
    stage = models.CharField(_("stage"), max_length=10)
    stage_started_at = models.DateTimeField(_("stage started"))
    level = models.CharField(_("level"), max_length=20)
    due_at = models.DateTimeField(_("due at"))
    fired_at = models.DateTimeField(_("fired at"))
    event = models.OneToOneField(
        "cases.CaseEvent", on_delete=models.PROTECT, related_name="timer_mark", db_constraint=False
    )
    # Set by the follow-up that announced the mark (lift to city, `timers_fired`), in the same transaction; the
    # follow-up outbox (dispatch.services.followup) guarantees that announcement, this only records it. Not indexed,
    # so the announcing update of a mark can stay on its page (HOT).
    announced_at = models.DateTimeField(_("announced at"), null=True, blank=True)

    class Meta:
        verbose_name = _("timer mark")
        verbose_name_plural = _("timer marks")
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["case", "stage", "stage_started_at", "level"], name="timer_mark_once"),
        ]
        # No index on the announcement: the follow-up row of the batch is what brings it about (and its repair
        # sweep reads the follow-ups, not the marks), so nothing looks for unannounced marks.

    def __str__(self):
        return f"{self.case_id} {self.stage} {self.level}"
