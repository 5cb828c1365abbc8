from django.conf import settings
from django.contrib.gis.db import models
from django.db.models.functions import Upper
from django.utils.translation import gettext_lazy as _

from ..querysets import DepartmentQuerySet, RegionQuerySet


class Level(models.TextChoices):
    CITY = "city", _("City")
    DISTRICT = "district", _("District / county")
    STREET = "street", _("Street / town")
    COMMUNITY = "community", _("Community / village")
    UNIT = "unit", _("Unit grid")


LEVEL_DEPTH = {Level.CITY: 0, Level.DISTRICT: 1, Level.STREET: 2, Level.COMMUNITY: 3, Level.UNIT: 4}


class AreaClass(models.TextChoices):
    CLASS_1 = "1", _("Class 1 area")
    CLASS_2 = "2", _("Class 2 area")


class Region(models.Model):
    """A node of the four-level grid (plus unit grids), with its current boundary."""

    code = models.CharField(_("code"), max_length=15, unique=True)
    name = models.CharField(_("name"), max_length=60)
    level = models.CharField(_("level"), max_length=10, choices=Level.choices)
    depth = models.PositiveSmallIntegerField(_("depth"), editable=False)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children", verbose_name=_("parent")
    )
    # Materialized path of codes, "/4413/441302/441302001/": a subtree is one indexed prefix match.
    path = models.CharField(_("path"), max_length=80, unique=True, editable=False)
    area_class = models.CharField(_("area class"), max_length=1, choices=AreaClass.choices, default=AreaClass.CLASS_2)
    geom = models.MultiPolygonField(_("boundary"), srid=4326, null=True, blank=True)
    synthetic = models.BooleanField(
        _("synthetic boundary"), default=False, help_text=_("Generated for the demo; no official boundary.")
    )
    geom_source = models.CharField(_("boundary source"), max_length=200, blank=True)
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_to = models.DateField(_("valid to"), null=True, blank=True)

    objects = RegionQuerySet.as_manager()

    class Meta:
        verbose_name = _("region")
        verbose_name_plural = _("regions")
        ordering = ["path"]
        indexes = [
            # text_pattern_ops makes `path LIKE '/4413/441302/%'` an index range scan.
            models.Index(fields=["path"], name="region_path_prefix", opclasses=["varchar_pattern_ops"]),
            models.Index(fields=["level"], name="region_level"),
        ]

    def __str__(self):
        return f"{self.name} ({self.code})"

    def save(self, *args, **kwargs):
        self.depth = LEVEL_DEPTH[self.level]
        self.path = (self.parent.path if self.parent_id else "/") + f"{self.code}/"
        super().save(*args, **kwargs)

    def ancestor_codes(self):
        """Codes from the city down to this region, read from the path (no query)."""
        return [c for c in self.path.split("/") if c]


class RegionPiece(models.Model):
    """A small piece of a region's boundary (ST_Subdivide) so point lookups test few vertices."""

    region = models.ForeignKey(Region, on_delete=models.CASCADE, related_name="pieces")
    depth = models.PositiveSmallIntegerField()
    geom = models.PolygonField(srid=4326)

    class Meta:
        verbose_name = _("region piece")
        verbose_name_plural = _("region pieces")


class BoundaryVersion(models.Model):
    """A boundary a region had before it was replaced: boundaries change, history is kept."""

    region = models.ForeignKey(Region, on_delete=models.CASCADE, related_name="boundary_versions")
    geom = models.MultiPolygonField(srid=4326)
    synthetic = models.BooleanField(default=False)
    source = models.CharField(max_length=200, blank=True)
    valid_from = models.DateTimeField(null=True, blank=True)
    valid_to = models.DateTimeField()

    class Meta:
        verbose_name = _("boundary version")
        verbose_name_plural = _("boundary versions")


class DepartmentKind(models.TextChoices):
    GOVERNMENT = "government", _("Government department")
    STREET_OFFICE = "street_office", _("Street / town office")
    UTILITY = "utility", _("Utility company")
    ENFORCEMENT = "enforcement", _("Law-enforcement unit")
    CONTRACTOR = "contractor", _("Contractor (outsourced service)")


class DepartmentLevel(models.TextChoices):
    CITY = "city", _("City")
    DISTRICT = "district", _("District / county")
    STREET = "street", _("Street / town")


class Department(models.Model):
    """A handling unit (处置单位): a bureau, a district branch, a street office or a utility."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=80)
    level = models.CharField(_("level"), max_length=10, choices=DepartmentLevel.choices)
    kind = models.CharField(_("kind"), max_length=20, choices=DepartmentKind.choices)
    home_region = models.ForeignKey(
        Region, on_delete=models.PROTECT, related_name="departments", verbose_name=_("home region")
    )
    contact_name = models.CharField(_("contact name"), max_length=60, blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=30, blank=True)
    email = models.EmailField(_("email"), blank=True)
    # The on-duty contact (值班) told at once of an emergency: a duty phone and/or the people on duty.
    duty_phone = models.CharField(
        _("duty phone"), max_length=30, blank=True, help_text=_("Receives an SMS at once for every emergency.")
    )
    duty_users = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="duty_departments",
        verbose_name=_("people on duty"),
        help_text=_("Told at once of every emergency by SMS and in their inbox."),
    )
    active = models.BooleanField(_("active"), default=True)

    objects = DepartmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        ordering = ["level", "code"]
        constraints = [models.UniqueConstraint(Upper("name"), "home_region", name="department_unique_name_in_region")]

    def __str__(self):
        return self.name


class UnitGridLayer(models.Model):
    """One version of a community's unit grids (单元网格): generated at a cell size or imported from a file.

    The cells themselves are regions of level "unit" (code = community code + 3-digit sequence, numbered west →
    east, then north → south). A newer layer retires the cells it no longer has (valid_to) and keeps the old
    boundaries of the cells it redraws (BoundaryVersion), so cases located in an old cell keep their grid.
    """

    class Source(models.TextChoices):
        GENERATED = "generated", _("Generated")
        IMPORTED = "imported", _("Imported")

    community = models.ForeignKey(
        Region, on_delete=models.CASCADE, related_name="unit_grid_layers", verbose_name=_("community")
    )
    version = models.PositiveIntegerField(_("version"))
    source = models.CharField(_("source"), max_length=10, choices=Source.choices)
    cell_size_m = models.PositiveIntegerField(_("cell size (m)"), null=True, blank=True)
    file_name = models.CharField(_("file"), max_length=200, blank=True)
    cells = models.PositiveIntegerField(_("cells"), default=0)
    report = models.TextField(_("report"), blank=True)
    created_at = models.DateTimeField(_("created at"))
    current = models.BooleanField(_("current"), default=True)

    class Meta:
        verbose_name = _("unit grid layer")
        verbose_name_plural = _("unit grid layers")
        ordering = ["community", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["community", "version"], name="unit_grid_layer_version"),
            models.UniqueConstraint(
                fields=["community"], condition=models.Q(current=True), name="unit_grid_layer_one_current"
            ),
        ]

    def __str__(self):
        return f"{self.community.code} v{self.version}"
