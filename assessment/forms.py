"""The period picker and the recomputation form."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .periods import FIRST_DAY, KINDS, LAST_DAY, span_containing, span_custom


class PeriodForm(forms.Form):
    """kind + a day inside the period, or a custom first and last day."""

    kind = forms.ChoiceField(label=_("Period"), choices=list(KINDS.items()))
    day = forms.DateField(label=_("Any day in it"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    first = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    last = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self):
        data = super().clean()
        for name in ("day", "first", "last"):
            if data.get(name) and not FIRST_DAY <= data[name] <= LAST_DAY:
                self.add_error(
                    name,
                    _("Choose a day from %(first)s to %(last)s.") % {"first": FIRST_DAY, "last": LAST_DAY},
                )
        if self.errors:
            return data
        if data.get("kind") == "custom":
            if not data.get("first") or not data.get("last"):
                raise forms.ValidationError(_("A custom period needs its first and last day."))
            if data["last"] < data["first"]:
                raise forms.ValidationError(_("The last day cannot come before the first."))
        elif not data.get("day"):
            raise forms.ValidationError(_("Choose a day inside the period."))
        return data

    def span(self):
        data = self.cleaned_data
        if data["kind"] == "custom":
            return span_custom(data["first"], data["last"])
        return span_containing(data["kind"], data["day"])


class RecomputeForm(forms.Form):
    reason = forms.CharField(label=_("Why compute the period again?"), widget=forms.Textarea(attrs={"rows": 3}))
    as_of_latest = forms.BooleanField(
        label=_("Read only the events the latest run read (reproduce it with today's schemes)"), required=False
    )
