"""API of 街道吹哨、部门报到: blow the whistle on a case, list a case's whistles, report to a summons."""

from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from cases.selectors import case_detail_for_user
from dispatch.selectors import whistles_for_case
from dispatch.services.whistles import MAX_SUMMONED, summons_report, whistle_blow


class SummonsSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    department = serializers.CharField(source="department.code")
    department_name = serializers.CharField(source="department.name")
    state = serializers.CharField()
    state_display = serializers.CharField(source="get_state_display")
    deadline = serializers.DateTimeField()
    note = serializers.CharField()
    reported_by = serializers.CharField(allow_null=True)
    reported_at = serializers.DateTimeField(allow_null=True)
    overdue_at = serializers.DateTimeField(allow_null=True)


class WhistleSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    case = serializers.IntegerField(source="case_id")
    office = serializers.CharField(source="department.code")
    office_name = serializers.CharField(source="department.name")
    blown_by = serializers.CharField()
    blown_at = serializers.DateTimeField()
    note = serializers.CharField()
    summonses = SummonsSerializer(many=True, source="summonses.all")


class WhistleBlowSerializer(serializers.Serializer):
    departments = serializers.ListField(
        child=serializers.CharField(max_length=40),
        max_length=MAX_SUMMONED,
        help_text=gettext_lazy("Codes (or ids) of the departments to summon."),
    )
    note = serializers.CharField(max_length=2000, help_text=gettext_lazy("Why, and where to report."))


class SummonsReportSerializer(serializers.Serializer):
    note = serializers.CharField(
        max_length=2000, help_text=gettext_lazy("Who reports and what the department will do.")
    )


def _whistles(user, case_id):
    case = case_detail_for_user(user=user, case_id=case_id)
    if case is None:
        raise Http404(_("No such case."))
    return whistles_for_case(case)


class CaseWhistlesView(APIView):
    """`GET /api/v1/cases/{id}/whistles/`: the case's whistles (吹哨) and their summonses;
    `POST`: the street office working the case summons departments (403 for anyone else who sees the case)."""

    @extend_schema(responses=WhistleSerializer(many=True))
    def get(self, request, case_id):
        return Response(WhistleSerializer(_whistles(request.user, case_id), many=True).data)

    @extend_schema(request=WhistleBlowSerializer, responses={201: WhistleSerializer})
    def post(self, request, case_id):
        form = WhistleBlowSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        whistle = whistle_blow(case_id=case_id, actor=request.user, **form.validated_data)
        blown = next(w for w in _whistles(request.user, case_id) if w.pk == whistle.pk)
        return Response(WhistleSerializer(blown).data, status=status.HTTP_201_CREATED)


class SummonsReportView(APIView):
    """`POST /api/v1/summonses/{id}/report/`: the summoned department reports (报到); late reports are recorded late."""

    @extend_schema(request=SummonsReportSerializer, responses=SummonsSerializer)
    def post(self, request, pk):
        form = SummonsReportSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        summons = summons_report(summons_id=pk, actor=request.user, note=form.validated_data["note"])
        return Response(SummonsSerializer(summons).data)
