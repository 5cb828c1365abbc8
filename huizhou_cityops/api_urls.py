"""REST API v1: each app contributes its routes here."""

from django.urls import include, path

urlpatterns = [
    path("", include("grids.api.urls")),
    path("", include("cases.api.case_urls")),
    path("", include("cases.api.urls")),
    path("", include("dispatch.api.urls")),
    path("", include("assessment.api.urls")),
]
