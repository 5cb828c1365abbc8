from django.contrib.gis.db import models
from django.contrib.postgres.indexes import GistIndex
from django.utils.translation import gettext_lazy as _

from grids.querysets import FacilityQuerySet

from .regions import Department, Region


class FacilityState(models.TextChoices):
    IN_USE = "in_use", _("In use")
    DAMAGED = "damaged", _("Damaged")
    MISSING = "missing", _("Missing")
    REMOVED = "removed", _("Removed")


class Facility(models.Model):
    """A 部件 of the inventory: a manhole cover, a lamp, a bin, a sign … with its code and owner (权属)."""

    code = models.CharField(_("object code"), max_length=40, unique=True)
    # The catalogue's 部件 class (大类 + 小类, e.g. "0101" 上水井盖): kept as the code, the catalogue is data.
    class_code = models.CharField(_("class code"), max_length=10)
    name = models.CharField(_("name"), max_length=100, blank=True)
    point = models.PointField(_("location"), srid=4326)
    address = models.CharField(_("address"), max_length=200, blank=True)
    owner = models.ForeignKey(
        Department,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="owned_facilities",
        verbose_name=_("owner department"),
    )
    # The contractor that maintains it when the service is outsourced (市场化), else empty.
    maintainer = models.ForeignKey(
        Department,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="maintained_facilities",
        verbose_name=_("maintainer"),
    )
    state = models.CharField(_("state"), max_length=10, choices=FacilityState.choices, default=FacilityState.IN_USE)
    photo = models.ImageField(_("photo"), upload_to="facilities/%Y/%m/", blank=True)
    region = models.ForeignKey(
        Region,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="facilities",
        verbose_name=_("grid"),
    )
    # Copy of region.path: scope filters are one indexed prefix match, no join.
    region_path = models.CharField(max_length=80, blank=True, editable=False)
    attributes = models.JSONField(_("attributes"), default=dict, blank=True)
    source = models.CharField(_("source"), max_length=200, blank=True)
    updated_at = models.DateTimeField(_("updated at"))

    objects = FacilityQuerySet.as_manager()

    class Meta:
        verbose_name = _("facility")
        verbose_name_plural = _("facilities")
        ordering = ["code"]
        indexes = [
            models.Index(fields=["class_code"], name="facility_class"),
            models.Index(fields=["region_path"], name="facility_region_path", opclasses=["varchar_pattern_ops"]),
            # Nearest facility of one class (KNN `<->`): btree_gist puts the class beside the point in one GiST
            # index, so `WHERE class_code = … ORDER BY point <-> …` skips the other classes inside the index, never
            # in the table. The point comes first: the tree is then built by location, about four times faster
            # (an import rebuilds it) than with the class first, and the lookup reads about as few pages.
            GistIndex(fields=["point", "class_code"], name="facility_point_class_knn"),
        ]

    def __str__(self):
        return f"{self.code} {self.name}".strip()
