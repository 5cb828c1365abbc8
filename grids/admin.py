"""Admin of the grid: regions on a Leaflet map, their boundary history, departments, unit-grid layers and the
networks' patrol areas."""

import re

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.utils.translation import gettext_lazy as _
from leaflet.admin import LeafletGeoAdmin

from .models import BoundaryVersion, Department, Facility, PatrolArea, Region, UnitGridLayer
from .services import region_boundary_replace
from .services.facilities import facility_locate
from .services.patrol_areas import patrol_area_save, patrol_area_unit_grids, unit_grid_codes_parse


class BoundaryVersionInline(admin.TabularInline):
    """Earlier boundaries of the region: history is read, never edited."""

    model = BoundaryVersion
    fields = ["valid_from", "valid_to", "synthetic", "source"]
    readonly_fields = fields
    ordering = ["-valid_to"]
    extra = 0
    can_delete = False
    verbose_name_plural = _("earlier boundaries")

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Region)
class RegionAdmin(LeafletGeoAdmin):
    list_display = ["code", "name", "level", "parent", "area_class", "synthetic", "valid_from", "valid_to"]
    list_filter = ["level", "synthetic", "area_class"]
    list_select_related = ["parent"]
    search_fields = ["code", "name"]
    readonly_fields = ["path", "depth", "geom_source", "synthetic"]
    autocomplete_fields = ["parent"]
    fields = [
        "code",
        "name",
        "level",
        "parent",
        "path",
        "depth",
        "area_class",
        "valid_from",
        "valid_to",
        "geom",
        "synthetic",
        "geom_source",
    ]
    inlines = [BoundaryVersionInline]
    list_per_page = 50

    def get_queryset(self, request):
        # Lists never need the polygons; the change form loads its own geometry on demand.
        return super().get_queryset(request).select_related("parent").defer("geom", "parent__geom")

    def get_readonly_fields(self, request, obj=None):
        # The tree comes from the official division table (import_divisions): moving a node here would leave
        # its descendants' paths behind.
        if obj is not None:
            return [*self.readonly_fields, "code", "level", "parent"]
        return self.readonly_fields

    def save_model(self, request, obj, form, change):
        """A drawn boundary goes through the boundary service (repair, archive, parents, pieces)."""
        geom_changed = "geom" in form.changed_data and obj.geom is not None
        new_geom = obj.geom
        if geom_changed and change:
            obj.geom = Region.objects.values_list("geom", flat=True).get(pk=obj.pk)
        elif geom_changed:
            obj.geom = None
        super().save_model(request, obj, form, change)
        if geom_changed:
            region_boundary_replace(region=obj, geom=new_geom, source=f"admin: {request.user.get_username()}")
            obj.refresh_from_db()


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "level", "kind", "home_region", "contact_name", "contact_phone", "active"]
    list_filter = ["level", "kind", "active"]
    list_select_related = ["home_region"]
    search_fields = ["name", "code", "contact_name", "contact_phone", "home_region__name", "home_region__code"]
    autocomplete_fields = ["home_region", "duty_users"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("home_region").defer("home_region__geom")


class PatrolAreaForm(forms.ModelForm):
    unit_grid_numbers = forms.CharField(
        label=_("Unit grids by number"),
        required=False,
        help_text=_(
            "Numbers or ranges of the community's unit grids, e.g. 001-040, 045 — or the list the grid page's map "
            "gives when you click cells. Added to the unit grids chosen below."
        ),
    )

    class Meta:
        model = PatrolArea
        fields = ["code", "name", "network", "community", "unit_grid_numbers", "unit_grids", "workers", "active"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit_grids"].required = False

    def clean(self):
        data = super().clean()
        community = data.get("community")
        if community is None:
            return data
        chosen = list(data.get("unit_grids") or [])
        try:
            codes = unit_grid_codes_parse(community=community, text=data.get("unit_grid_numbers", ""))
            chosen += patrol_area_unit_grids(community=community, codes=codes)
        except ValidationError as exc:
            self.add_error("unit_grid_numbers", exc)
        data["unit_grids"] = sorted({cell.pk: cell for cell in chosen}.values(), key=lambda cell: cell.code)
        return data


@admin.register(PatrolArea)
class PatrolAreaAdmin(admin.ModelAdmin):
    """多网合一: one network's patrol area drawn on a community's unit grids, with its workers."""

    form = PatrolAreaForm
    list_display = ["code", "name", "network", "community", "cells", "active"]
    list_filter = ["network", "active"]
    list_select_related = ["community"]
    search_fields = ["code", "name", "community__name", "community__code"]
    autocomplete_fields = ["community", "unit_grids", "workers"]

    def get_queryset(self, request):
        return super().get_queryset(request).defer("community__geom").annotate(n_cells=Count("unit_grids"))

    @admin.display(description=_("unit grids"), ordering="n_cells")
    def cells(self, obj):
        return obj.n_cells

    def save_model(self, request, obj, form, change):
        """Through the patrol-area service, which checks that every cell belongs to the community."""
        data = form.cleaned_data
        try:
            saved = patrol_area_save(
                area=obj if change else None,
                code=data["code"],
                name=data["name"],
                network=data["network"],
                community=data["community"],
                unit_grids=data["unit_grids"],
                workers=data["workers"],
                active=data["active"],
            )
        except ValidationError as exc:  # checked by the form already; a race is shown rather than a 500
            messages.error(request, " ".join(exc.messages))
            return
        obj.pk = saved.pk

    def save_related(self, request, form, formsets, change):
        """The service has set the unit grids and workers."""


@admin.register(UnitGridLayer)
class UnitGridLayerAdmin(admin.ModelAdmin):
    """Versions of each community's unit grids (read-only: generate_unit_grids and import_unit_grids write them)."""

    list_display = ["community", "version", "source", "cell_size_m", "file_name", "cells", "created_at", "current"]
    list_filter = ["source", "current"]
    list_select_related = ["community"]
    search_fields = ["community__code", "community__name"]
    readonly_fields = [f.name for f in UnitGridLayer._meta.fields]

    def get_queryset(self, request):
        return super().get_queryset(request).defer("community__geom")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class FacilityForm(forms.ModelForm):
    class Meta:
        model = Facility
        fields = ["code"]  # the admin's own field list extends it

    def clean_code(self):
        code = self.cleaned_data["code"].strip()
        # The code is part of the facility's address (/facilities/CODE/), as in the import.
        if re.search(r"[/\s]", code):
            raise forms.ValidationError(_("A facility code has no slash and no space."))
        return code


@admin.register(Facility)
class FacilityAdmin(LeafletGeoAdmin):
    """The facility inventory: edit one on the map; whole files go through `manage.py import_facilities`."""

    list_display = ["code", "class_code", "name", "state", "owner", "maintainer", "region", "updated_at"]
    list_filter = ["state", "class_code", "owner__kind"]
    list_select_related = ["owner", "maintainer", "region"]
    search_fields = ["code", "name", "address", "owner__name", "maintainer__name"]
    autocomplete_fields = ["owner", "maintainer"]
    readonly_fields = ["region", "region_path", "source", "updated_at"]
    fields = [
        "code",
        "class_code",
        "name",
        "state",
        "owner",
        "maintainer",
        "address",
        "point",
        "photo",
        "attributes",
        "region",
        "region_path",
        "source",
        "updated_at",
    ]
    list_per_page = 50
    form = FacilityForm

    def get_queryset(self, request):
        return super().get_queryset(request).defer("region__geom")

    def save_model(self, request, obj, form, change):
        """The grid follows the point (the deepest region covering it), like an import."""
        facility_locate(facility=obj)
        if not obj.source:
            obj.source = f"admin: {request.user.get_username()}"
        super().save_model(request, obj, form, change)


from . import admin_duty  # noqa: E402, F401 (the duty roster and patrols register themselves)
