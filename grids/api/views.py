from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.scope import user_scope
from grids import selectors
from grids.models import Region
from huizhou_cityops.errors import ErrorSerializer

from .serializers import LocateQuerySerializer, RegionFilterSerializer, RegionSerializer


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
