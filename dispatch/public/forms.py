"""The portal's forms: the report, the phone's code and the rating. Messages in the resident's language."""

import re

from django import forms
from django.utils.translation import gettext_lazy as _

from cases.models import Category, Satisfaction

PHONE = re.compile(r"^1[3-9]\d{9}$")  # a mainland mobile number: SMS goes to mobiles only
DESCRIPTION_MAX = 1000


def _categories():
    rows = (
        Category.objects.filter(parent__isnull=False, active=True)
        .select_related("parent")
        .order_by("kind", "code")
        .values_list("kind", "code", "name", "initials", "parent__name")
    )
    return [
        (f"{kind}{code}", name, f"{name} {parent} {code} {initials}", parent)
        for kind, code, name, initials, parent in rows
    ]


class PublicReportForm(forms.Form):
    photo = forms.FileField(label=_("Photo of the problem"), required=False)
    lon = forms.FloatField(widget=forms.HiddenInput, required=False, min_value=-180, max_value=180)
    lat = forms.FloatField(widget=forms.HiddenInput, required=False, min_value=-90, max_value=90)
    category = forms.CharField(label=_("What kind of problem"), max_length=12)
    description = forms.CharField(
        label=_("Describe the problem"), max_length=DESCRIPTION_MAX, widget=forms.Textarea(attrs={"rows": 4})
    )
    address = forms.CharField(label=_("Address or landmark (optional)"), max_length=200, required=False)
    contact_name = forms.CharField(label=_("Your name (optional)"), max_length=60, required=False)
    contact_phone = forms.CharField(label=_("Mobile phone (optional)"), max_length=20, required=False)
    wants_updates = forms.BooleanField(label=_("Send me SMS updates (a code confirms the number)"), required=False)
    wants_callback = forms.BooleanField(label=_("Call me back once it is dealt with"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.category_options = _categories()
        self.chosen_category = None

    def clean_category(self):
        value = self.cleaned_data["category"].strip()
        category = (
            Category.objects.filter(parent__isnull=False, active=True, kind=value[:1], code=value[1:])
            .select_related("parent")
            .first()
            if value
            else None
        )
        if category is None:
            raise forms.ValidationError(_("Choose the kind of problem from the list."))
        self.chosen_category = category
        return category

    def clean_description(self):
        text = self.cleaned_data["description"].strip()
        if not text:
            raise forms.ValidationError(_("Describe the problem."))
        return text

    def clean_contact_phone(self):
        phone = re.sub(r"[\s-]", "", self.cleaned_data["contact_phone"])
        if phone.startswith("+86"):
            phone = phone[3:]
        if phone and not PHONE.match(phone):
            raise forms.ValidationError(_("Give an 11-digit mobile number, e.g. 13800138000."))
        return phone

    def clean(self):
        data = super().clean()
        if data.get("lon") is None or data.get("lat") is None:
            self.add_error(None, _("Put a pin on the map where the problem is, or use your location."))
        wants_phone = data.get("wants_updates") or data.get("wants_callback")
        if wants_phone and not data.get("contact_phone") and "contact_phone" not in self.errors:
            self.add_error("contact_phone", _("Give a mobile number to get updates or a call-back."))
        return data


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("Code from the SMS"),
        max_length=6,
        min_length=6,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "pattern": "[0-9]{6}"}),
    )


class RatingForm(forms.Form):
    satisfaction = forms.ChoiceField(
        label=_("How satisfied are you with the result?"), choices=Satisfaction.choices, widget=forms.RadioSelect
    )
    comment = forms.CharField(
        label=_("Comment (optional)"), max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
