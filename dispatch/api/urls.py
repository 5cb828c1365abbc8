from django.urls import path
from rest_framework.routers import SimpleRouter

from dispatch.notifications.api import NotificationListView, NotificationReadAllView, NotificationReadView

from .events import EventFeedView
from .orders import CaseOrdersView, OrderDetailView, OrderListView, OrderReplyView, OrderWithdrawView
from .responsibilities import ResponsibilityRuleViewSet
from .routing import CaseRoutingView, DispatchQueueView
from .whistles import CaseWhistlesView, SummonsReportView

urlpatterns = [
    path("dispatch/queue/", DispatchQueueView.as_view(), name="api-dispatch-queue"),
    path("cases/<int:pk>/routing/", CaseRoutingView.as_view(), name="api-case-routing"),
    path("cases/<int:case_id>/orders/", CaseOrdersView.as_view(), name="api-case-orders"),
    path("orders/", OrderListView.as_view(), name="api-order-list"),
    path("orders/<int:pk>/", OrderDetailView.as_view(), name="api-order-detail"),
    path("orders/<int:pk>/reply/", OrderReplyView.as_view(), name="api-order-reply"),
    path("orders/<int:pk>/withdraw/", OrderWithdrawView.as_view(), name="api-order-withdraw"),
    path("cases/<int:case_id>/whistles/", CaseWhistlesView.as_view(), name="api-case-whistles"),
    path("summonses/<int:pk>/report/", SummonsReportView.as_view(), name="api-summons-report"),
    path("notifications/", NotificationListView.as_view(), name="api-notification-list"),
    path("notifications/read-all/", NotificationReadAllView.as_view(), name="api-notification-read-all"),
    path("notifications/<int:pk>/read/", NotificationReadView.as_view(), name="api-notification-read"),
    path("events/", EventFeedView.as_view(), name="api-event-feed"),
]

router = SimpleRouter()
router.register("responsibilities", ResponsibilityRuleViewSet, basename="api-responsibility")
urlpatterns += router.urls
