"""The page's form of one action, derived from its declaration (the API's serializer is derived likewise, in
cases/api). Forms only parse; what a value means is the parameter's `resolve`, in the service.
"""

from functools import cache

from django import forms
from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .actions import ACTIONS

NOTE_MAX_LENGTH = 2000


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


class ActionForm(forms.Form):
    """The note, the photos and the declared parameters of one action, as the page posts them."""

    spec = None  # set on each derived class

    note = forms.CharField(required=False, max_length=NOTE_MAX_LENGTH, label=gettext_lazy("Note"))
    photos = MultipleFileField(required=False, label=gettext_lazy("Photos"))

    def params(self) -> dict:
        """The action's parameters as `case_transition(params=...)` takes them (left-out ones are absent)."""
        return {
            p.name: self.cleaned_data.get(p.name)
            for p in self.spec.params
            if self.cleaned_data.get(p.name) not in (None, "", [])
        }

    def add_service_errors(self, error):
        """Put a service's ValidationError on the fields it names (unknown names become form errors)."""
        if not hasattr(error, "error_dict"):
            for message in error.messages:
                self.add_error(None, message)
            return
        for name, errors in error.error_dict.items():
            for message in (m for e in errors for m in e.messages):
                self.add_error(name if name in self.fields else None, message)


@cache
def action_form_class(name):
    spec = ACTIONS[name]
    fields = {p.name: p.form_field() for p in spec.params}
    return type(f"{name.title().replace('_', '')}Form", (ActionForm,), {"spec": spec, **fields})


def action_form(name, *args, **kwargs):
    """A bound or unbound form of action `name`."""
    return action_form_class(name)(*args, **kwargs)
