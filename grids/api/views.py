from django.http import HttpResponse
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views.decorators.gzip import gzip_page
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.scope import user_scope
from grids import selectors
from grids.models import Region
from huizhou_cityops.errors import ErrorSerializer

from .serializers import (
    LocateQuerySerializer,
    RegionFeatureCollectionSerializer,
    RegionFeaturesQuerySerializer,
    RegionFilterSerializer,
    RegionSerializer,
)


class RegionListView(generics.ListAPIView):
    """Regions in the caller's scope; `?level=` and `?parent=` narrow the list."""

    serializer_class = RegionSerializer

    @extend_schema(parameters=[RegionFilterSerializer])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        query = RegionFilterSerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        return selectors.region_list_for_user(
            user=self.request.user,
            level=query.validated_data.get("level"),
            parent_code=query.validated_data.get("parent"),
        ).select_related("parent")


class RegionDetailView(generics.RetrieveAPIView):
    serializer_class = RegionSerializer
    lookup_field = "code"

    def get_queryset(self):
        return Region.objects.visible_to(self.request.user).select_related("parent").defer("geom")


class RegionLocateView(APIView):
    """The deepest grid covering a point, with its ancestors; 404 with a message outside Huizhou."""

    @extend_schema(
        parameters=[OpenApiParameter("lon", float, required=True), OpenApiParameter("lat", float, required=True)],
        responses={200: RegionSerializer, 404: ErrorSerializer},
    )
    def get(self, request):
        query = LocateQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        region = selectors.region_locate(**query.validated_data)
        if region is None:
            return Response({"detail": _("This point lies outside every grid of the city.")}, status=404)
        if not user_scope(request.user).covers_path(region.path):
            return Response({"detail": _("This point lies outside the grids you work in.")}, status=404)
        data = RegionSerializer(region).data
        data["ancestors"] = RegionSerializer(selectors.region_ancestors(region), many=True).data
        return Response(data)


# Boundaries are large and repetitive text: gzip shrinks them about tenfold. No secret is mixed into this body,
# so compressing it next to the token leaks nothing (BREACH needs a secret and attacker text in one answer).
@method_decorator(gzip_page, name="dispatch")
class RegionFeaturesView(APIView):
    """The grid as a GeoJSON FeatureCollection: the regions of one `level` in your scope, overlapping `bbox` if
    given, simplified for the coarse levels, at most 2,000 features (`truncated` is true when more matched)."""

    @extend_schema(parameters=[RegionFeaturesQuerySerializer], responses={200: RegionFeatureCollectionSerializer})
    def get(self, request):
        query = RegionFeaturesQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        text, _count, _cut = selectors.region_features_for_user(
            user=request.user, level=query.validated_data["level"], bbox=query.validated_data.get("bbox")
        )
        return HttpResponse(text, content_type="application/json")
