from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from cases.catalogue import active_minor_category
from cases.clock import describe_remaining, is_overdue_at, light_at, remaining_at
from cases.ids import parse_id
from cases.models import CategoryKind, Light, Source, Status, Urgency
from cases.permissions import case_allowed_actions
from cases.selectors import case_contact_phone_for, case_duplicate_candidates, pending_requests
from cases.workflow import ACTIONS, all_params
from cases.workflow.forms import NOTE_MAX_LENGTH


def _seconds(duration):
    """A duration as (fractional) seconds for JSON; None stays None."""
    return None if duration is None else duration.total_seconds()


@extend_schema_field(OpenApiTypes.STR)
class CategoryRefField(serializers.Field):
    """A minor category by its display code ("E0102") or id."""

    default_error_messages = {"unknown": _("Unknown category “{value}”; use a minor class code like E0102.")}

    def to_internal_value(self, data):
        text = str(data).strip().upper()
        if parse_id(text) is not None:
            category = active_minor_category(pk=parse_id(text))
        elif text[:1] in CategoryKind.values:
            category = active_minor_category(kind=text[0], code=text[1:])
        else:
            category = None
        if category is None:
            self.fail("unknown", value=data)
        return category

    def to_representation(self, value):
        return f"{value.kind}{value.code}"


class PhotoListField(serializers.ListField):
    """Uploaded photos, at most settings.CASE_PHOTOS_MAX (read per request: a changed setting applies at once)."""

    default_error_messages = {
        "too_many": _("%(count)d photos attached; at most %(max)d are accepted. Remove %(extra)d and send again."),
    }

    def __init__(self, **kwargs):
        kwargs.setdefault("child", serializers.FileField())
        kwargs.setdefault("required", False)
        kwargs.setdefault("default", list)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        files = super().to_internal_value(data)
        limit = settings.CASE_PHOTOS_MAX
        if len(files) > limit:
            message = self.error_messages["too_many"] % {"count": len(files), "max": limit, "extra": len(files) - limit}
            raise serializers.ValidationError(message, code="too_many")
        return files


class StatusDisplayField(serializers.CharField):
    """The case's status in words. Read straight from the model: given source="get_status_display", DRF inspects
    the bound method's signature for every row, a large part of a 50-row page's time."""

    def get_attribute(self, instance):
        return instance.get_status_display()


class NamedRef(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()


class CaseListSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.CharField()
    kind = serializers.CharField()
    category = serializers.SerializerMethodField()
    status = serializers.CharField()
    status_display = StatusDisplayField()
    stage = serializers.CharField()
    stage_deadline = serializers.DateTimeField(allow_null=True)
    light = serializers.SerializerMethodField()
    overdue = serializers.SerializerMethodField()
    supervised = serializers.BooleanField()
    command_level = serializers.CharField(help_text="city or district: whose command centre dispatches the case")
    escalated = serializers.BooleanField(help_text="lifted to the city command centre, which may take it over")
    source = serializers.CharField()
    region = NamedRef()
    lead_department = NamedRef(allow_null=True)
    address = serializers.CharField()
    lon = serializers.FloatField(source="point.x")
    lat = serializers.FloatField(source="point.y")
    created_at = serializers.DateTimeField()

    def get_category(self, case) -> dict:
        return {"code": f"{case.category.kind}{case.category.code}", "name": case.category.name}

    def _now(self):
        return self.context.setdefault("now", timezone.now())

    def get_light(self, case) -> str | None:
        return light_at(case, self._now())

    def get_overdue(self, case) -> bool:
        return is_overdue_at(case, self._now())

    def to_representation(self, case, *, now=None):
        # The row built in one step. DRF's walk over the declared fields (for each of 20 fields of 50 rows: its
        # source looked up, checked and converted) was most of a list page's CPU. The fields above still declare
        # the schema; tests/cases/test_case_list_rows.py holds this equal to what they give field by field.
        if type(self) is not CaseListSerializer:
            # A serializer built on this one (the detail, the dispatch queue) declares more: DRF's walk over them all.
            return super().to_representation(case)
        light = light_at(case, now or self._now())
        category, region, lead = case.category, case.region, case.lead_department
        deadline = case.stage_deadline
        return {
            "id": case.pk,
            "number": case.number,
            "kind": case.kind,
            "category": {"code": f"{category.kind}{category.code}", "name": category.name},
            "status": case.status,
            "status_display": case.get_status_display(),
            "stage": case.stage,
            "stage_deadline": None if deadline is None else _DATETIME.to_representation(deadline),
            "light": light,
            "overdue": light == Light.RED,
            "supervised": case.supervised,
            "command_level": case.command_level,
            "escalated": case.escalated,
            "source": case.source,
            "region": {"code": region.code, "name": region.name},
            "lead_department": None if lead is None else {"code": lead.code, "name": lead.name},
            "address": case.address,
            "lon": case.point.x,
            "lat": case.point.y,
            "created_at": _DATETIME.to_representation(case.created_at),
        }


# The list's row builder, for the detail's first fields (it holds no state: the detail passes its own clock).
_LIST_ROW = CaseListSerializer()


class EventSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    action = serializers.CharField()
    from_status = serializers.CharField()
    to_status = serializers.CharField()
    actor = serializers.CharField(allow_null=True)
    actor_role = serializers.CharField()
    at = serializers.DateTimeField()
    note = serializers.CharField()
    data = serializers.JSONField()
    stage = serializers.CharField()
    stage_deadline = serializers.DateTimeField(allow_null=True)
    stage_met = serializers.BooleanField(allow_null=True)


@extend_schema_field(OpenApiTypes.URI)
class PhotoUrlField(serializers.Field):
    """The scoped URL of a photo (or its thumbnail): photos are never handed out under MEDIA_URL."""

    def __init__(self, *, view_name, **kwargs):
        self.view_name = view_name
        kwargs["source"] = "*"
        kwargs["read_only"] = True
        super().__init__(**kwargs)

    def to_representation(self, photo):
        url = reverse(self.view_name, args=[photo.pk])
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request is not None else url


class PhotoSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    url = PhotoUrlField(view_name="case-photo")
    thumbnail_url = PhotoUrlField(view_name="case-photo-thumbnail")
    captured_at = serializers.DateTimeField(allow_null=True)
    width = serializers.IntegerField()
    height = serializers.IntegerField()
    event = serializers.IntegerField(source="event_id", allow_null=True)


class RequestSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    state = serializers.CharField()
    reason = serializers.CharField()
    hours = serializers.DecimalField(max_digits=6, decimal_places=2, allow_null=True)
    requested_by = serializers.CharField()
    requested_at = serializers.DateTimeField()
    decided_by = serializers.CharField(allow_null=True)
    decided_at = serializers.DateTimeField(allow_null=True)


class FacilityRefSerializer(serializers.Serializer):
    code = serializers.CharField()
    class_code = serializers.CharField()
    name = serializers.CharField()
    state = serializers.CharField()


class CaseDetailSerializer(CaseListSerializer):
    description = serializers.CharField()
    facility = FacilityRefSerializer(allow_null=True, help_text=_("The 部件 of the inventory the case is about."))
    urgency = serializers.CharField()
    filing_condition = serializers.SerializerMethodField()
    contact = serializers.SerializerMethodField()
    work_order_number = serializers.CharField(help_text=_("A 12345 transfer's work-order number; empty otherwise."))
    self_handled = serializers.BooleanField()
    assisting_departments = NamedRef(many=True)
    assignee = serializers.CharField(allow_null=True)
    duplicate_of = serializers.CharField(source="duplicate_of.number", default=None, allow_null=True)
    duplicate_count = serializers.IntegerField()
    rework_count = serializers.IntegerField()
    extension_count = serializers.IntegerField()
    deadlines = serializers.SerializerMethodField()
    timeline = EventSerializer(source="events", many=True)
    photos = PhotoSerializer(many=True)
    requests = RequestSerializer(many=True)
    allowed_actions = serializers.SerializerMethodField()
    duplicate_candidates = serializers.SerializerMethodField()
    closed_at = serializers.DateTimeField(allow_null=True)

    def get_filing_condition(self, case) -> dict | None:
        fc = case.filing_condition
        return None if fc is None else {"id": fc.pk, "name": fc.name, "clock": fc.clock}

    def get_contact(self, case) -> dict:
        phone = case_contact_phone_for(user=self.context["request"].user, case=case)
        return {"name": case.contact_name, "phone": phone, "callback_requested": case.callback_requested}

    def get_deadlines(self, case) -> dict:
        now = self._now()
        # The clock's time left, computed once (on a working-time clock it walks the calendar) for both its forms.
        remaining = remaining_at(case, now)
        return {
            "stage": case.stage,
            "started_at": case.stage_started_at,
            "warn_at": case.stage_warn_at,
            "deadline": case.stage_deadline,
            "budget_seconds": _seconds(case.stage_budget),
            "clock": case.stage_clock,
            "remaining_seconds": _seconds(remaining),
            "paused": case.stage_deadline is None and case.stage_remaining is not None,
            "remaining": describe_remaining(case, now, remaining=remaining),
        }

    def get_allowed_actions(self, case) -> list[str]:
        user = self.context["request"].user
        return case_allowed_actions(user=user, case=case, pending=pending_requests(case))

    def get_duplicate_candidates(self, case) -> list[dict]:
        if case.status != Status.REPORTED:
            return []
        user = self.context["request"].user
        return [
            {"id": c.pk, "number": c.number, "status": c.status, "address": c.address}
            for c in case_duplicate_candidates(case=case, user=user)
        ]

    def to_representation(self, case):
        # The detail built in one step, like the list's row: DRF's walk copies and binds some forty declared fields
        # (nested serializers included) for every answer, a large part of a report's CPU. The fields above still
        # declare the schema; tests/cases/test_case_detail_body.py holds this equal to what they give field by field.
        if type(self) is not CaseDetailSerializer:
            return super().to_representation(case)
        body = CaseListSerializer.to_representation(_LIST_ROW, case, now=self._now())
        request = self.context.get("request")
        facility, duplicate_of = case.facility, case.duplicate_of
        body.update(
            {
                "description": case.description,
                "facility": None
                if facility is None
                else {
                    "code": _text(facility.code),
                    "class_code": _text(facility.class_code),
                    "name": _text(facility.name),
                    "state": _text(facility.state),
                },
                "urgency": _text(case.urgency),
                "filing_condition": self.get_filing_condition(case),
                "contact": self.get_contact(case),
                "work_order_number": _text(case.work_order_number),
                "self_handled": _boolean(case.self_handled),
                "assisting_departments": [
                    {"code": _text(d.code), "name": _text(d.name)} for d in case.assisting_departments.all()
                ],
                "assignee": _text(case.assignee),
                "duplicate_of": None if duplicate_of is None else _text(duplicate_of.number),
                "duplicate_count": _integer(case.duplicate_count),
                "rework_count": _integer(case.rework_count),
                "extension_count": _integer(case.extension_count),
                "deadlines": self.get_deadlines(case),
                "timeline": [_event_body(event) for event in case.events.all()],
                "photos": [_photo_body(photo, request) for photo in case.photos.all()],
                "requests": [_request_body(row) for row in case.requests.all()],
                "allowed_actions": self.get_allowed_actions(case),
                "duplicate_candidates": self.get_duplicate_candidates(case),
                "closed_at": _datetime(case.closed_at),
            }
        )
        return body


# Field instances of no serializer, for their conversions alone (they read the settings and the active time zone
# when called, not when made).
_DATETIME = serializers.DateTimeField()
_HOURS = serializers.DecimalField(max_digits=6, decimal_places=2, allow_null=True)
_BOOLEAN = serializers.BooleanField()


def _text(value):
    return None if value is None else str(value)


def _integer(value):
    return None if value is None else int(value)


def _boolean(value):
    return None if value is None else _BOOLEAN.to_representation(value)


def _datetime(value):
    return None if value is None else _DATETIME.to_representation(value)


def _event_body(event) -> dict:
    """EventSerializer's answer for one event."""
    return {
        "id": _integer(event.pk),
        "action": _text(event.action),
        "from_status": _text(event.from_status),
        "to_status": _text(event.to_status),
        "actor": _text(event.actor),
        "actor_role": _text(event.actor_role),
        "at": _datetime(event.at),
        "note": _text(event.note),
        "data": event.data,
        "stage": _text(event.stage),
        "stage_deadline": _datetime(event.stage_deadline),
        "stage_met": _boolean(event.stage_met),
    }


def _photo_url(view_name, photo, request):
    url = reverse(view_name, args=[photo.pk])
    return request.build_absolute_uri(url) if request is not None else url


def _photo_body(photo, request) -> dict:
    """PhotoSerializer's answer for one photo."""
    return {
        "id": _integer(photo.pk),
        "kind": _text(photo.kind),
        "url": _photo_url("case-photo", photo, request),
        "thumbnail_url": _photo_url("case-photo-thumbnail", photo, request),
        "captured_at": _datetime(photo.captured_at),
        "width": _integer(photo.width),
        "height": _integer(photo.height),
        "event": _integer(photo.event_id),
    }


def _request_body(row) -> dict:
    """RequestSerializer's answer for one request."""
    return {
        "id": _integer(row.pk),
        "kind": _text(row.kind),
        "state": _text(row.state),
        "reason": _text(row.reason),
        "hours": None if row.hours is None else _HOURS.to_representation(row.hours),
        "requested_by": _text(row.requested_by),
        "requested_at": _datetime(row.requested_at),
        "decided_by": _text(row.decided_by),
        "decided_at": _datetime(row.decided_at),
    }


class CaseCreateSerializer(serializers.Serializer):
    category = CategoryRefField()
    description = serializers.CharField(max_length=2000)
    lon = serializers.FloatField(min_value=-180, max_value=180)
    lat = serializers.FloatField(min_value=-90, max_value=90)
    address = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    source = serializers.ChoiceField(
        choices=Source.choices, required=False, help_text=_("Defaults to grid_worker for a grid worker's own report.")
    )
    contact_name = serializers.CharField(max_length=60, required=False, allow_blank=True, default="")
    contact_phone = serializers.RegexField(r"^[0-9+\- ]{3,30}$", required=False, allow_blank=True, default="")
    callback_requested = serializers.BooleanField(default=False)
    work_order_number = serializers.CharField(
        max_length=40, required=False, allow_blank=True, default="", help_text=_("12345 transfers: its work order.")
    )
    urgency = serializers.ChoiceField(
        choices=Urgency.choices,
        required=False,
        default=Urgency.NORMAL,
        help_text=_("Defaults to normal. An emergency runs on natural time and alerts the people on duty at once."),
    )
    self_handled = serializers.BooleanField(
        default=False,
        help_text=_("Fixed on the spot by the reporting grid worker (自处置); needs a photo of the result."),
    )
    facility = serializers.CharField(
        max_length=40,
        required=False,
        allow_blank=True,
        default="",
        help_text=_(
            "Code of the facility (部件) the report is about: a component category only, of the same class, within "
            "FACILITY_REPORT_MAX_METRES (50 m) of the point."
        ),
    )
    photos = PhotoListField(help_text=_("Photos of the problem as found."))
    after_photos = PhotoListField(
        help_text=_("Photos of the result, for a problem fixed on the spot (self_handled); at most the photo limit.")
    )


def _transition_serializer_class():
    """One serializer for every action: the action's name, the note, photos and every declared parameter."""
    fields = {
        "action": serializers.ChoiceField(choices=sorted(ACTIONS)),
        "note": serializers.CharField(max_length=NOTE_MAX_LENGTH, required=False, allow_blank=True, default=""),
        "photos": PhotoListField(),
    }
    fields.update((name, param.api_field()) for name, param in all_params().items())
    doc = "A workflow action and its parameters; which action takes which parameters is in docs/actions.md."
    return type("TransitionSerializer", (serializers.Serializer,), {"__doc__": doc, **fields})


TransitionSerializer = _transition_serializer_class()
