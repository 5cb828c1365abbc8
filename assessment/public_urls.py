"""Public pages of the assessment, mounted at /public/transparency/: no sign-in."""

from django.urls import path

from .views import transparency

urlpatterns = [
    path("", transparency.transparency, name="transparency"),
    path("data/", transparency.transparency_data_json, name="transparency-data"),
]
