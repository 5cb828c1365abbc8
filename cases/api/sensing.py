"""POST /api/v1/sensing/events/: a sensing source posts a detection, authenticated by its key (not a user).

`Authorization: Key <key>` or `X-Api-Key: <key>`. JSON, or multipart when a snapshot comes along. Answers 202 once the
detection is stored (state `pending`: the worker decides what it becomes), 200 with its present state for a repeat of
the same source event id, 400 with field messages, 401 for a missing, unknown or revoked key, 429 above the source's
rate (the administrators are told). GET /api/v1/sensing/events/<event id>/ answers the same for the source's own event.
"""

import json
import math
from decimal import Decimal

from asgiref.sync import sync_to_async
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import HttpRequest
from django.utils import translation
from django.utils.translation import gettext as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.authentication import BaseAuthentication
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.utils import json as drf_json
from rest_framework.views import APIView

from cases.models.sensing import SensingEvent, SensingOutcome
from cases.photos import PhotoError
from cases.services.sensing import Detection, SourceInfo, sensing_rate_allow, sensing_receive, sensing_source_for_key
from cases.services.sensing_queue import sensing_kick
from cases.services.sensing_sources import MISSING, sensing_source_cached
from huizhou_cityops.dbthreads import DatabaseThreads
from huizhou_cityops.errors import ErrorSerializer

ATTRIBUTES_MAX_BYTES = 8192
# The process's few threads that run ingestion's database work, each on a connection it keeps: sources post many
# times a second, and a new connection per request would cost more than the whole ingestion of a repeat.
_threads = DatabaseThreads("sensing-db", lambda: settings.SENSING_DB_THREADS)


def db_threads_close():
    _threads.close()


def in_db_thread(function, /, **kwargs):
    """Run `function` on the ingestion's database threads (SENSING_DB_THREADS = 0: here, on the request's own)."""
    if not settings.SENSING_DB_THREADS:
        return function(**kwargs)
    return _threads.run(function, **kwargs)


def presented_key(request) -> str:
    return _key_of(
        {"authorization": request.headers.get("Authorization", ""), "x-api-key": request.headers.get("X-Api-Key", "")}
    )


class SensingKeyAuthentication(BaseAuthentication):
    """A sensing source's key; request.auth is the source (SourceInfo), request.user stays anonymous."""

    def authenticate(self, request):
        raw = presented_key(request)
        if not raw:
            return None
        source = sensing_source_cached(raw)
        if source is MISSING:
            source = in_db_thread(sensing_source_for_key, raw=raw)
        if source is None:
            raise exceptions.AuthenticationFailed(_("Unknown or revoked key."))
        return AnonymousUser(), source

    def authenticate_header(self, request):
        return 'Key realm="sensing"'


class SensingKeyScheme(OpenApiAuthenticationExtension):
    target_class = SensingKeyAuthentication
    name = "sensingKey"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "X-Api-Key",
            "description": "A sensing source's key (also accepted as `Authorization: Key <key>`).",
        }


class IsSensingSource(BasePermission):
    def has_permission(self, request, view):
        return isinstance(request.auth, SourceInfo)


class AttributesField(serializers.JSONField):
    """A JSON object (in a multipart post: its JSON text), at most ATTRIBUTES_MAX_BYTES once encoded."""

    def to_internal_value(self, data):
        if isinstance(data, str):
            try:
                data = json.loads(data)
            except ValueError:
                raise serializers.ValidationError(_("Give a JSON object.")) from None
        if not isinstance(data, dict):
            raise serializers.ValidationError(_("Give a JSON object."))
        try:
            text = json.dumps(data, ensure_ascii=False, allow_nan=False)
        except ValueError:
            raise serializers.ValidationError(_("Numbers must be finite.")) from None
        if "\\u0000" in text or "\x00" in text:
            raise serializers.ValidationError(_("Null characters are not allowed."))
        if len(text.encode()) > ATTRIBUTES_MAX_BYTES:
            message = _("At most %(bytes)d bytes of attributes.")
            raise serializers.ValidationError(message % {"bytes": ATTRIBUTES_MAX_BYTES})
        return data


class FiniteFloatField(serializers.FloatField):
    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        if not math.isfinite(value):
            raise serializers.ValidationError(_("A finite number is required."))
        return value


class SensingEventInSerializer(serializers.Serializer):
    event_id = serializers.CharField(max_length=100, help_text="The source's own id of the event (idempotency key).")
    time = serializers.DateTimeField(help_text="When the source detected it (ISO 8601 with offset).")
    class_code = serializers.RegexField(
        r"^[CE][0-9]{4,5}$", max_length=6, help_text="Kind letter and class code, as in case numbers: E0102."
    )
    confidence = FiniteFloatField(min_value=0, max_value=1)
    lon = FiniteFloatField(min_value=-180, max_value=180)
    lat = FiniteFloatField(min_value=-90, max_value=90)
    attributes = AttributesField(required=False, default=dict, help_text="Free attributes (a JSON object).")
    snapshot = serializers.ImageField(required=False, help_text="A snapshot (multipart only); JPEG, PNG or WebP.")


class SensingEventOutSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    event_id = serializers.CharField()
    state = serializers.ChoiceField(
        choices=["pending", "processed"],
        help_text="pending: stored, the worker has not decided yet; processed: see outcome",
    )
    outcome = serializers.CharField(
        allow_null=True,
        help_text="Once processed: created, merged, pending (待核实), grouped, outside, confirmed, verifying…",
    )
    case = serializers.CharField(allow_null=True, help_text="The case number the detection became or joined.")
    duplicate = serializers.BooleanField(help_text="True when this event id was already received from this source.")


def sensing_receive_answer(*, source, detection, kick=True) -> tuple[int, dict]:
    """Store the detection and (unless told not to) ask for a run; (status, body): 202 for a new one, 200 with the
    present state for a repeated id."""
    event, created = sensing_receive(source=source, detection=detection)
    if not created:
        return sensing_event_answer(source_id=source.id, external_id=event.external_id, duplicate=True)
    if kick:
        sensing_kick()
    body = {"id": event.pk, "event_id": event.external_id, "state": "pending", "outcome": None, "case": None}
    return status.HTTP_202_ACCEPTED, {**body, "duplicate": False}


def sensing_event_answer(*, source_id, external_id, duplicate) -> tuple[int, dict]:
    """(200, the event's present state); NotFound when the source has no event with this id."""
    row = (
        SensingEvent.objects.filter(source_id=source_id, external_id=external_id)
        .values_list("id", "outcome", "case__number")
        .first()
    )
    if row is None:
        raise exceptions.NotFound(_("No event of this source has this id."))
    pk, outcome, number = row
    pending = outcome == SensingOutcome.RECEIVED
    body = {
        "id": pk,
        "event_id": external_id,
        "state": "pending" if pending else "processed",
        "outcome": None if pending else outcome,
        "case": number,
        "duplicate": duplicate,
    }
    return status.HTTP_200_OK, body


def _response(answer):
    code, body = answer
    return Response(body, status=code)


def detection_from(data) -> Detection:
    """The serializer's validated data as the service's Detection."""
    return Detection(
        external_id=data["event_id"],
        occurred_at=data["time"],
        class_code=data["class_code"],
        confidence=Decimal(str(round(data["confidence"], 3))),
        lon=data["lon"],
        lat=data["lat"],
        attributes=data["attributes"],
        snapshot=data.get("snapshot"),
    )


class SensingEventView(APIView):
    authentication_classes = [SensingKeyAuthentication]
    permission_classes = [IsSensingSource]
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    @extend_schema(
        operation_id="sensing_events_create",
        request={"application/json": SensingEventInSerializer, "multipart/form-data": SensingEventInSerializer},
        responses={
            202: SensingEventOutSerializer,
            200: SensingEventOutSerializer,
            429: OpenApiResponse(
                response=ErrorSerializer, description="Above the source's rate: try again in the next minute."
            ),
        },
        tags=["sensing"],
    )
    def post(self, request):
        """A detection from a sensing source, stored (202, pending); the worker then joins it to an open case nearby,
        makes it a case, or leaves it waiting for review."""
        source = request.auth
        if not sensing_rate_allow(source=source):
            body = {"detail": _("Too many events: at most %(limit)d a minute.") % {"limit": source.rate_limit}}
            return Response(body, status=status.HTTP_429_TOO_MANY_REQUESTS, headers={"Retry-After": "60"})
        form = SensingEventInSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        detection = detection_from(form.validated_data)
        try:
            return _response(in_db_thread(sensing_receive_answer, source=source, detection=detection))
        except PhotoError as exc:
            return Response({"snapshot": [exc.message], "code": exc.code}, status=status.HTTP_400_BAD_REQUEST)


class SensingEventDetailView(APIView):
    authentication_classes = [SensingKeyAuthentication]
    permission_classes = [IsSensingSource]

    @extend_schema(
        operation_id="sensing_events_retrieve",
        responses={200: SensingEventOutSerializer, 404: ErrorSerializer},
        tags=["sensing"],
    )
    def get(self, request, event_id):
        """What became of one of the source's own detections (pending until the worker processed it)."""
        answer = in_db_thread(sensing_event_answer, source_id=request.auth.id, external_id=event_id, duplicate=False)
        return _response(answer)


def sensing_post_handle(*, headers: dict, body: bytes, kick: bool = True) -> tuple[int, dict, dict]:
    """The JSON POST of a detection without Django's request stack (the ASGI route, huizhou_cityops.asgi): the same
    answers as SensingEventView, as (status, body, extra headers). `headers` by lower-case name. Runs on a database
    thread: the key (unless cached), the rate limit (one Redis round trip), validation and the one INSERT."""
    language = _language(headers.get("accept-language", ""))
    with translation.override(language):
        try:
            code, answer = _post(headers, body, kick)
            return code, answer, {}
        except exceptions.Throttled as exc:
            return exc.status_code, {"detail": str(exc.detail)}, {"Retry-After": "60"}
        except exceptions.AuthenticationFailed as exc:
            return exc.status_code, {"detail": str(exc.detail)}, {"WWW-Authenticate": 'Key realm="sensing"'}
        except exceptions.NotAuthenticated as exc:
            return exc.status_code, {"detail": str(exc.detail)}, {"WWW-Authenticate": 'Key realm="sensing"'}
        except exceptions.ParseError as exc:
            return exc.status_code, {"detail": str(exc.detail)}, {}
        except DjangoValidationError as exc:
            errors = exc.error_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.error_list}
            detail = {field: [str(m) for e in found for m in e.messages] for field, found in errors.items()}
            return status.HTTP_400_BAD_REQUEST, detail, {}
        except PhotoError as exc:  # pragma: no cover - a JSON post carries no snapshot
            return status.HTTP_400_BAD_REQUEST, {"snapshot": [exc.message], "code": exc.code}, {}


def _language(accept):
    request = HttpRequest()
    if accept:
        request.META["HTTP_ACCEPT_LANGUAGE"] = accept
    return translation.get_language_from_request(request)


def _post(headers, body, kick):
    raw = _key_of(headers)
    if not raw:
        raise exceptions.NotAuthenticated()
    source = sensing_source_for_key(raw=raw)
    if source is None:
        raise exceptions.AuthenticationFailed(_("Unknown or revoked key."))
    if not sensing_rate_allow(source=source):
        raise exceptions.Throttled(
            detail=_("Too many events: at most %(limit)d a minute.") % {"limit": source.rate_limit}
        )
    try:
        # As DRF's JSON parser: strict (no NaN or Infinity), an empty body is no data.
        data = json.loads(body.decode("utf-8"), parse_constant=drf_json.strict_constant) if body else {}
    except ValueError as exc:
        raise exceptions.ParseError(f"JSON parse error - {exc}") from None
    form = SensingEventInSerializer(data=data)
    if not form.is_valid():
        return status.HTTP_400_BAD_REQUEST, form.errors
    return sensing_receive_answer(source=source, detection=detection_from(form.validated_data), kick=kick)


def _key_of(headers):
    header = headers.get("authorization", "")
    if header[:4].lower() == "key ":
        return header[4:].strip()
    return headers.get("x-api-key", "").strip()


async def sensing_post_async(*, headers: dict, body: bytes, kick: bool) -> tuple[int, dict, dict]:
    """`sensing_post_handle` from the event loop, on the ingestion's database threads."""
    if not settings.SENSING_DB_THREADS:
        return await sync_to_async(sensing_post_handle)(headers=headers, body=body, kick=kick)
    return await _threads.arun(sensing_post_handle, headers=headers, body=body, kick=kick)
