"""API of the facility inventory: the facilities near a point (the report form's picker) and one by code."""

from drf_spectacular.utils import extend_schema
from rest_framework import generics
from rest_framework.response import Response
from rest_framework.views import APIView

from grids import selectors
from grids.models import Facility

from .serializers import FacilitySerializer, NearbyFacilitySerializer, NearbyQuerySerializer


class FacilityNearbyView(APIView):
    """Facilities in your scope within `radius` metres of a point, nearest first (at most 10), of one class."""

    @extend_schema(parameters=[NearbyQuerySerializer], responses=NearbyFacilitySerializer(many=True))
    def get(self, request):
        query = NearbyQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        class_code = (data.get("class_code") or "").upper().removeprefix("C") or None
        rows = selectors.facility_nearest(
            lon=data["lon"], lat=data["lat"], class_code=class_code, radius_m=data["radius"], user=request.user
        )
        return Response(NearbyFacilitySerializer(rows, many=True).data)


class FacilityDetailView(generics.RetrieveAPIView):
    """One facility by its code (typed or scanned from its label); 404 outside your scope."""

    serializer_class = FacilitySerializer
    lookup_field = "code"

    def get_queryset(self):
        return Facility.objects.visible_to(self.request.user).select_related("owner", "maintainer")
