"""The case list's filters, declared once: the REST API list and the command centre parse and check them here.

`CaseFilterSet` validates the query string (a category code, a region in the user's scope, a department, the
date order, a box); `cleaned_filters()` hands the valid values to `cases.selectors.case_list_filter`, the one
place that turns them into SQL. Bad input is a field error (400 in the API, a message in the page), never a 500.
"""

import math

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from grids.models import Department, Region

from .ids import parse_id
from .models import Category, CategoryKind, Light, Source, Status

# The filters `case_list_filter` understands, in the order the API documents them.
FILTER_KEYS = (
    "q",
    "status",
    "category",
    "kind",
    "region",
    "department",
    "source",
    "overdue",
    "light",
    "created_after",
    "created_before",
    "bbox",
)


def parse_bbox(text) -> tuple | None:
    """ "minlon,minlat,maxlon,maxlat" as four finite floats with min < max, or None."""
    try:
        box = tuple(float(v) for v in str(text).split(","))
    except ValueError:
        return None
    if len(box) != 4 or not all(map(math.isfinite, box)) or not (box[0] < box[2] and box[1] < box[3]):
        return None
    return box


class YesNoField(forms.Field):
    """true/false (also 1/0, yes/no) or nothing; anything else is an error rather than silently no filter."""

    widget = forms.TextInput
    default_error_messages = {"invalid": _("Must be a valid boolean.")}
    TRUE = frozenset({"true", "1", "yes", "on"})
    FALSE = frozenset({"false", "0", "no", "off"})

    def to_python(self, value):
        text = str(value).strip().lower() if value is not None else ""
        if not text:
            return None
        if text in self.TRUE:
            return True
        if text in self.FALSE:
            return False
        raise forms.ValidationError(self.error_messages["invalid"], code="invalid")


class YesNoFilter(django_filters.BooleanFilter):
    field_class = YesNoField


class CaseFilterForm(forms.Form):
    """The checks behind the filters; `user` (set by the FilterSet) bounds the regions one may name."""

    user = None

    def clean_category(self):
        text = (self.cleaned_data.get("category") or "").strip().upper()
        if not text:
            return None
        kind, code = text[:1], text[1:]
        # parse_id accepts ASCII digits only: "²".isdigit() is true, but it is no class code.
        if kind not in CategoryKind.values or parse_id(code) is None:
            raise forms.ValidationError(_("Use a class code like E0102 or E01."))
        ids = list(Category.objects.filter(kind=kind, code__startswith=code).values_list("pk", flat=True))
        if not ids:
            raise forms.ValidationError(_("No category has this code."))
        return ids

    def clean_region(self):
        code = (self.cleaned_data.get("region") or "").strip()
        if not code:
            return None
        region = Region.objects.visible_to(self.user).filter(code=code).defer("geom").first()
        if region is None:
            raise forms.ValidationError(_("No region with this code in your scope."))
        return region

    def clean_department(self):
        code = (self.cleaned_data.get("department") or "").strip()
        if not code:
            return None
        department = Department.objects.filter(code=code).first()
        if department is None:
            raise forms.ValidationError(_("No department with this code."))
        return department

    def clean_bbox(self):
        text = (self.cleaned_data.get("bbox") or "").strip()
        if not text:
            return None
        box = parse_bbox(text)
        if box is None:
            raise forms.ValidationError(_("Give four numbers: minlon,minlat,maxlon,maxlat."))
        return box

    def clean(self):
        data = super().clean()
        after, before = data.get("created_after"), data.get("created_before")
        if after and before and after > before:
            self.add_error("created_before", _("The end date is before the start date."))
        return data

    def filters(self) -> dict:
        """The valid, given filters for `case_list_filter` (invalid ones are left out and shown as errors)."""
        data = getattr(self, "cleaned_data", {})
        return {k: data[k] for k in FILTER_KEYS if data.get(k) not in (None, "", [], ()) and k not in self.errors}


class CaseFilterSet(django_filters.FilterSet):
    """The list filters of cases: status, class code, kind, region subtree in scope, department, source,
    overdue, light, report dates, a box and a search text."""

    q = django_filters.CharFilter(
        max_length=100, label=_("Search"), help_text=_("Case number, address or text of the description.")
    )
    status = django_filters.MultipleChoiceFilter(choices=Status.choices, label=_("Status"))
    category = django_filters.CharFilter(label=_("Category"), help_text=_("Minor (E0102) or major (E01) class code."))
    kind = django_filters.ChoiceFilter(choices=CategoryKind.choices, label=_("Kind"))
    region = django_filters.CharFilter(label=_("Region"), help_text=_("Region code: the whole subtree."))
    department = django_filters.CharFilter(label=_("Department"), help_text=_("Department code: lead or assisting."))
    source = django_filters.ChoiceFilter(choices=Source.choices, label=_("Source"))
    overdue = YesNoFilter(label=_("Overdue"))
    light = django_filters.ChoiceFilter(choices=Light.choices, label=_("Traffic light"))
    created_after = django_filters.DateFilter(label=_("Reported from"))
    created_before = django_filters.DateFilter(label=_("Reported until"))
    bbox = django_filters.CharFilter(label=_("Map box"), help_text=_("minlon,minlat,maxlon,maxlat"))

    class Meta:
        form = CaseFilterForm

    def __init__(self, data=None, queryset=None, *, request=None, user=None, **kwargs):
        if queryset is None:
            from .models import Case

            queryset = Case.objects.none()
        super().__init__(data, queryset, request=request, **kwargs)
        self.user = user if user is not None else getattr(request, "user", None)

    @property
    def form(self):
        form = super().form
        form.user = self.user
        return form

    def cleaned_filters(self) -> dict:
        """The valid filters, as `cases.selectors.case_list_for_user(filters=...)` takes them."""
        self.is_valid()
        return self.form.filters()

    def filter_queryset(self, queryset):
        """Narrow `queryset` (already in the user's scope) the same way the selectors do."""
        from .selectors import case_list_filter

        return case_list_filter(queryset, filters=self.form.filters())
