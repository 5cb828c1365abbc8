"""Admin of the responsibility list (权责清单) and a read-only view of case routings."""

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from dispatch.models import CaseRouting, ResponsibilityRule


class CategoryLevelFilter(admin.SimpleListFilter):
    title = _("category")
    parameter_name = "category_level"

    def lookups(self, request, model_admin):
        return [("minor", _("Minor class")), ("major", _("Whole major class")), ("any", _("Any category"))]

    def queryset(self, request, queryset):
        value = self.value()
        if value == "minor":
            return queryset.filter(category__parent__isnull=False)
        if value == "major":
            return queryset.filter(category__isnull=False, category__parent__isnull=True)
        if value == "any":
            return queryset.filter(category__isnull=True)
        return queryset


class ResponsibilityRuleForm(forms.ModelForm):
    class Meta:
        model = ResponsibilityRule
        fields = [
            "kind",
            "category",
            "region",
            "lead_department",
            "lead_street_office",
            "assisting_departments",
            "dispatch_level",
            "auto_dispatch",
            "active",
            "note",
        ]

    def clean(self):
        data = super().clean()
        lead, assisting = data.get("lead_department"), data.get("assisting_departments") or []
        if lead is not None and lead in assisting:
            self.add_error("assisting_departments", _("The lead department cannot also assist."))
        return data


@admin.register(ResponsibilityRule)
class ResponsibilityRuleAdmin(admin.ModelAdmin):
    form = ResponsibilityRuleForm
    list_display = [
        "__str__",
        "category",
        "region",
        "lead",
        "dispatch_level",
        "auto_dispatch",
        "active",
        "note",
    ]
    list_filter = ["dispatch_level", "auto_dispatch", "kind", "active", CategoryLevelFilter]
    list_select_related = ["category", "region", "lead_department"]
    search_fields = [
        "category__code",
        "category__name",
        "region__code",
        "region__name",
        "lead_department__name",
        "note",
    ]
    autocomplete_fields = ["category", "region", "lead_department", "assisting_departments"]
    fields = [
        ("kind", "category"),
        "region",
        ("lead_department", "lead_street_office"),
        "assisting_departments",
        ("dispatch_level", "auto_dispatch", "active"),
        "note",
    ]
    list_per_page = 100

    def get_queryset(self, request):
        return super().get_queryset(request).defer("region__geom")

    @admin.display(description=_("lead department"), ordering="lead_department__name")
    def lead(self, rule):
        return _("Street office of the case's street") if rule.lead_street_office else rule.lead_department


@admin.register(CaseRouting)
class CaseRoutingAdmin(admin.ModelAdmin):
    """Read-only: routings are written by the platform when cases are filed, returned and escalated."""

    list_display = ["case", "level", "proposed_lead", "auto_dispatch", "auto_dispatched", "escalated", "proposed_at"]
    list_filter = ["level", "auto_dispatch", "auto_dispatched", "escalated"]
    list_select_related = ["case", "proposed_lead"]
    search_fields = ["case__number"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
