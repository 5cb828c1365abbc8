"""API of supervision orders (督办 / 挂牌督办): issue on a case, reply, withdraw, and the command centre's list."""

from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from cases.api.pagination import CursorPagination
from dispatch import selectors
from dispatch.models import OrderState
from dispatch.services.orders import order_issue, order_reply, order_withdraw


class OrderCaseRef(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.CharField()
    status = serializers.CharField()


class OrderSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    case = OrderCaseRef()
    issued_by = serializers.CharField()
    issued_at = serializers.DateTimeField()
    note = serializers.CharField()
    reply_hours = serializers.DecimalField(max_digits=6, decimal_places=2)
    reply_deadline = serializers.DateTimeField()
    formal = serializers.BooleanField()
    state = serializers.CharField()
    state_display = serializers.CharField(source="get_state_display")
    reply = serializers.CharField()
    replied_by = serializers.CharField(allow_null=True)
    replied_at = serializers.DateTimeField(allow_null=True)
    overdue_at = serializers.DateTimeField(allow_null=True)
    withdrawn_at = serializers.DateTimeField(allow_null=True)


class OrderIssueSerializer(serializers.Serializer):
    note = serializers.CharField(help_text=gettext_lazy("What the department must do."))
    reply_hours = serializers.DecimalField(
        max_digits=6, decimal_places=2, help_text=gettext_lazy("Working hours the department has to reply.")
    )
    formal = serializers.BooleanField(
        default=False, help_text=gettext_lazy("The formal, published 挂牌督办 (serious overdue or repeated problems).")
    )


class OrderReplySerializer(serializers.Serializer):
    reply = serializers.CharField()


class OrderWithdrawSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="")


class OrderFilterSerializer(serializers.Serializer):
    state = serializers.ChoiceField(choices=OrderState.choices, required=False)
    formal = serializers.BooleanField(required=False, allow_null=True, default=None)
    case = serializers.IntegerField(required=False, min_value=1)


class CaseOrdersView(APIView):
    """`POST /api/v1/cases/{id}/orders/`: a leader over the case's grid issues a supervision order."""

    @extend_schema(request=OrderIssueSerializer, responses={201: OrderSerializer})
    def post(self, request, case_id):
        form = OrderIssueSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        order = order_issue(case_id=case_id, actor=request.user, **form.validated_data)
        detail = selectors.order_detail_for_user(user=request.user, order_id=order.pk)
        return Response(OrderSerializer(detail).data, status=status.HTTP_201_CREATED)


class OrderListView(APIView):
    """`GET /api/v1/orders/?state=&formal=&case=`: orders on the cases you may see, newest first (cursor pages)."""

    pagination_class = CursorPagination

    @extend_schema(parameters=[OrderFilterSerializer], responses=OrderSerializer(many=True))
    def get(self, request):
        params = OrderFilterSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        filters = params.validated_data
        qs = selectors.order_list_for_user(
            user=request.user, state=filters.get("state"), formal=filters.get("formal"), case_id=filters.get("case")
        )
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(qs, request, view=self)
        return paginator.get_paginated_response(OrderSerializer(page, many=True).data)


class OrderDetailView(APIView):
    @extend_schema(responses=OrderSerializer)
    def get(self, request, pk):
        order = selectors.order_detail_for_user(user=request.user, order_id=pk)
        if order is None:
            raise Http404(_("No such supervision order."))
        return Response(OrderSerializer(order).data)


class OrderReplyView(APIView):
    """`POST /api/v1/orders/{id}/reply/`: the lead department answers (late answers are recorded as late)."""

    @extend_schema(request=OrderReplySerializer, responses=OrderSerializer)
    def post(self, request, pk):
        form = OrderReplySerializer(data=request.data)
        form.is_valid(raise_exception=True)
        order = order_reply(order_id=pk, actor=request.user, reply=form.validated_data["reply"])
        return Response(OrderSerializer(selectors.order_detail_for_user(user=request.user, order_id=order.pk)).data)


class OrderWithdrawView(APIView):
    """`POST /api/v1/orders/{id}/withdraw/`: a leader over the case's grid withdraws an unanswered order."""

    @extend_schema(request=OrderWithdrawSerializer, responses=OrderSerializer)
    def post(self, request, pk):
        form = OrderWithdrawSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        order = order_withdraw(order_id=pk, actor=request.user, note=form.validated_data["note"])
        return Response(OrderSerializer(selectors.order_detail_for_user(user=request.user, order_id=order.pk)).data)
