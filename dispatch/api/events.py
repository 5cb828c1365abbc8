"""The live feed of case events for the command centre's screens: a cursor and an optional long poll.

    GET /api/v1/events/                      -> {"events": [], "cursor": <newest event id>}   (start from now)
    GET /api/v1/events/?after=<cursor>       -> events after the cursor you may see, oldest first, and the
                                                next cursor
    GET /api/v1/events/?after=<cursor>&wait=25  -> the same, but waits up to `wait` seconds (at most 25) for
                                                the first event; an empty list when none came

A screen keeps the returned `cursor` and asks again at once. Only events on cases in the caller's scope
(Case.objects.visible_to) are listed; the cursor still moves past the others, so a poll never re-reads them.
Each check costs one query while nothing is new, two when something is, however many events there are.
Ids are drawn at insert, not at commit: the cursor waits at a gap in the ids until the missing event commits
(or, after a few seconds, is taken for a rolled-back insert), so no event is passed over by a slower transaction.
"""

import time

from django.conf import settings
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from dispatch import selectors

POLL_INTERVAL_SECONDS = 1.0
HARD_MAX_WAIT_SECONDS = 25


class FeedParamsSerializer(serializers.Serializer):
    after = serializers.IntegerField(required=False, min_value=0, help_text="The cursor of the previous answer.")
    wait = serializers.IntegerField(
        required=False, min_value=0, default=0, help_text="Seconds to wait for a new event (long poll, at most 25)."
    )
    limit = serializers.IntegerField(required=False, min_value=1, max_value=500, default=100)


class FeedCaseRef(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.CharField()
    status = serializers.CharField()


class FeedEventSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    case = FeedCaseRef()
    action = serializers.CharField()
    from_status = serializers.CharField()
    to_status = serializers.CharField()
    actor = serializers.CharField(allow_null=True)
    actor_role = serializers.CharField()
    at = serializers.DateTimeField()
    note = serializers.CharField()


class FeedSerializer(serializers.Serializer):
    events = FeedEventSerializer(many=True)
    cursor = serializers.IntegerField()


class EventFeedView(APIView):
    """Case events you may see, after a cursor, oldest first; `wait` long-polls. See the module docstring."""

    @extend_schema(parameters=[FeedParamsSerializer], responses=FeedSerializer)
    def get(self, request):
        params = FeedParamsSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        after, limit = params.validated_data.get("after"), params.validated_data["limit"]
        wait = min(params.validated_data["wait"], settings.EVENTS_FEED_MAX_WAIT_SECONDS, HARD_MAX_WAIT_SECONDS)
        if after is None:
            after = selectors.event_feed_start()
        deadline = time.monotonic() + wait
        while True:
            events, cursor = selectors.event_feed_for_user(user=request.user, after=after, limit=limit)
            remaining = deadline - time.monotonic()
            if events or remaining <= 0:
                break
            after = cursor
            time.sleep(min(POLL_INTERVAL_SECONDS, remaining))
        return Response(FeedSerializer({"events": events, "cursor": cursor}).data)
