from django.urls import path
from rest_framework.routers import SimpleRouter

from . import departments, facilities, patrols, views

urlpatterns = [
    path("regions/", views.RegionListView.as_view(), name="api-region-list"),
    path("regions/geojson/", views.RegionFeaturesView.as_view(), name="api-region-geojson"),
    path("regions/locate/", views.RegionLocateView.as_view(), name="api-region-locate"),
    path("regions/<str:code>/", views.RegionDetailView.as_view(), name="api-region-detail"),
    path("patrols/", patrols.PatrolStartView.as_view(), name="api-patrol-start"),
    path("patrols/<uuid:client_id>/track/", patrols.PatrolTrackView.as_view(), name="api-patrol-track"),
    path("patrols/<uuid:client_id>/end/", patrols.PatrolEndView.as_view(), name="api-patrol-end"),
    path("facilities/nearby/", facilities.FacilityNearbyView.as_view(), name="api-facility-nearby"),
    path("facilities/<str:code>/", facilities.FacilityDetailView.as_view(), name="api-facility-detail"),
]

router = SimpleRouter()
router.register("departments", departments.DepartmentViewSet, basename="api-department")
urlpatterns += router.urls
