"""Forms of the command centre and the department workspace: they parse input; the services decide.

`CaseFilterForm` turns the query string into the filters `cases.selectors.case_list_for_user` takes. The forms of
the workflow actions are derived from their declarations (`cases.workflow.forms.action_form`).
"""

from django import forms
from django.utils.translation import gettext_lazy as _

from cases.models import Category, CategoryKind
from grids.models import Department, Region

from .selectors_pages import QUEUE_KEYS


class CaseFilterForm(forms.Form):
    """The queue tab, the search and the filters of the command centre's list."""

    queue = forms.ChoiceField(choices=[(k, k) for k in QUEUE_KEYS], required=False)
    q = forms.CharField(required=False, max_length=100, label=_("Search"))
    category = forms.CharField(required=False, max_length=8, label=_("Category"))
    region = forms.CharField(required=False, max_length=15, label=_("Region"))
    department = forms.CharField(required=False, max_length=40, label=_("Department"))
    created_after = forms.DateField(required=False, label=_("Reported from"))
    created_before = forms.DateField(required=False, label=_("Reported until"))
    level = forms.ChoiceField(
        required=False,
        label=_("Command level"),
        choices=[("", "—"), ("city", _("City command centre")), ("district", _("District command centre"))],
    )
    before = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_category(self):
        text = self.cleaned_data["category"].strip().upper()
        if not text:
            return None
        kind, code = text[:1], text[1:]
        if kind not in CategoryKind.values or not code.isdigit():
            raise forms.ValidationError(_("Use a class code like E0102 or E01."))
        ids = list(Category.objects.filter(kind=kind, code__startswith=code).values_list("pk", flat=True))
        if not ids:
            raise forms.ValidationError(_("No category has this code."))
        return ids

    def clean_region(self):
        code = self.cleaned_data["region"].strip()
        if not code:
            return None
        region = Region.objects.visible_to(self.user).filter(code=code).defer("geom").first()
        if region is None:
            raise forms.ValidationError(_("No region with this code in your scope."))
        return region

    def clean_department(self):
        code = self.cleaned_data["department"].strip()
        if not code:
            return None
        department = Department.objects.filter(code=code).first()
        if department is None:
            raise forms.ValidationError(_("No department with this code."))
        return department

    def clean(self):
        data = super().clean()
        after, before = data.get("created_after"), data.get("created_before")
        if after and before and after > before:
            self.add_error("created_before", _("The end date is before the start date."))
        return data

    def filters(self) -> dict:
        """The valid filters for `case_list_for_user` (invalid ones are left out and shown as errors)."""
        data = self.cleaned_data if self.is_bound and hasattr(self, "cleaned_data") else {}
        keys = ("q", "category", "region", "department", "created_after", "created_before")
        return {k: data[k] for k in keys if data.get(k) and k not in self.errors}

    @property
    def current_queue(self):
        return (self.cleaned_data.get("queue") if hasattr(self, "cleaned_data") else "") or "all"

    @property
    def active_count(self):
        return len(self.filters()) + (1 if getattr(self, "cleaned_data", {}).get("level") else 0)


class OrderIssueForm(forms.Form):
    """A leader's supervision order: what the department must do, the working hours to reply, formal or not."""

    note = forms.CharField(required=False, max_length=2000, label=_("Order"))
    reply_hours = forms.DecimalField(required=False, max_digits=6, decimal_places=2, label=_("Working hours to reply"))
    formal = forms.BooleanField(required=False, label=_("Formal (挂牌督办)"))
