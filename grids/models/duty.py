"""网上勤务 and 多网合一: patrol areas per network, duty rosters, patrols (attendance) and their tracks."""

from django.conf import settings
from django.contrib.gis.db import models
from django.contrib.postgres.fields import DateTimeRangeField
from django.contrib.postgres.indexes import GistIndex
from django.db.models import F, Func, Q, Value
from django.utils.translation import gettext_lazy as _

from .regions import Department, Region


class Network(models.TextChoices):
    """The uses one grid carries (多网合一、基层一张网): each network has its own areas and workers."""

    CITY_MANAGEMENT = "city_management", _("City management grid")
    PUBLIC_ORDER = "public_order", _("Public order grid")
    PATROL = "patrol", _("Security patrol grid")
    COMMUNITY_SERVICE = "community_service", _("Community service grid")


class PatrolArea(models.Model):
    """A set of unit grids that a network's workers patrol (责任网格); the geometry stays on the unit grids."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=80)
    network = models.CharField(_("network"), max_length=20, choices=Network.choices, default=Network.CITY_MANAGEMENT)
    community = models.ForeignKey(
        Region, on_delete=models.PROTECT, related_name="patrol_areas", verbose_name=_("community")
    )
    unit_grids = models.ManyToManyField(Region, related_name="in_patrol_areas", verbose_name=_("unit grids"))
    workers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="patrol_areas", verbose_name=_("workers")
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("patrol area")
        verbose_name_plural = _("patrol areas")
        ordering = ["network", "code"]

    def __str__(self):
        return self.name


class DutyKind(models.TextChoices):
    LEADER = "leader", _("Leader on duty")
    OFFICER = "officer", _("Duty officer")
    PATROL = "patrol", _("Patrol")


class DutyShift(models.Model):
    """One line of a duty roster (值班表): who is on duty, for which department or area, from when to when."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="duty_shifts", verbose_name=_("person")
    )
    kind = models.CharField(_("duty"), max_length=10, choices=DutyKind.choices, default=DutyKind.OFFICER)
    department = models.ForeignKey(
        Department,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="duty_shifts",
        verbose_name=_("department"),
    )
    patrol_area = models.ForeignKey(
        PatrolArea,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="duty_shifts",
        verbose_name=_("patrol area"),
    )
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    # The number to call or text while on duty; the person's own phone when empty.
    phone = models.CharField(_("duty phone"), max_length=30, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("duty shift")
        verbose_name_plural = _("duty shifts")
        ordering = ["starts_at", "id"]
        indexes = [models.Index(fields=["ends_at", "starts_at"], name="duty_shift_window")]
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="duty_shift_ends_after_start"),
        ]

    def __str__(self):
        return f"{self.user} {self.starts_at:%Y-%m-%d %H:%M}–{self.ends_at:%H:%M}"


class PatrolSession(models.Model):
    """A patrol on duty (上岗 … 下岗): the attendance record its track points belong to."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="patrol_sessions", verbose_name=_("person")
    )
    patrol_area = models.ForeignKey(
        PatrolArea,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="sessions",
        verbose_name=_("patrol area"),
    )
    # Chosen by the phone, so a start sent twice (or queued offline) makes one session.
    client_id = models.UUIDField(_("client id"), unique=True)
    started_at = models.DateTimeField(_("started at"))
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    start_point = models.PointField(_("start"), srid=4326, null=True, blank=True)
    end_point = models.PointField(_("end"), srid=4326, null=True, blank=True)
    points = models.PositiveIntegerField(_("track points"), default=0)
    distance_m = models.FloatField(_("distance (m)"), default=0)
    last_point = models.PointField(_("last position"), srid=4326, null=True, blank=True)
    last_seen_at = models.DateTimeField(_("last seen at"), null=True, blank=True)

    class Meta:
        verbose_name = _("patrol")
        verbose_name_plural = _("patrols")
        ordering = ["-started_at"]
        indexes = [
            models.Index(fields=["user", "started_at"], name="patrol_session_user"),
            # "Was this person on patrol at t?" (the assessment's 漏报): one probe, however long their history.
            GistIndex(
                F("user"),
                Func(
                    F("started_at"), F("ended_at"), Value("[]"), function="tstzrange", output_field=DateTimeRangeField()
                ),
                name="patrol_session_user_span",
            ),
        ]
        constraints = [
            models.UniqueConstraint(fields=["user"], condition=Q(ended_at__isnull=True), name="patrol_one_open"),
        ]

    def __str__(self):
        return f"{self.user} {self.started_at:%Y-%m-%d %H:%M}"


class TrackPoint(models.Model):
    """A position the phone recorded during a patrol; uploaded in batches, a repeated upload changes nothing."""

    session = models.ForeignKey(PatrolSession, on_delete=models.CASCADE, related_name="track")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    recorded_at = models.DateTimeField(_("recorded at"))
    point = models.PointField(_("position"), srid=4326)
    accuracy_m = models.FloatField(_("accuracy (m)"), null=True, blank=True)
    battery = models.FloatField(_("battery"), null=True, blank=True)

    class Meta:
        verbose_name = _("track point")
        verbose_name_plural = _("track points")
        indexes = [
            models.Index(fields=["user", "recorded_at"], name="track_point_user_time"),
            # The missed-report figure (assessment) asks "did this patrol pass near this unit grid?": one probe of
            # the session's points near the grid, not a scan of its day of points (btree_gist for session_id).
            GistIndex(fields=["session", "point"], name="track_point_session_gist"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["session", "recorded_at"], name="track_point_once"),
        ]
