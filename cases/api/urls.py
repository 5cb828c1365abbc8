from django.urls import path

from .catalogue import CategoryListView
from .enforcement import (
    DiscretionStandardView,
    EnforcementDetailView,
    EnforcementListView,
    EnforcementStepView,
    PartGiveView,
)

urlpatterns = [
    path("categories/", CategoryListView.as_view(), name="api-category-list"),
    path("enforcement/", EnforcementListView.as_view(), name="api-enforcement-list"),
    path("enforcement/<int:pk>/", EnforcementDetailView.as_view(), name="api-enforcement-detail"),
    path("enforcement/<int:pk>/steps/", EnforcementStepView.as_view(), name="api-enforcement-steps"),
    path("enforcement-parts/<int:pk>/give/", PartGiveView.as_view(), name="api-enforcement-part-give"),
    path("discretion-standards/", DiscretionStandardView.as_view(), name="api-discretion-standards"),
]
