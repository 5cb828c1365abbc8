"""Pages of the cases app, mounted at /m/ (the grid workers' mobile pages)."""

from django.urls import path

from .views import mobile

urlpatterns = [
    path("", mobile.report, name="mobile-report"),
    path("tasks/", mobile.tasks, name="mobile-tasks"),
    path("reports/", mobile.reports, name="mobile-reports"),
    path("patrols/", mobile.patrols, name="mobile-patrols"),
    path("sw.js", mobile.service_worker, name="mobile-sw"),
    path("manifest.webmanifest", mobile.manifest, name="mobile-manifest"),
]
