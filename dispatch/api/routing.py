"""API of two-level command: the dispatch queues and a case's routing (the responsibility list's proposal)."""

from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from cases.api.case_serializers import CaseListSerializer, NamedRef
from cases.api.pagination import CursorPagination
from dispatch import selectors
from dispatch.models import CommandLevel, RoutingBasis
from grids.models import Region


class RoutingSerializer(serializers.Serializer):
    level = serializers.ChoiceField(choices=CommandLevel.choices)
    level_display = serializers.SerializerMethodField()
    lead_department = NamedRef(source="lead", allow_null=True)
    assisting_departments = NamedRef(source="assisting", many=True)
    auto_dispatch = serializers.BooleanField()
    auto_dispatched = serializers.BooleanField()
    rule = serializers.IntegerField(source="rule_id", allow_null=True)
    basis = serializers.ChoiceField(
        choices=RoutingBasis.choices,
        help_text=gettext_lazy("list: the responsibility list; owner: the owner of the case's facility (先属主)."),
    )
    escalated = serializers.BooleanField()
    escalated_at = serializers.DateTimeField(allow_null=True)
    proposed_at = serializers.DateTimeField(allow_null=True)
    stored = serializers.BooleanField(help_text=gettext_lazy("False: not routed yet, proposed now from the list."))

    def get_level_display(self, info) -> str:
        return str(CommandLevel(info.level).label)


class QueueCaseSerializer(CaseListSerializer):
    routing = serializers.SerializerMethodField()

    @extend_schema(responses=RoutingSerializer)
    def get_routing(self, case) -> dict:
        return RoutingSerializer(selectors.routing_info(case)).data


class QueueFilterSerializer(serializers.Serializer):
    level = serializers.ChoiceField(
        choices=CommandLevel.choices,
        required=False,
        help_text=gettext_lazy("city or district; by default the highest queue you work."),
    )
    region = serializers.CharField(
        required=False, help_text=gettext_lazy("Region code: only cases in that subtree (e.g. one district).")
    )

    def validate_region(self, value):
        region = Region.objects.visible_to(self.context["request"].user).filter(code=value).defer("geom").first()
        if region is None:
            raise serializers.ValidationError(_("No region with this code in your scope."))
        return region


class QueuePagination(CursorPagination):
    ordering = "id"  # oldest first: the queue is worked in order of arrival


class DispatchQueueView(generics.ListAPIView):
    """Cases waiting for dispatch in your command centre's queue, each with the responsibility list's proposal."""

    serializer_class = QueueCaseSerializer
    pagination_class = QueuePagination

    def get_queryset(self):
        params = QueueFilterSerializer(data=self.request.query_params, context={"request": self.request})
        params.is_valid(raise_exception=True)
        return selectors.dispatch_queue_for_user(user=self.request.user, **params.validated_data)

    @extend_schema(parameters=[QueueFilterSerializer])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class CaseRoutingView(APIView):
    """The routing of one case: the proposed lead and assisting departments and the command level."""

    @extend_schema(responses=RoutingSerializer)
    def get(self, request, pk):
        info = selectors.case_routing_for_user(user=request.user, case_id=pk)
        if info is None:
            raise Http404(_("No such case."))
        return Response(RoutingSerializer(info).data)
