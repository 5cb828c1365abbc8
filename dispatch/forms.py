"""Forms of the command centre and the department workspace: they parse input; the services decide.

`CommandFilterSet` is the shared case filter (cases.filters) with the command centre's own queue, level and cursor.
`TransitionForm` parses the fields any workflow action may carry; `case_transition` validates them and its
field errors are put back on this form, so the page shows them next to the fields.
"""

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from cases.filters import CaseFilterForm, CaseFilterSet

from .models import CommandLevel
from .selectors_pages import QUEUE_KEYS

# Labels of the workflow actions (cases/workflow.py), as buttons and form titles.
ACTION_LABELS = {
    "accept": pgettext_lazy("action", "Accept"),
    "refuse": pgettext_lazy("action", "Refuse"),
    "request_verification": pgettext_lazy("action", "Send for verification"),
    "verify": pgettext_lazy("action", "Verify"),
    "merge": pgettext_lazy("action", "Merge as duplicate"),
    "self_close": pgettext_lazy("action", "Confirm fixed on the spot"),
    "register": pgettext_lazy("action", "Register"),
    "refuse_registration": pgettext_lazy("action", "Refuse registration"),
    "dispatch": pgettext_lazy("action", "Dispatch"),
    "request_return": pgettext_lazy("action", "Request return"),
    "approve_return": pgettext_lazy("action", "Approve return"),
    "reject_return": pgettext_lazy("action", "Reject return"),
    "request_extension": pgettext_lazy("action", "Request extension"),
    "approve_extension": pgettext_lazy("action", "Approve extension"),
    "reject_extension": pgettext_lazy("action", "Reject extension"),
    "request_suspension": pgettext_lazy("action", "Request suspension"),
    "approve_suspension": pgettext_lazy("action", "Approve suspension"),
    "reject_suspension": pgettext_lazy("action", "Reject suspension"),
    "resume": pgettext_lazy("action", "Resume"),
    "feedback": pgettext_lazy("action", "Report handling done"),
    "request_check": pgettext_lazy("action", "Send for on-site check"),
    "check": pgettext_lazy("action", "Check"),
    "close": pgettext_lazy("action", "Close"),
    "request_void": pgettext_lazy("action", "Request void"),
    "approve_void": pgettext_lazy("action", "Approve void"),
    "reject_void": pgettext_lazy("action", "Reject void"),
    "report": pgettext_lazy("action", "Report"),
    # Overlays written by the dispatch app: the status stays, the timeline shows them.
    "order_issued": pgettext_lazy("action", "Supervision order issued"),
    "order_replied": pgettext_lazy("action", "Supervision order answered"),
    "order_withdrawn": pgettext_lazy("action", "Supervision order withdrawn"),
    "order_overdue": pgettext_lazy("action", "Supervision order unanswered"),
    "timer_warning": pgettext_lazy("action", "Deadline warning"),
    "timer_overdue": pgettext_lazy("action", "Deadline passed"),
    "timer_escalation": pgettext_lazy("action", "Escalated"),
}

# The step forward of each state comes first and opens by default; the side branches follow.
PRIMARY_ACTIONS = (
    "accept",
    "register",
    "dispatch",
    "feedback",
    "request_check",
    "close",
    "approve_return",
    "approve_extension",
    "approve_suspension",
    "resume",
    "approve_void",
    "verify",
    "check",
)
# Actions that deserve a warning colour: they end or turn back a case.
DANGER_ACTIONS = frozenset({"refuse", "refuse_registration", "request_void", "approve_void", "merge"})

# The parameters each action takes (besides note and photos), as `case_transition` expects them.
ACTION_PARAMS = {
    "request_verification": ("assignee",),
    "request_check": ("assignee",),
    "verify": ("result",),
    "check": ("passed",),
    "merge": ("master",),
    "register": ("filing_condition", "urgency"),
    "dispatch": ("lead_department", "assisting_departments"),
    "request_extension": ("hours",),
}


def action_label(name):
    return ACTION_LABELS.get(name, name)


class CommandFilterForm(CaseFilterForm):
    """The case filters plus what only the command centre's list has: the queue tab, the command level, the cursor."""

    queue = forms.ChoiceField(choices=[(k, k) for k in QUEUE_KEYS], required=False)
    level = forms.ChoiceField(required=False, label=_("Command level"), choices=[("", "—"), *CommandLevel.choices])
    before = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)

    @property
    def current_queue(self):
        return (self.cleaned_data.get("queue") if hasattr(self, "cleaned_data") else "") or "all"

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


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Up to CASE_PHOTOS_MAX files in one field (the type is checked by the photo service, by content)."""

    widget = MultipleFileInput

    def clean(self, data, initial=None):
        files = [f for f in (data or []) if f]
        if len(files) > settings.CASE_PHOTOS_MAX:
            raise forms.ValidationError(
                _("Attach at most %(max)d photos.") % {"max": settings.CASE_PHOTOS_MAX}, code="too_many"
            )
        return [super(MultipleFileField, self).clean(f, initial) for f in files]


class ListField(forms.Field):
    """Repeated values of one name (a multiple select)."""

    widget = forms.SelectMultiple

    def to_python(self, value):
        return [str(v).strip() for v in (value or []) if str(v).strip()]


class TransitionForm(forms.Form):
    """Everything a workflow action may carry. Which fields matter, and their rules, is the service's business."""

    note = forms.CharField(required=False, max_length=2000, label=_("Note"))
    assignee = forms.CharField(required=False, max_length=150, label=_("Grid worker"))
    result = forms.ChoiceField(required=False, choices=[("true", _("Yes")), ("false", _("No"))])
    passed = forms.ChoiceField(required=False, choices=[("true", _("Yes")), ("false", _("No"))])
    master = forms.CharField(required=False, max_length=24, label=_("Master case number"))
    filing_condition = forms.CharField(required=False, max_length=12, label=_("Filing condition"))
    urgency = forms.CharField(required=False, max_length=10, label=_("Urgency"))
    lead_department = forms.CharField(required=False, max_length=40, label=_("Lead department"))
    assisting_departments = ListField(required=False, label=_("Assisting departments"))
    hours = forms.DecimalField(
        required=False, min_value=0.5, max_digits=6, decimal_places=2, label=_("Extra working hours")
    )
    photos = MultipleFileField(required=False, label=_("Photos"))

    def __init__(self, *args, action, **kwargs):
        super().__init__(*args, **kwargs)
        self.action = action

    def params(self) -> dict:
        """The action's parameters, as `case_transition(params=...)` takes them."""
        data = self.cleaned_data
        params = {}
        for name in ACTION_PARAMS.get(self.action, ()):
            value = data.get(name)
            if value not in (None, "", []):
                params[name] = value
            elif name == "assisting_departments":
                params[name] = []
        return params

    def add_service_errors(self, error):
        """Put a service's ValidationError on the fields it names (unknown names become form errors)."""
        if not hasattr(error, "error_dict"):
            for message in error.messages:
                self.add_error(None, message)
            return
        for name, errors in error.error_dict.items():
            for message in (m for e in errors for m in e.messages):
                self.add_error(name if name in self.fields else None, message)


class OrderIssueForm(forms.Form):
    """A leader's supervision order: what the department must do, the working hours to reply, formal or not."""

    note = forms.CharField(required=False, max_length=2000, label=_("Order"))
    reply_hours = forms.DecimalField(required=False, max_digits=6, decimal_places=2, label=_("Working hours to reply"))
    formal = forms.BooleanField(required=False, label=_("Formal (挂牌督办)"))
