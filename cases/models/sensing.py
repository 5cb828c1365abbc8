"""Sensing intake: sources (cameras, IoT sensors, detection platforms), what each may report, and their events.

A source holds a client key (accounts.security.client_keys): stored hashed, shown once, revocable. Each event a
source posts is kept, linked to the case it became or joined; events below the source's threshold for their class
wait for a person in the supervision centre (待核实).
"""

from django.conf import settings
from django.contrib.gis.db import models
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.security.client_keys import ClientKey


class SensingKind(models.TextChoices):
    CAMERA = "camera", _("Camera (video analytics)")
    SENSOR = "sensor", _("IoT sensor")
    PLATFORM = "platform", _("Detection platform")


class SensingSource(ClientKey):
    """A camera, sensor or detection platform that posts events with its key; owned by a department."""

    kind = models.CharField(_("kind"), max_length=10, choices=SensingKind.choices)
    owner = models.ForeignKey(
        "grids.Department", on_delete=models.PROTECT, related_name="sensing_sources", verbose_name=_("owner")
    )
    point = models.PointField(_("location"), srid=4326, null=True, blank=True)
    region = models.ForeignKey(
        "grids.Region",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="sensing_sources",
        verbose_name=_("grid"),
        help_text=_("Where a platform covering an area reports from, when it has no single location."),
    )
    rate_limit = models.PositiveIntegerField(
        _("events per minute"),
        default=600,
        validators=[MinValueValidator(1)],
        help_text=_("Above this the source is refused (429) and the administrators are told once a minute."),
    )
    categories = models.ManyToManyField(
        "cases.Category", through="SensingThreshold", related_name="+", verbose_name=_("categories")
    )

    class Meta:
        verbose_name = _("sensing source")
        verbose_name_plural = _("sensing sources")
        ordering = ["name"]


class SensingThreshold(models.Model):
    """A class a source may report, and the confidence from which its detection is a case without a person."""

    source = models.ForeignKey(SensingSource, on_delete=models.CASCADE, related_name="thresholds")
    category = models.ForeignKey(
        "cases.Category", on_delete=models.PROTECT, related_name="+", verbose_name=_("category")
    )
    threshold = models.DecimalField(
        _("confidence threshold"),
        max_digits=4,
        decimal_places=3,
        default=0.8,
        validators=[MinValueValidator(0), MaxValueValidator(1)],
        help_text=_("At or above: a case at once. Below: waits in the 待核实 queue for an operator."),
    )

    class Meta:
        verbose_name = _("class and threshold")
        verbose_name_plural = _("classes and thresholds")
        constraints = [models.UniqueConstraint(fields=["source", "category"], name="sensing_threshold_once")]

    def __str__(self):
        return f"{self.category} ≥ {self.threshold}"


class SensingMergeRule(models.Model):
    """How near and how recent an open case of a class must be for a detection of that class to join it."""

    category = models.OneToOneField(
        "cases.Category", on_delete=models.CASCADE, related_name="sensing_merge_rule", verbose_name=_("category")
    )
    distance_m = models.PositiveIntegerField(
        _("distance (m)"), default=50, validators=[MinValueValidator(1), MaxValueValidator(5000)]
    )
    window_hours = models.PositiveIntegerField(
        _("window (hours)"), default=24, validators=[MinValueValidator(1), MaxValueValidator(24 * 90)]
    )

    class Meta:
        verbose_name = _("merging rule")
        verbose_name_plural = _("merging rules")
        ordering = ["category"]

    def __str__(self):
        return f"{self.category}: {self.distance_m} m, {self.window_hours} h"


class SensingOutcome(models.TextChoices):
    # Stored by the POST, not yet looked at: the `sensing` step of the follow-up worker decides what it becomes.
    RECEIVED = "received", _("Received, being processed")
    OUTSIDE = "outside", _("Outside the city's grid")
    CREATED = "created", _("Created a case")
    MERGED = "merged", _("Joined an open case")
    PENDING = "pending", _("Waiting for review (待核实)")
    GROUPED = "grouped", _("Waiting with an earlier detection")
    CONFIRMED = "confirmed", _("Confirmed by an operator")
    VERIFYING = "verifying", _("Sent to a grid worker")
    DISMISSED = "dismissed", _("Dismissed")


# Waiting for a person: the queue shows the PENDING ones, each with the GROUPED repeats that joined it.
WAITING = (SensingOutcome.PENDING, SensingOutcome.GROUPED)


class SensingEvent(models.Model):
    """One detection posted by a source; the same source event id is stored once (the client may retry)."""

    source = models.ForeignKey(SensingSource, on_delete=models.PROTECT, related_name="events")
    external_id = models.CharField(_("source event id"), max_length=100)
    occurred_at = models.DateTimeField(_("detected at"))
    received_at = models.DateTimeField(_("received at"))
    category = models.ForeignKey("cases.Category", on_delete=models.PROTECT, related_name="+")
    confidence = models.DecimalField(_("confidence"), max_digits=4, decimal_places=3)
    point = models.PointField(_("location"), srid=4326)
    # The grid path of a detection that became a case or waits (empty for one that joined a case): scopes the queue.
    region_path = models.CharField(max_length=80, blank=True, default="")
    attributes = models.JSONField(_("attributes"), default=dict, blank=True)
    snapshot = models.CharField(_("snapshot"), max_length=200, blank=True)
    # The processed snapshot's facts, so a confirmation can make it a case photo without decoding it again.
    snapshot_meta = models.JSONField(default=dict, blank=True)
    outcome = models.CharField(_("outcome"), max_length=10, choices=SensingOutcome.choices)
    case = models.ForeignKey(
        "cases.Case", null=True, blank=True, on_delete=models.PROTECT, related_name="sensing_events"
    )
    # A repeat below the threshold waits with the first detection of its problem (the queue shows that one).
    lead = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="repeats", verbose_name=_("first seen as")
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("sensing event")
        verbose_name_plural = _("sensing events")
        ordering = ["-id"]
        constraints = [
            # The idempotency of ingestion: a retried post inserts nothing (ON CONFLICT DO NOTHING on this).
            models.UniqueConstraint(fields=["source", "external_id"], name="sensing_event_once"),
            models.CheckConstraint(name="sensing_event_outcome_valid", condition=Q(outcome__in=SensingOutcome.values)),
        ]
        indexes = [
            # The 待核实 queue and the nearby-pending lookup read only the few waiting rows.
            models.Index(fields=["category", "-id"], condition=Q(outcome="pending"), name="sensing_event_waiting"),
            models.Index(fields=["case"], condition=Q(case__isnull=False), name="sensing_event_case"),
            # The worker takes the received rows in arrival order; the index holds only those few.
            models.Index(fields=["id"], condition=Q(outcome="received"), name="sensing_event_received"),
        ]

    def __str__(self):
        return f"{self.source_id}:{self.external_id}"
