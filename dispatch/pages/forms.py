"""Forms of the command centre and the department workspace: they parse input; the services decide.

`CommandFilterSet` is the shared case filter (cases.filters) with the command centre's own queue, level and cursor.
The forms of the workflow actions are derived from their declarations (`cases.workflow.forms.action_form`).
"""

from django import forms
from django.utils.translation import gettext_lazy as _

from cases.filters import CaseFilterForm, CaseFilterSet
from cases.workflow.params import ListField
from dispatch.models import CommandLevel

from .selectors import MAX_PAGE_ROWS, QUEUE_KEYS, parse_queue_cursor


class CommandFilterForm(CaseFilterForm):
    """The case filters plus what only the command centre's list has: the queue tab, the command level, the cursor."""

    queue = forms.ChoiceField(choices=[(k, k) for k in QUEUE_KEYS], required=False)
    level = forms.ChoiceField(required=False, label=_("Command level"), choices=[("", "—"), *CommandLevel.choices])
    cursor = forms.CharField(required=False, max_length=40, label=_("Page link"), widget=forms.HiddenInput)
    # How many rows to answer with: the live refresh asks for as many as the user has already paged through.
    size = forms.IntegerField(
        required=False, min_value=1, max_value=MAX_PAGE_ROWS, label=_("Rows"), widget=forms.HiddenInput
    )

    @property
    def current_queue(self):
        return (self.cleaned_data.get("queue") if hasattr(self, "cleaned_data") else "") or "all"

    def clean_cursor(self):
        text = self.cleaned_data.get("cursor") or ""
        if not text:
            return None
        cursor = parse_queue_cursor(text)
        if cursor is None:
            raise forms.ValidationError(_("This page link is out of date: open the queue again."))
        return cursor

    @property
    def active_count(self):
        return len(self.filters()) + (1 if getattr(self, "cleaned_data", {}).get("level") else 0)


class CommandFilterSet(CaseFilterSet):
    """The command centre's list, map and counts: the shared case filters (cases.filters) on the page's form."""

    class Meta:
        form = CommandFilterForm


def command_filter_form(request) -> CommandFilterForm:
    """The bound, validated filter form of a command centre request (its errors are shown, never raised)."""
    filterset = CommandFilterSet(request.GET, request=request)
    filterset.is_valid()
    return filterset.form


class OrderReplyForm(forms.Form):
    """The department's reply to a supervision order; the orders service decides whether it may be given."""

    # Not required here: the service's own message for an empty reply is the one the API gives too.
    reply = forms.CharField(required=False, label=_("Reply"))


class OrderIssueForm(forms.Form):
    """A leader's supervision order: what the department must do, the working hours to reply, formal or not."""

    note = forms.CharField(required=False, max_length=2000, label=_("Order"))
    reply_hours = forms.DecimalField(required=False, max_digits=6, decimal_places=2, label=_("Working hours to reply"))
    formal = forms.BooleanField(required=False, label=_("Formal (挂牌督办)"))


class WhistleForm(forms.Form):
    """A street office's whistle (吹哨): the departments it summons and why; the whistle service decides."""

    departments = ListField(required=False, label=_("Departments to summon"))
    note = forms.CharField(required=False, max_length=2000, label=_("Why, and where to report"))


class SummonsReportForm(forms.Form):
    """A summoned department's report (报到); the whistle service decides whether it may be given."""

    note = forms.CharField(required=False, max_length=2000, label=_("Your report"))


class EnforcementStepForm(forms.Form):
    """A step of an enforcement chain; each step reads the fields it needs and the enforcement service decides."""

    note = forms.CharField(required=False, max_length=2000, label=_("Note"))
    offence_code = forms.CharField(required=False, max_length=20, label=_("Offence"))
    legal_basis = forms.CharField(required=False, max_length=200, label=_("Legal basis"))
    department = forms.CharField(required=False, max_length=40, label=_("Department"))
    circumstance = forms.CharField(required=False, max_length=10, label=_("Circumstance"))
    fine = forms.DecimalField(required=False, max_digits=10, decimal_places=2, min_value=0, label=_("Fine (yuan)"))
    deadline = forms.DateTimeField(
        required=False, input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"], label=_("Rectification deadline")
    )
    public = forms.BooleanField(required=False, label=_("Publish the listing"))
    passed = forms.TypedChoiceField(
        required=False, choices=[("yes", "yes"), ("no", "no")], coerce=lambda v: v == "yes", empty_value=True
    )

    party_kind = forms.CharField(required=False, max_length=10, label=_("Party"))
    party_name = forms.CharField(required=False, max_length=100, label=_("Name"))
    credit_code = forms.CharField(required=False, max_length=18, label=_("Unified social credit code"))
    id_number = forms.CharField(required=False, max_length=18, label=_("ID number"))


class EnforcementPartForm(forms.Form):
    """A collaborating department's part (执法协作)."""

    feedback = forms.CharField(required=False, max_length=2000, label=_("Your department's part"))
