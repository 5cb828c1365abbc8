"""Filters of the grid's lists, declared once (django-filter): the data-sharing API parses and checks them here."""

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Department, DepartmentKind, DepartmentLevel, Region


class DepartmentFilterForm(forms.Form):
    def clean_region(self):
        code = (self.cleaned_data.get("region") or "").strip()
        if not code:
            return None
        region = Region.objects.filter(code=code).defer("geom").first()
        if region is None:
            raise forms.ValidationError(_("No region has this code."))
        return region


class DepartmentFilterSet(django_filters.FilterSet):
    """Departments by kind, level, home region (the whole subtree), active flag and a name search."""

    kind = django_filters.ChoiceFilter(choices=DepartmentKind.choices, label=_("Kind"))
    level = django_filters.ChoiceFilter(choices=DepartmentLevel.choices, label=_("Level"))
    region = django_filters.CharFilter(
        label=_("Region"), help_text=_("Region code: departments based in it or below it."), method="in_region"
    )
    # true/false, and anything else an error rather than silently no filter.
    active = django_filters.ChoiceFilter(
        choices=[("true", "true"), ("false", "false")], label=_("Active"), method="is_active"
    )
    q = django_filters.CharFilter(
        field_name="name", lookup_expr="icontains", max_length=40, label=_("Search"), help_text=_("Part of the name.")
    )

    class Meta:
        model = Department
        form = DepartmentFilterForm
        fields = ["kind", "level", "region", "active", "q"]

    def is_active(self, queryset, name, value):
        return queryset.filter(active=value == "true") if value else queryset

    def in_region(self, queryset, name, value):
        return queryset.filter(home_region__path__startswith=value.path) if value is not None else queryset
