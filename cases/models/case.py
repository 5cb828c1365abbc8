"""A case (案卷), its immutable event log, its photos and the requests that wait for a decision."""

from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.gis.db import models
from django.contrib.postgres.indexes import GistIndex
from django.db.models import F, Func, Q
from django.utils.translation import gettext_lazy as _

from .catalogue import CategoryKind, Urgency
from .querysets import CaseQuerySet
from .status import FINAL_STATUSES, Status, clock_q, open_q, status_label

# The time zone of the list's report dates (a date filter names a local day) and of the index case_local_day_id.
CASE_DAY_ZONE = ZoneInfo("Asia/Shanghai")


class LocalDay(Func):
    """The local day (CASE_DAY_ZONE) of a date-time, in SQL: what `created_at__date` compares, but immutable (the
    zone is named), so an index can hold it."""

    template = f"((%(expressions)s AT TIME ZONE '{CASE_DAY_ZONE.key}'))::date"
    output_field = models.DateField()


# A case's local day in raw SQL, the same expression as the index's, so the planner reads the index for it.
CASE_DAY_SQL = f"((cases_case.created_at AT TIME ZONE '{CASE_DAY_ZONE.key}'))::date"


class Source(models.TextChoices):
    GRID_WORKER = "grid_worker", _("Grid worker")
    PUBLIC = "public", _("Public (web, WeChat, app)")
    HOTLINE_12345 = "hotline_12345", _("Hotline 12345")
    HOTLINE_12319 = "hotline_12319", _("Hotline 12319")
    COUNTER = "counter", _("Counter (walk-in)")
    MEDIA = "media", _("Media")
    SENSOR = "sensor", _("Video or sensor detection")
    LEADER = "leader", _("Leader assignment")
    OTHER_SYSTEM = "other_system", _("Other system (Open311)")


class CommandLevel(models.TextChoices):
    """The two command levels of 两级指挥派遣: whose command centre dispatches a case."""

    CITY = "city", _("City command centre")
    DISTRICT = "district", _("District command centre")


class Stage(models.TextChoices):
    """The timed stage a case is in: the centre's own steps and the department's handling."""

    ACCEPT = "accept", _("Acceptance")
    VERIFY = "verify", _("Verification")
    REGISTER = "register", _("Registration")
    DISPATCH = "dispatch", _("Dispatch")
    HANDLING = "handling", _("Handling")
    CHECK = "check", _("Check")
    CLOSE = "close", _("Closing")


class Case(models.Model):
    """A reported problem and its way through the closed loop; only `case_transition` writes its status."""

    number = models.CharField(_("case number"), max_length=24, unique=True)
    kind = models.CharField(_("kind"), max_length=1, choices=CategoryKind.choices)
    category = models.ForeignKey(
        "cases.Category", on_delete=models.PROTECT, related_name="cases", verbose_name=_("category")
    )
    filing_condition = models.ForeignKey(
        "cases.FilingCondition", null=True, blank=True, on_delete=models.PROTECT, verbose_name=_("filing condition")
    )
    urgency = models.CharField(_("urgency"), max_length=10, choices=Urgency.choices, default=Urgency.NORMAL)
    description = models.TextField(_("description"))
    point = models.PointField(_("location"), srid=4326)
    address = models.CharField(_("address"), max_length=200, blank=True)
    region = models.ForeignKey("grids.Region", on_delete=models.PROTECT, related_name="cases", verbose_name=_("grid"))
    # Copy of region.path: scope filters are one indexed prefix match, no join.
    region_path = models.CharField(max_length=80, editable=False)
    # The 部件 of the inventory the report is about (部件 cases), when the reporter picked or scanned it.
    facility = models.ForeignKey(
        "grids.Facility",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cases",
        verbose_name=_("facility"),
    )
    source = models.CharField(_("source"), max_length=20, choices=Source.choices)
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reported_cases",
        verbose_name=_("reporter"),
    )
    contact_name = models.CharField(_("contact name"), max_length=60, blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=30, blank=True)
    # db_default as well: bulk loaders that COPY only the older columns still get a valid row.
    callback_requested = models.BooleanField(_("call-back wanted"), default=False, db_default=False)
    work_order_number = models.CharField(
        _("12345 work-order number"),
        max_length=40,
        blank=True,
        default="",
        db_default="",
        help_text=_("The hotline's own number of a transferred work order; the result goes back under it."),
    )
    self_handled = models.BooleanField(_("fixed on the spot by the reporter"), default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("entered by")
    )
    idempotency_key = models.CharField(max_length=80, null=True, blank=True, editable=False)

    lead_department = models.ForeignKey(
        "grids.Department",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="lead_cases",
        verbose_name=_("lead department"),
        db_index=False,  # case_department_status leads with it
    )
    assisting_departments = models.ManyToManyField(
        "grids.Department", blank=True, related_name="assisting_cases", verbose_name=_("assisting departments")
    )
    # Who commands the case (dispatch, 改派): set by dispatch's routing from the responsibility list in the same
    # transaction as its CaseRouting row, moved to the city by a take-over (接管). A case never routed is the
    # district's, as in the dispatch queues.
    command_level = models.CharField(
        _("command level"), max_length=10, choices=CommandLevel.choices, default=CommandLevel.DISTRICT
    )
    # Lifted to the city command centre's attention by an escalation step (dispatch's timers): the city may take
    # it over. Written by dispatch with the routing row; never by a transition.
    escalated = models.BooleanField(_("escalated to the city"), default=False)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="assigned_cases",
        verbose_name=_("grid worker assigned"),
        help_text=_("Who verifies the report or checks the fix on site."),
    )

    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.REPORTED)
    stage = models.CharField(_("stage"), max_length=10, choices=Stage.choices, blank=True)
    stage_started_at = models.DateTimeField(_("stage started"), null=True, blank=True)
    stage_warn_at = models.DateTimeField(_("stage warning at"), null=True, blank=True)
    stage_deadline = models.DateTimeField(_("stage deadline"), null=True, blank=True)
    # While suspended the clock stops: what was left of the stage, exactly, in time of its clock (negative when
    # the stage was already overdue, so it resumes exactly as overdue as it was). See cases/clock.py.
    stage_remaining = models.DurationField(null=True, blank=True, editable=False)
    # The stage's limit as time of its clock, plus approved extensions.
    stage_budget = models.DurationField(null=True, blank=True, editable=False)
    stage_clock = models.CharField(max_length=10, blank=True, editable=False)

    # The first instant the timer sweep must look at for the running clock (its warning point), as the stage clock
    # set it; None when no clock runs. A database trigger copies it into the case's CaseTimer row whenever the
    # clock sets it (or the stage, its start or its deadline change): the sweep's progress through the levels is
    # kept there, in a narrow row, so that firing a level never rewrites this wide, much-indexed row.
    timer_due_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Set by the stage clock: a fresh stage is not overdue; a clock stopped (suspension) or extended past its
    # deadline is. While the clock runs, overdue is read from the deadline (cases/clock.py: the light, overdue_q);
    # the sweep records that the deadline passed in CaseTimer.overdue, not here.
    overdue = models.BooleanField(_("overdue"), default=False)
    supervised = models.BooleanField(_("under supervision order"), default=False)
    duplicate_of = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="duplicates",
        verbose_name=_("duplicate of"),
    )
    duplicate_count = models.PositiveIntegerField(_("merged reports"), default=0)
    rework_count = models.PositiveSmallIntegerField(_("reworks"), default=0)
    extension_count = models.PositiveSmallIntegerField(_("extensions"), default=0)
    resume_status = models.CharField(max_length=20, blank=True, editable=False)

    created_at = models.DateTimeField(_("reported at"), db_index=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    closed_at = models.DateTimeField(_("ended at"), null=True, blank=True)

    objects = CaseQuerySet.as_manager()

    class Meta:
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["created_by", "idempotency_key"],
                condition=Q(idempotency_key__isnull=False),
                name="case_idempotency_key_unique",
            ),
            # A 12345 work order is transferred once: a second transfer of the same number is the same case.
            models.UniqueConstraint(
                fields=["work_order_number"], condition=~Q(work_order_number=""), name="case_work_order_unique"
            ),
            models.CheckConstraint(name="case_status_valid", condition=Q(status__in=[s.value for s in Status])),
            models.CheckConstraint(name="case_command_level_valid", condition=Q(command_level__in=CommandLevel.values)),
        ]
        indexes = [
            models.Index(fields=["region_path"], name="case_region_path", opclasses=["varchar_pattern_ops"]),
            models.Index(fields=["status", "-id"], name="case_status_id"),
            models.Index(fields=["lead_department", "status"], name="case_department_status"),
            # The queues' order (dispatch.pages.selectors.QUEUE_ORDER): soonest deadline first (PostgreSQL puts
            # NULLs last in ascending order, as the queues want), ties newest first; the keyset pages walk it.
            models.Index(fields=["stage_deadline", "-id"], name="case_deadline_id"),
            # The same order inside one status (a tab such as 待受理 or 挂起, a list filtered by status): a page is
            # read straight off the index instead of walking past every other case, the closed ones whose clock
            # stands still (NULL deadlines, at the end of case_deadline_id) included.
            models.Index(fields=["status", "stage_deadline", "-id"], name="case_status_deadline_id"),
            # The same order over the open cases only (the "all open" tab, its counts, deep pages among the cases
            # whose clock stands still): a third of the cases at most, never the closed history. The condition is
            # written exactly as CaseQuerySet.open() / open_q() write it, so the planner can prove it.
            models.Index(fields=["stage_deadline", "-id"], name="case_open_deadline_id", condition=open_q()),
            models.Index(
                fields=["stage_deadline", "-id"], name="case_supervised_deadline_id", condition=Q(supervised=True)
            ),
            # The command centre's counts (dispatch.queue_counts) count the open cases whose deadline passed in the
            # current minute, in the user's grids: thousands at a million cases, read from this index alone.
            models.Index(
                fields=["stage_deadline"], include=["region_path"], condition=open_q(), name="case_open_deadline_path"
            ),
            # The list's own order (newest first) inside each filter whose cases bunch together in time: the open
            # statuses are the newest ids, the final ones the oldest. The planner assumes a status is spread
            # evenly over the ids, so over the primary key it expects 51 matches within a few hundred rows and
            # walks hundreds of thousands (a closed-cases first page, any open status on a deep page). An index
            # on the id alone, per status (and over the open cases, over the cases with a running or stopped
            # clock that the light and overdue filters read), is read in heap order and is the cheapest plan in
            # the planner's own terms: each page reads its 51 rows and no others.
            *(
                models.Index(fields=["-id"], name=f"case_id_{status.value}", condition=Q(status=status.value))
                for status in Status
            ),
            models.Index(fields=["-id"], name="case_open_id", condition=open_q()),
            models.Index(fields=["-id"], name="case_clock_id", condition=clock_q()),
            # Open cases only, with what their light is read from: the big screen's aggregates over a city's open
            # cases (lights, per community) are an index-only scan of this, not a pass over every case ever filed.
            models.Index(
                fields=["region_path"],
                include=["status", "stage_deadline", "stage_warn_at", "stage_remaining", "overdue"],
                opclasses=["varchar_pattern_ops"],
                condition=open_q(),
                name="case_open_region",
            ),
            # The command map's open cases in the visible box: the point index over every case ever filed hands a
            # city-wide box a million rows to sieve for a few thousand open ones; this one holds only the open.
            # Written as an expression: PostGIS's schema editor builds a spatial index on a field without its condition.
            GistIndex(F("point"), condition=open_q(), name="case_open_point"),
            # Each local day's ids in order: the largest (smallest) id of the cases reported up to (from) a date is
            # one descent per day (cases.selectors.reported_until_q), the bound the report-date filters put on the
            # list's id order.
            models.Index(LocalDay("created_at"), F("id"), name="case_local_day_id"),
        ]

    def __str__(self):
        return self.number

    def get_status_display(self):
        # Declared, so Django does not put its own (slow for lists: see status_label) in its place.
        return status_label(self.status)

    @property
    def is_final(self):
        return self.status in FINAL_STATUSES


class CaseTimer(models.Model):
    """The timer sweep's schedule for one case's running stage clock: the next instant to look at, and whether
    the overdue level has fired.

    One narrow row per case whose clock runs. The stage clock owns it through the case row: a trigger (migration
    cases 0018) inserts or resets it (to Case.timer_due_at, the warning point, and Case.overdue) whenever the
    clock sets its first instant, or the stage, its start or its deadline change, and deletes it when the clock
    stops. The sweep (dispatch.services.timers) moves `due_at` on to the next level (the deadline, then each
    escalation step; None after the last one) and raises `overdue` when the deadline's level fires: a firing
    writes this row and its two small indexes only, never the wide, much-indexed case row. The partial index holds
    only the rows with a pending timer: a sweep with nothing due is one index probe.
    """

    case = models.OneToOneField(Case, primary_key=True, on_delete=models.CASCADE, related_name="timer")
    due_at = models.DateTimeField(_("next timer at"), null=True, blank=True)
    overdue = models.BooleanField(_("overdue fired"), default=False)

    class Meta:
        verbose_name = _("case timer")
        verbose_name_plural = _("case timers")
        indexes = [models.Index(fields=["due_at"], name="case_timer_due_at", condition=Q(due_at__isnull=False))]

    def __str__(self):
        return f"{self.case_id} {self.due_at}"


# The events the timer sweep writes (dispatch.services.timers), thousands at a time: the case's timeline and the
# live feed show them (through the case and id indexes), no reader looks for them by time, action or region, so
# those indexes leave them out (each reader that filters on them names its actions, which implies the condition).
TIMER_EVENT_ACTIONS = ("timer_warning", "timer_overdue", "timer_escalation")
NOT_TIMER_EVENT = ~Q(action__in=TIMER_EVENT_ACTIONS)


class CaseEvent(models.Model):
    """An immutable row per transition: the timeline, the audit trail and the input of the assessment."""

    # db_index=False: case_event_case (case, id) leads with it; one index less to keep up on every event insert.
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="events", db_index=False)
    action = models.CharField(_("action"), max_length=30)
    from_status = models.CharField(_("from"), max_length=20, blank=True)
    to_status = models.CharField(_("to"), max_length=20)
    # db_index=False: case_event_actor holds only events with an actor, so the timer sweep's events (the system's,
    # thousands at a time) add nothing to it.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Empty for actions of the system itself."),
        db_index=False,
    )
    actor_role = models.CharField(_("role"), max_length=20, blank=True)
    # db_index=False: case_event_at_no_timer holds the events other than the timer sweep's.
    at = models.DateTimeField(_("at"))
    note = models.TextField(_("note"), blank=True)
    data = models.JSONField(_("details"), default=dict, blank=True)
    # Facts for the assessment: the stage this action ended, its deadline and whether that was met.
    stage = models.CharField(max_length=10, blank=True)
    stage_deadline = models.DateTimeField(null=True, blank=True)
    stage_met = models.BooleanField(null=True)
    department = models.ForeignKey(
        "grids.Department",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("The handling department concerned, for the assessment."),
    )
    region_path = models.CharField(max_length=80)

    class Meta:
        verbose_name = _("case event")
        verbose_name_plural = _("case events")
        ordering = ["id"]
        indexes = [
            models.Index(fields=["case", "id"], name="case_event_case"),
            models.Index(fields=["action", "at"], name="case_event_action_at_no_timer", condition=NOT_TIMER_EVENT),
            models.Index(fields=["at"], name="case_event_at_no_timer", condition=NOT_TIMER_EVENT),
            models.Index(
                fields=["region_path"],
                name="case_event_region_no_timer",
                opclasses=["varchar_pattern_ops"],
                condition=NOT_TIMER_EVENT,
            ),
            models.Index(fields=["actor"], name="case_event_actor", condition=Q(actor__isnull=False)),
        ]

    def __str__(self):
        return f"{self.case_id} {self.action} {self.from_status}→{self.to_status}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("case events are immutable")
        super().save(*args, **kwargs)


class PhotoKind(models.TextChoices):
    BEFORE = "before", _("Before")
    AFTER = "after", _("After")
    VERIFICATION = "verification", _("On-site check")


class CasePhoto(models.Model):
    """A re-encoded photo (no EXIF) of a case, with its thumbnail and capture time when the camera gave one."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="photos")
    event = models.ForeignKey(CaseEvent, null=True, blank=True, on_delete=models.PROTECT, related_name="photos")
    kind = models.CharField(_("kind"), max_length=15, choices=PhotoKind.choices)
    image = models.FileField(_("image"), max_length=200)
    thumbnail = models.FileField(_("thumbnail"), max_length=200)
    captured_at = models.DateTimeField(_("taken at"), null=True, blank=True)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    size_bytes = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(_("uploaded at"))

    class Meta:
        verbose_name = _("photo")
        verbose_name_plural = _("photos")
        ordering = ["id"]


class RequestKind(models.TextChoices):
    RETURN = "return", _("Return (回退)")
    EXTENSION = "extension", _("Extension (延期)")
    SUSPENSION = "suspension", _("Suspension (挂账)")
    VOID = "void", _("Void (作废)")


class RequestState(models.TextChoices):
    PENDING = "pending", _("Pending")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    LAPSED = "lapsed", _("Lapsed (the stage ended first)")


class CaseRequest(models.Model):
    """A request that waits for an approver: return, extension, suspension or void."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="requests")
    kind = models.CharField(_("kind"), max_length=12, choices=RequestKind.choices)
    state = models.CharField(_("state"), max_length=10, choices=RequestState.choices, default=RequestState.PENDING)
    reason = models.TextField(_("reason"))
    hours = models.DecimalField(_("working hours asked"), max_digits=6, decimal_places=2, null=True, blank=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField()
    department = models.ForeignKey(
        "grids.Department", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(blank=True)

    class Meta:
        verbose_name = _("request")
        verbose_name_plural = _("requests")
        ordering = ["-id"]
        constraints = [
            # At most one pending request of each kind per case.
            models.UniqueConstraint(
                fields=["case", "kind"],
                condition=Q(state=RequestState.PENDING),
                name="case_request_one_pending_per_kind",
            ),
        ]


class CaseNumberSequence(models.Model):
    """The last daily sequence number handed out; incremented with one atomic upsert."""

    day = models.DateField(primary_key=True)
    last = models.PositiveIntegerField(default=0)
