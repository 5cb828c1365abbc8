from django.urls import path

from .catalogue import CategoryListView
from .sensing import SensingEventView

urlpatterns = [
    path("categories/", CategoryListView.as_view(), name="api-category-list"),
    path("sensing/events/", SensingEventView.as_view(), name="api-sensing-events"),
]
