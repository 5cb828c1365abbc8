"""API of patrols (上岗 / 下岗) and their tracks, for the grid worker's phone.

`POST /api/v1/patrols/` starts (201, or 200 for a start sent again), `POST /api/v1/patrols/{client_id}/track/`
adds a batch of points (idempotent), `POST /api/v1/patrols/{client_id}/end/` ends (idempotent).
"""

import math

from django.conf import settings
from django.contrib.gis.geos import Point
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from grids.services.patrols import patrol_end, patrol_start, patrol_track_add


class _Coordinates(serializers.Serializer):
    lon = serializers.FloatField(min_value=-180, max_value=180, required=False, allow_null=True)
    lat = serializers.FloatField(min_value=-90, max_value=90, required=False, allow_null=True)

    def validate(self, attrs):
        lon, lat = attrs.get("lon"), attrs.get("lat")
        if (lon is None) != (lat is None):
            raise serializers.ValidationError({"lat" if lat is None else "lon": [_("Send both lon and lat.")]})
        if lon is not None and not (math.isfinite(lon) and math.isfinite(lat)):
            raise serializers.ValidationError({"lon": [_("Not a position.")]})
        attrs["point"] = Point(lon, lat, srid=4326) if lon is not None else None
        return attrs


class PatrolStartSerializer(_Coordinates):
    client_id = serializers.UUIDField(help_text=gettext_lazy("Chosen by the phone; a repeat returns the same patrol."))
    started_at = serializers.DateTimeField(required=False, help_text=gettext_lazy("When 上岗 was tapped."))


class PatrolEndSerializer(_Coordinates):
    ended_at = serializers.DateTimeField(required=False, help_text=gettext_lazy("When 下岗 was tapped."))


class TrackPointInSerializer(_Coordinates):
    lon = serializers.FloatField(min_value=-180, max_value=180)
    lat = serializers.FloatField(min_value=-90, max_value=90)
    recorded_at = serializers.DateTimeField()
    accuracy = serializers.FloatField(min_value=0, max_value=100_000, required=False, allow_null=True)
    battery = serializers.FloatField(min_value=0, max_value=1, required=False, allow_null=True)


class TrackBatchSerializer(serializers.Serializer):
    points = TrackPointInSerializer(many=True, allow_empty=False, max_length=settings.PATROL_TRACK_BATCH_MAX)


class PositionSerializer(serializers.Serializer):
    lon = serializers.FloatField()
    lat = serializers.FloatField()


class PatrolSerializer(serializers.Serializer):
    client_id = serializers.UUIDField()
    started_at = serializers.DateTimeField()
    ended_at = serializers.DateTimeField(allow_null=True)
    points = serializers.IntegerField()
    distance_m = serializers.FloatField()
    last_seen_at = serializers.DateTimeField(allow_null=True)
    last_position = serializers.SerializerMethodField()

    def get_last_position(self, session) -> PositionSerializer(allow_null=True):
        p = session.last_point
        return None if p is None else {"lon": round(p.x, 7), "lat": round(p.y, 7)}


class TrackResultSerializer(PatrolSerializer):
    stored = serializers.IntegerField(help_text=gettext_lazy("Points of this batch not stored before."))


class PatrolStartView(APIView):
    """`POST /api/v1/patrols/`: 上岗 (grid workers only)."""

    @extend_schema(
        request=PatrolStartSerializer,
        responses={200: PatrolSerializer, 201: PatrolSerializer},
    )
    def post(self, request):
        form = PatrolStartSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        session, created = patrol_start(
            user=request.user, client_id=data["client_id"], started_at=data.get("started_at"), point=data["point"]
        )
        return Response(PatrolSerializer(session).data, status=status.HTTP_201_CREATED if created else 200)


class PatrolTrackView(APIView):
    """`POST /api/v1/patrols/{client_id}/track/`: a batch of positions of your patrol; a repeat stores nothing."""

    @extend_schema(
        request=TrackBatchSerializer,
        responses={200: TrackResultSerializer},
    )
    def post(self, request, client_id):
        form = TrackBatchSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        points = [
            {
                "recorded_at": p["recorded_at"],
                "point": p["point"],
                "accuracy_m": p.get("accuracy"),
                "battery": p.get("battery"),
            }
            for p in form.validated_data["points"]
        ]
        session, stored = patrol_track_add(user=request.user, client_id=client_id, points=points)
        return Response({**PatrolSerializer(session).data, "stored": stored})


class PatrolEndView(APIView):
    """`POST /api/v1/patrols/{client_id}/end/`: 下岗; ending again returns the patrol as it ended."""

    @extend_schema(request=PatrolEndSerializer, responses={200: PatrolSerializer})
    def post(self, request, client_id):
        form = PatrolEndSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        session = patrol_end(user=request.user, client_id=client_id, ended_at=data.get("ended_at"), point=data["point"])
        return Response(PatrolSerializer(session).data)
