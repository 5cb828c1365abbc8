from django.urls import path

from .calendar import CalendarListView, CalendarYearView
from .catalogue import CategoryDetailView, CategoryListView
from .sensing import SensingEventDetailView, SensingEventView

urlpatterns = [
    path("categories/", CategoryListView.as_view(), name="api-category-list"),
    path("calendar/", CalendarListView.as_view(), name="api-calendar-list"),
    path("calendar/<int:year>/", CalendarYearView.as_view(), name="api-calendar-year"),
    path("categories/<str:code>/", CategoryDetailView.as_view(), name="api-category-detail"),
    path("sensing/events/", SensingEventView.as_view(), name="api-sensing-events"),
    path("sensing/events/<str:event_id>/", SensingEventDetailView.as_view(), name="api-sensing-event"),
]
