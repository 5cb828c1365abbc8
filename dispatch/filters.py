"""Filters of the responsibility list, declared once (django-filter) for the data-sharing API."""

import django_filters
from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.scope import ancestor_paths
from cases.filters import YesNoFilter
from cases.models import Category, CategoryKind, CommandLevel
from grids.models import Department, Region

from .models import ResponsibilityRule


class ResponsibilityRuleFilterForm(forms.Form):
    def clean_category(self):
        text = (self.cleaned_data.get("category") or "").strip().upper()
        if not text:
            return None
        kind, code = text[:1], text[1:]
        if kind not in CategoryKind.values or not (code.isascii() and code.isdigit()):
            raise forms.ValidationError(_("Use a class code like E0102 or E01."))
        category = Category.objects.filter(kind=kind, code=code).first()
        if category is None:
            raise forms.ValidationError(_("No category has this code."))
        return category

    def clean_region(self):
        code = (self.cleaned_data.get("region") or "").strip()
        if not code:
            return None
        region = Region.objects.filter(code=code).defer("geom").first()
        if region is None:
            raise forms.ValidationError(_("No region has this code."))
        return region

    def clean_department(self):
        code = (self.cleaned_data.get("department") or "").strip()
        if not code:
            return None
        department = Department.objects.filter(code=code).first()
        if department is None:
            raise forms.ValidationError(_("No department with this code."))
        return department


class ResponsibilityRuleFilterSet(django_filters.FilterSet):
    """Rules by category (a minor class also finds its major class's rules), region subtree, department (lead or
    assisting), kind, dispatching level, auto-dispatch and active."""

    category = django_filters.CharFilter(
        label=_("Category"),
        help_text=_("E0102: rules of the minor class and of its major class."),
        method="of_category",
    )
    region = django_filters.CharFilter(
        label=_("Region"),
        help_text=_("Region code: the rules that apply there (set at it, above it or inside it)."),
        method="in_region",
    )
    department = django_filters.CharFilter(
        label=_("Department"), help_text=_("Department code: lead or assisting."), method="of_department"
    )
    kind = django_filters.ChoiceFilter(choices=CategoryKind.choices, label=_("Kind"))
    dispatch_level = django_filters.ChoiceFilter(choices=CommandLevel.choices, label=_("Dispatched by"))
    auto_dispatch = YesNoFilter(label=_("Auto-dispatch"))
    active = YesNoFilter(label=_("Active"))

    class Meta:
        model = ResponsibilityRule
        form = ResponsibilityRuleFilterForm
        fields = ["category", "region", "department", "kind", "dispatch_level", "auto_dispatch", "active"]

    def of_category(self, queryset, name, value):
        if value is None:
            return queryset
        return queryset.filter(category_id__in=[c for c in (value.pk, value.parent_id) if c is not None])

    def in_region(self, queryset, name, value):
        if value is None:
            return queryset
        return queryset.filter(Q(region__path__startswith=value.path) | Q(region__path__in=ancestor_paths(value.path)))

    def of_department(self, queryset, name, value):
        if value is None:
            return queryset
        return queryset.filter(Q(lead_department=value) | Q(assisting_departments=value)).distinct()
