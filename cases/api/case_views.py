from django.conf import settings
from django.db import InterfaceError, OperationalError, connection
from django.http import Http404
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from cases import selectors
from cases.filters import CaseFilterSet
from cases.ids import parse_id
from cases.photos import PhotoError
from cases.services import case_report, case_transition
from cases.workflow import all_params
from huizhou_cityops.dbthreads import DatabaseThreads

from .case_serializers import (
    CaseCreateSerializer,
    CaseDetailSerializer,
    CaseListSerializer,
    TransitionSerializer,
)
from .pagination import CursorPagination

MAX_KEY_LENGTH = 80
# Fields of the transition endpoint that repeat in a form post: photos and list parameters.
LIST_FIELDS = ("photos", *(name for name, p in all_params().items() if p.many))


def _photo_error_response(exc):
    return Response({"photos": [exc.message], "code": exc.code}, status=status.HTTP_400_BAD_REQUEST)


def _too_many_photos(errors):
    return any(getattr(e, "code", None) == "too_many" for f in ("photos", "after_photos") for e in errors.get(f, []))


def _too_many_photos_response(errors):
    """400 that also names the current limit, so a phone whose report waited under a higher one can offer the fix."""
    body = {**errors, "code": "too_many_photos", "max_photos": settings.CASE_PHOTOS_MAX}
    return Response(body, status=status.HTTP_400_BAD_REQUEST)


def _form_data(request, lists=("photos",)):
    """The request's fields as a plain dict, with `lists` as lists; uploaded files are never copied."""
    data = request.data
    if not hasattr(data, "getlist"):  # JSON, which may be any value: only an object names fields
        if not isinstance(data, dict):
            raise ValidationError({"non_field_errors": [_("Send the fields as a JSON object.")]})
        return dict(data)
    fields = {key: data.get(key) for key in data if key not in lists}
    fields.update({key: data.getlist(key) for key in lists if key in data})
    return fields


# Reports and list pages come often and each is small: the whole request runs on one of these threads, each with a
# connection it keeps (settings.API_DB_THREADS), rather than on a new connection of the request's own thread.
api_threads = DatabaseThreads("api-db", lambda: settings.API_DB_THREADS)
# The actions that run there: intake (POST on the list) and the list.
KEPT_CONNECTION_ACTIONS = frozenset({"create", "list"})


def api_threads_close():
    api_threads.close()


def _on_kept_connection(language, zone, function, args, kwargs):
    try:
        with translation.override(language), timezone.override(zone):
            return function(*args, **kwargs)
    except (InterfaceError, OperationalError):
        # A broken connection is not kept. The report is not tried again here: it may have been committed before the
        # connection broke; the client's retry with its Idempotency-Key is the safe one.
        connection.close()
        raise


def on_api_thread(function, *args, **kwargs):
    """`function(*args, **kwargs)` on an API database thread, in this request's language and time zone (thread-local
    settings that do not cross to another thread by themselves)."""
    if not settings.API_DB_THREADS or api_threads.running_here():
        # Under the server the whole request runs there already (huizhou_cityops.asgi.KeptConnectionRoutes).
        return function(*args, **kwargs)
    language, zone = translation.get_language(), timezone.get_current_timezone()
    return api_threads.pool.submit(_on_kept_connection, language, zone, function, args, kwargs).result()


class CaseViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Cases in the caller's scope. Writes go through intake (POST) and `transitions`, never PATCH."""

    pagination_class = CursorPagination
    parser_classes = [JSONParser, MultiPartParser, FormParser]
    # The list's query parameters: validated by CaseFilterSet (400 with field errors), applied by the selectors.
    filter_backends = [DjangoFilterBackend]
    filterset_class = CaseFilterSet

    def dispatch(self, request, *args, **kwargs):
        # The action is known from the method before DRF's dispatch names it (POST on the list is intake).
        if self.action_map.get(request.method.lower()) in KEPT_CONNECTION_ACTIONS:
            return on_api_thread(super().dispatch, request, *args, **kwargs)
        return super().dispatch(request, *args, **kwargs)

    def get_serializer_class(self):
        return CaseDetailSerializer if self.action == "retrieve" else CaseListSerializer

    def get_queryset(self):
        """The caller's cases; the filter backend narrows them with the FilterSet's cleaned filters."""
        return selectors.case_list_rows_for_user(user=self.request.user, filters={})

    def retrieve(self, request, pk=None):
        case = selectors.case_detail_for_user(user=request.user, case_id=_int_or_404(pk))
        if case is None:
            return Response({"detail": _("No such case.")}, status=status.HTTP_404_NOT_FOUND)
        return Response(CaseDetailSerializer(case, context=self.get_serializer_context()).data)

    @extend_schema(
        request={"application/json": CaseCreateSerializer, "multipart/form-data": CaseCreateSerializer},
        parameters=[OpenApiParameter("Idempotency-Key", str, OpenApiParameter.HEADER, required=False)],
        responses={201: CaseDetailSerializer, 200: CaseDetailSerializer},
    )
    def create(self, request):
        key = request.headers.get("Idempotency-Key", "").strip()
        if len(key) > MAX_KEY_LENGTH:
            raise ValidationError({"Idempotency-Key": [_("Use a key of at most 80 characters (a UUID fits).")]})
        form = CaseCreateSerializer(data=_form_data(request, lists=("photos", "after_photos")))
        if not form.is_valid() and _too_many_photos(form.errors):
            return _too_many_photos_response(form.errors)
        form.is_valid(raise_exception=True)
        fields = form.validated_data
        try:
            case, created = case_report(
                actor=request.user,
                idempotency_key=key or None,
                **fields,
            )
        except PhotoError as exc:
            return _photo_error_response(exc)
        # A new case is answered from what intake made (not read back); a repeated key returns the first case, read
        # like any other.
        if created:
            detail = selectors.case_detail_of_new_report(case)
        else:
            detail = selectors.case_detail_for_user(user=request.user, case_id=case.pk)
        body = CaseDetailSerializer(detail, context=self.get_serializer_context()).data
        return Response(body, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)

    @extend_schema(
        request={"application/json": TransitionSerializer, "multipart/form-data": TransitionSerializer},
        responses=CaseDetailSerializer,
    )
    @action(detail=True, methods=["post"])
    def transitions(self, request, pk=None):
        """Take a workflow action: {"action": "...", "note": "...", ...parameters of the action}."""
        form = TransitionSerializer(data=_form_data(request, lists=LIST_FIELDS))
        form.is_valid(raise_exception=True)
        fields = form.validated_data
        params = {k: v for k, v in fields.items() if k not in ("action", "note", "photos")}
        try:
            case_transition(
                case_id=_int_or_404(pk),
                actor=request.user,
                action=fields["action"],
                note=fields["note"],
                params=params,
                photos=fields["photos"],
            )
        except PhotoError as exc:
            return _photo_error_response(exc)
        detail = selectors.case_detail_for_user(user=request.user, case_id=int(pk))
        if detail is None:  # the action took the case out of the caller's scope (e.g. a returned case)
            return Response({"detail": _("Done."), "id": int(pk)})
        return Response(CaseDetailSerializer(detail, context=self.get_serializer_context()).data)


def _int_or_404(pk):
    case_id = parse_id(pk)
    if case_id is None:
        raise Http404(_("No such case."))
    return case_id
