"""The intake desk's form: a hotline call or a visitor at the counter, as the operator writes it down.

The form only parses (a point, a category code, the caller); what the values mean — the place inside the
operator's grids, the category active, the 12345 work order not taken yet, the filing condition of this class —
the services decide (`cases.services.desk.case_intake`), and their messages land on the same fields.
"""

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cases.ids import parse_id
from cases.models import Category, CategoryKind, Source, Urgency
from cases.workflow.forms import MultipleFileField

# The channels a call or a visit reaches the desk by (the API takes every source).
CHANNELS = (Source.HOTLINE_12345, Source.HOTLINE_12319, Source.COUNTER, Source.MEDIA, Source.LEADER)
# Which button was pressed: look up (no saving; the page without JavaScript), save, save and accept, or save,
# accept and file.
CHECK, SAVE, ACCEPT, FILE = "check", "save", "accept", "file"
# A service's field name → the form's field that shows its message.
SERVICE_FIELDS = {
    "source": "channel",
    "lon": "point",
    "lat": "point",
    "self_handled": None,
    "facility": "facility_code",
}


class IntakeForm(forms.Form):
    channel = forms.ChoiceField(
        label=gettext_lazy("Channel"), choices=[(c.value, c.label) for c in CHANNELS], initial=Source.HOTLINE_12345
    )
    work_order_number = forms.CharField(
        label=gettext_lazy("12345 work-order number"), required=False, max_length=40, strip=True
    )
    contact_name = forms.CharField(label=gettext_lazy("Caller's name"), required=False, max_length=60)
    contact_phone = forms.RegexField(
        label=gettext_lazy("Caller's phone"),
        regex=r"^[0-9+\- ]{3,30}$",
        required=False,
        error_messages={"invalid": gettext_lazy("Give the phone number in digits (3 to 30; +, - and spaces allowed).")},
    )
    callback_requested = forms.BooleanField(label=gettext_lazy("Caller wants a call-back"), required=False)
    place_q = forms.CharField(label=gettext_lazy("Search streets, communities and known addresses"), required=False)
    place = forms.CharField(required=False, max_length=60)
    lon = forms.FloatField(label=gettext_lazy("Longitude"), required=False, min_value=-180, max_value=180)
    lat = forms.FloatField(label=gettext_lazy("Latitude"), required=False, min_value=-90, max_value=90)
    address = forms.CharField(label=gettext_lazy("Address"), required=False, max_length=200)
    category_q = forms.CharField(label=gettext_lazy("Search by name, code or pinyin initials"), required=False)
    category = forms.CharField(label=gettext_lazy("Category"), required=False, max_length=12)
    description = forms.CharField(
        label=gettext_lazy("Description"), max_length=2000, widget=forms.Textarea, required=False
    )
    photos = MultipleFileField(label=gettext_lazy("Photos"), required=False)
    urgency = forms.ChoiceField(
        label=gettext_lazy("Urgency"), choices=Urgency.choices, initial=Urgency.NORMAL, required=False
    )

    filing_condition = forms.CharField(label=gettext_lazy("Filing condition"), required=False, max_length=12)
    # The 部件 the call is about: picked from those near the point (radio "facility") or typed from its label.
    facility = forms.CharField(required=False, max_length=40)
    facility_code = forms.CharField(label=gettext_lazy("Facility code"), required=False, max_length=40)
    submit = forms.ChoiceField(choices=[(s, s) for s in (CHECK, SAVE, ACCEPT, FILE)], required=False)

    def __init__(self, *args, file_allowed=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.file_allowed = file_allowed
        self.point_errors = []  # shown under the map; also among the form's errors

    def point_error(self, message):
        self.point_errors.append(str(message))
        self.add_error(None, message)

    @property
    def other_errors(self):
        """The form-wide errors that are not about the point."""
        return [e for e in self.non_field_errors() if e not in self.point_errors]

    @property
    def step(self):
        return (self.data.get("submit") or SAVE) if self.is_bound else None

    def clean_urgency(self):
        return self.cleaned_data.get("urgency") or Urgency.NORMAL

    def clean_category(self):
        return category_from_code(self.cleaned_data.get("category"))

    def clean_place(self):
        return point_from_place(self.cleaned_data.get("place"))

    def clean(self):
        data = super().clean()
        if data.get("lon") is None or data.get("lat") is None:
            place = data.get("place")
            data["lon"], data["lat"] = place if place else (None, None)
        if self.step == CHECK:
            return data
        if data.get("channel") == Source.HOTLINE_12345 and not data.get("work_order_number"):
            self.add_error("work_order_number", _("A 12345 transfer needs its work-order number."))
        if data.get("callback_requested") and not data.get("contact_phone"):
            self.add_error("contact_phone", _("A call-back needs the caller's phone number."))
        if data.get("lon") is None or data.get("lat") is None:
            self.point_error(_("Click the map or pick a place from the search."))
        if not data.get("category"):
            self.add_error("category", _("Choose a category (search by name, code or pinyin initials)."))
        if not (data.get("description") or "").strip():
            self.add_error("description", _("Describe the problem."))
        if self.step == FILE and self.file_allowed and not data.get("filing_condition"):
            self.add_error("filing_condition", _("Choose one of this category's filing conditions."))
        return data

    def report(self, *, photos) -> dict:
        """The `case_report` arguments of a valid form."""
        data = self.cleaned_data
        return {
            "category": data["category"],
            "description": data["description"].strip(),
            "lon": data["lon"],
            "lat": data["lat"],
            "source": data["channel"],
            "address": data["address"],
            "contact_name": data["contact_name"],
            "contact_phone": data["contact_phone"],
            "callback_requested": data["callback_requested"],
            "work_order_number": data["work_order_number"] if data["channel"] == Source.HOTLINE_12345 else "",
            "urgency": data["urgency"],
            "facility": (data.get("facility_code") or "").strip() or (data.get("facility") or "").strip(),
            "photos": photos,
        }

    def add_service_errors(self, error):
        """A service's ValidationError on the fields it names (the point's on the map; unknown ones on the form)."""
        items = error.error_dict.items() if hasattr(error, "error_dict") else [(None, error.error_list)]
        for name, errors in items:
            target = SERVICE_FIELDS.get(name, name)
            for message in (m for e in errors for m in e.messages):
                if target == "point":
                    self.point_error(message)
                else:
                    self.add_error(target if target in self.fields else None, message)


def category_from_code(value):
    """An active minor class by display code ("E0102") or id; None when empty; a field error when unknown."""
    text = (value or "").strip().upper()
    if not text:
        return None
    categories = Category.objects.filter(parent__isnull=False, active=True).select_related("parent")
    if parse_id(text) is not None:
        found = categories.filter(pk=parse_id(text)).first()
    elif text[:1] in CategoryKind.values:
        found = categories.filter(kind=text[0], code=text[1:]).first()
    else:
        found = None
    if found is None:
        raise forms.ValidationError(_("Unknown category “%(value)s”; pick one from the search.") % {"value": value})
    return found


def point_from_place(value):
    """A gazetteer pick "lon,lat" as (lon, lat); None when empty; a field error when not a point."""
    text = (value or "").strip()
    if not text:
        return None
    try:
        lon, lat = (float(part) for part in text.split(","))
    except ValueError:
        raise forms.ValidationError(_("Pick a place from the search results.")) from None
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise forms.ValidationError(_("Pick a place from the search results."))
    return lon, lat
