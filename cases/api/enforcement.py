"""API of the enforcement chain: the chains in the caller's scope, one chain with its source and timeline, its steps
(one command endpoint, like a case's transitions), a collaborating department's part and the discretion standard."""

from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from cases import enforcement_selectors as selectors
from cases.models import Circumstance, DiscretionStandard, EnforcementState, PartyKind
from cases.services import enforcement as svc

from .pagination import CursorPagination


class EnforcementSourceRef(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.CharField()
    status = serializers.CharField()
    address = serializers.CharField()


class EnforcementDepartmentRef(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()


class EnforcementListingSerializer(serializers.Serializer):
    responsible = EnforcementDepartmentRef()
    rectification = serializers.CharField()
    deadline = serializers.DateTimeField()
    public = serializers.BooleanField()
    listed_at = serializers.DateTimeField()
    lifted_at = serializers.DateTimeField(allow_null=True)


class EnforcementListSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.CharField()
    source = EnforcementSourceRef()
    body = EnforcementDepartmentRef()
    state = serializers.CharField()
    state_display = serializers.CharField(source="get_state_display")
    violation = serializers.CharField()
    offence_code = serializers.CharField()
    step = serializers.CharField()
    step_deadline = serializers.DateTimeField(allow_null=True)
    overdue = serializers.BooleanField()
    transferred_at = serializers.DateTimeField()


class EnforcementTaskSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    department = EnforcementDepartmentRef()
    request = serializers.CharField()
    state = serializers.CharField()
    deadline = serializers.DateTimeField()
    feedback = serializers.CharField()
    answered_at = serializers.DateTimeField(allow_null=True)


class EnforcementDecisionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    circumstance = serializers.CharField()
    fine = serializers.DecimalField(max_digits=10, decimal_places=2)
    fine_min = serializers.DecimalField(source="standard.fine_min", max_digits=10, decimal_places=2)
    fine_max = serializers.DecimalField(source="standard.fine_max", max_digits=10, decimal_places=2)
    within_standard = serializers.BooleanField()
    reason = serializers.CharField()
    approval = serializers.CharField()
    proposed_at = serializers.DateTimeField()


class EnforcementEventSerializer(serializers.Serializer):
    action = serializers.CharField()
    from_state = serializers.CharField()
    to_state = serializers.CharField()
    actor = serializers.CharField(source="actor.username", allow_null=True, default=None)
    actor_role = serializers.CharField()
    at = serializers.DateTimeField()
    note = serializers.CharField()
    data = serializers.JSONField()
    step = serializers.CharField()
    step_deadline = serializers.DateTimeField(allow_null=True)
    step_met = serializers.BooleanField(allow_null=True)


class EnforcementDetailSerializer(EnforcementListSerializer):
    legal_basis = serializers.CharField()
    note = serializers.CharField()
    decline_reason = serializers.CharField()
    source_clock_paused = serializers.BooleanField()
    tasks = EnforcementTaskSerializer(many=True)
    decisions = EnforcementDecisionSerializer(many=True)
    listing = serializers.SerializerMethodField()
    events = EnforcementEventSerializer(many=True)
    allowed_steps = serializers.SerializerMethodField()

    @extend_schema_field(EnforcementListingSerializer(allow_null=True))
    def get_listing(self, obj):
        listing = getattr(obj, "listing", None)
        return None if listing is None else EnforcementListingSerializer(listing).data

    def get_allowed_steps(self, obj) -> list[str]:
        return svc.enforcement_actions_for(self.context["user"], obj)


class EnforcementFilterSerializer(serializers.Serializer):
    state = serializers.ChoiceField(choices=EnforcementState.choices, required=False)


class EnforcementStepSerializer(serializers.Serializer):
    """One step of the chain; each step reads the fields it needs (the others are ignored)."""

    step = serializers.ChoiceField(choices=svc.STEPS)
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)
    offence_code = serializers.CharField(required=False, allow_blank=True, default="", max_length=20)
    legal_basis = serializers.CharField(required=False, allow_blank=True, default="", max_length=200)
    department = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=40, help_text=gettext_lazy("collaborate, list")
    )
    circumstance = serializers.ChoiceField(choices=Circumstance.choices, required=False)
    fine = serializers.DecimalField(max_digits=10, decimal_places=2, required=False, min_value=0)
    deadline = serializers.DateTimeField(required=False, help_text=gettext_lazy("list: rectification deadline"))
    public = serializers.BooleanField(required=False, default=False)
    passed = serializers.BooleanField(required=False, default=True)
    party_kind = serializers.ChoiceField(choices=PartyKind.choices, required=False, help_text=gettext_lazy("party"))
    party_name = serializers.CharField(required=False, allow_blank=True, default="", max_length=100)
    credit_code = serializers.CharField(required=False, allow_blank=True, default="", max_length=18)
    id_number = serializers.CharField(required=False, allow_blank=True, default="", max_length=18)


def _detail(user, pk):
    enforcement = selectors.enforcement_detail_for_user(user=user, pk=pk)
    if enforcement is None:
        raise Http404(_("No such enforcement case."))
    return EnforcementDetailSerializer(enforcement, context={"user": user}).data


class EnforcementListView(APIView):
    """`GET /api/v1/enforcement/?state=`: the enforcement chains you may see, newest first (cursor pages)."""

    pagination_class = CursorPagination

    @extend_schema(parameters=[EnforcementFilterSerializer], responses=EnforcementListSerializer(many=True))
    def get(self, request):
        params = EnforcementFilterSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        qs = selectors.enforcement_list_for_user(user=request.user, state=params.validated_data.get("state"))
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(qs, request, view=self)
        return paginator.get_paginated_response(EnforcementListSerializer(page, many=True).data)


class EnforcementDetailView(APIView):
    """`GET /api/v1/enforcement/{id}/`: one chain with its source case, parts, decisions, listing and timeline."""

    @extend_schema(responses=EnforcementDetailSerializer)
    def get(self, request, pk):
        return Response(_detail(request.user, pk))


class EnforcementStepView(APIView):
    """`POST /api/v1/enforcement/{id}/steps/`: take a step: {"step": "confirm", "offence_code": "ZDJY", ...}."""

    @extend_schema(request=EnforcementStepSerializer, responses=EnforcementDetailSerializer)
    def post(self, request, pk):
        form = EnforcementStepSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        fields = form.validated_data
        svc.enforcement_step(actor=request.user, enforcement_id=pk, step=fields["step"], fields=fields)
        return Response(_detail(request.user, pk))


class EnforcementPartGiveSerializer(serializers.Serializer):
    feedback = serializers.CharField(max_length=2000)


class PartGiveView(APIView):
    """`POST /api/v1/enforcement-parts/{id}/give/`: a collaborating department gives its part (执法协作)."""

    @extend_schema(request=EnforcementPartGiveSerializer, responses=EnforcementTaskSerializer)
    def post(self, request, pk):
        form = EnforcementPartGiveSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        task = svc.enforcement_part_give(task_id=pk, actor=request.user, feedback=form.validated_data["feedback"])
        task.refresh_from_db()
        return Response(EnforcementTaskSerializer(task).data)


class DiscretionStandardSerializer(serializers.Serializer):
    offence_code = serializers.CharField()
    offence = serializers.CharField()
    legal_basis = serializers.CharField()
    circumstance = serializers.CharField()
    fine_min = serializers.DecimalField(max_digits=10, decimal_places=2)
    fine_max = serializers.DecimalField(max_digits=10, decimal_places=2)
    measure = serializers.CharField()


class DiscretionStandardFilterSerializer(serializers.Serializer):
    offence_code = serializers.CharField(required=False, max_length=20)


class DiscretionStandardView(APIView):
    """`GET /api/v1/discretion-standards/?offence_code=`: the ranges a decision is proposed within (自由裁量权基准)."""

    @extend_schema(parameters=[DiscretionStandardFilterSerializer], responses=DiscretionStandardSerializer(many=True))
    def get(self, request):
        params = DiscretionStandardFilterSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        qs = DiscretionStandard.objects.all()
        if params.validated_data.get("offence_code"):
            qs = qs.filter(offence_code=params.validated_data["offence_code"])
        return Response(DiscretionStandardSerializer(qs, many=True).data)
