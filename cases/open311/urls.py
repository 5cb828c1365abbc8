"""GeoReport v2 under /open311/v2/: every resource in .json and .xml (the format is part of the path)."""

from django.urls import path, re_path

from . import views

urlpatterns = [
    path("discovery.<str:format>", views.discovery, name="open311-discovery"),
    path("services.<str:format>", views.services, name="open311-services"),
    path("services/<str:service_code>.<str:format>", views.service_definition, name="open311-service"),
    path("requests.<str:format>", views.requests, name="open311-requests"),
    path("requests/<str:service_request_id>.<str:format>", views.request_detail, name="open311-request"),
    path("tokens/<str:token>.<str:format>", views.token_detail, name="open311-token"),
    # Anything else under /open311/v2/ is the specification's 404 document, in the format the path asks for.
    re_path(r"^(?P<rest>.*)$", views.unknown_resource, name="open311-unknown"),
]
