"""API of the in-app inbox: the list with the unread count, mark one read, mark all read."""

from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from cases.api.pagination import CursorPagination
from dispatch.notifications import selectors
from dispatch.notifications.services import notification_mark_all_read, notification_mark_read


class NotificationCaseRef(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.CharField()


class NotificationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    kind_display = serializers.CharField(source="get_kind_display")
    case = NotificationCaseRef()
    event = serializers.IntegerField(source="event_id")
    title = serializers.CharField()
    body = serializers.CharField()
    created_at = serializers.DateTimeField()
    read_at = serializers.DateTimeField(allow_null=True)


class NotificationFilterSerializer(serializers.Serializer):
    unread = serializers.BooleanField(required=False, allow_null=True, default=None)


class InboxPagination(CursorPagination):
    page_size = 30
    max_page_size = 100

    def get_paginated_response(self, data):
        response = super().get_paginated_response(data)
        response.data["unread_count"] = self.unread_count
        return response

    def get_paginated_response_schema(self, schema):
        page = super().get_paginated_response_schema(schema)
        page["properties"]["unread_count"] = {"type": "integer", "description": "Your unread notifications."}
        page["required"] = [*page.get("required", ()), "unread_count"]
        return page


class NotificationListView(APIView):
    """`GET /api/v1/notifications/?unread=true`: your inbox, newest first, with `unread_count` (cursor pages)."""

    pagination_class = InboxPagination

    @extend_schema(parameters=[NotificationFilterSerializer], responses=NotificationSerializer(many=True))
    def get(self, request):
        params = NotificationFilterSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        qs = selectors.notification_list_for_user(user=request.user, unread=params.validated_data["unread"])
        paginator = self.pagination_class()
        paginator.unread_count = selectors.notification_unread_count(user=request.user)
        page = paginator.paginate_queryset(qs, request, view=self)
        return paginator.get_paginated_response(NotificationSerializer(page, many=True).data)


class NotificationReadView(APIView):
    """`POST /api/v1/notifications/{id}/read/`: mark one of your notifications read (404 for anyone else's)."""

    @extend_schema(request=None, responses=NotificationSerializer)
    def post(self, request, pk):
        if notification_mark_read(user=request.user, notification_id=pk) is None:
            raise Http404(_("No such notification."))
        note = selectors.notification_list_for_user(user=request.user).get(pk=pk)
        return Response(NotificationSerializer(note).data)


class NotificationReadAllView(APIView):
    """`POST /api/v1/notifications/read-all/`: mark every unread notification of yours read."""

    @extend_schema(
        request=None,
        responses=inline_serializer(
            "NotificationsReadAll", {"marked": serializers.IntegerField(), "unread_count": serializers.IntegerField()}
        ),
    )
    def post(self, request):
        marked = notification_mark_all_read(user=request.user)
        return Response({"marked": marked, "unread_count": selectors.notification_unread_count(user=request.user)})
