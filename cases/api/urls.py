from django.urls import path

from .calendar import CalendarListView, CalendarYearView
from .catalogue import CategoryDetailView, CategoryListView
from .enforcement import (
    DiscretionStandardView,
    EnforcementDetailView,
    EnforcementListView,
    EnforcementStepView,
    PartGiveView,
)
from .sensing import SensingEventDetailView, SensingEventView

urlpatterns = [
    path("categories/", CategoryListView.as_view(), name="api-category-list"),
    path("calendar/", CalendarListView.as_view(), name="api-calendar-list"),
    path("calendar/<int:year>/", CalendarYearView.as_view(), name="api-calendar-year"),
    path("categories/<str:code>/", CategoryDetailView.as_view(), name="api-category-detail"),
    path("sensing/events/", SensingEventView.as_view(), name="api-sensing-events"),
    path("enforcement/", EnforcementListView.as_view(), name="api-enforcement-list"),
    path("enforcement/<int:pk>/", EnforcementDetailView.as_view(), name="api-enforcement-detail"),
    path("enforcement/<int:pk>/steps/", EnforcementStepView.as_view(), name="api-enforcement-steps"),
    path("enforcement-parts/<int:pk>/give/", PartGiveView.as_view(), name="api-enforcement-part-give"),
    path("discretion-standards/", DiscretionStandardView.as_view(), name="api-discretion-standards"),
    path("sensing/events/<str:event_id>/", SensingEventDetailView.as_view(), name="api-sensing-event"),
]
