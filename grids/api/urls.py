from django.urls import path

from . import facilities, patrols, views

urlpatterns = [
    path("regions/", views.RegionListView.as_view(), name="api-region-list"),
    path("regions/locate/", views.RegionLocateView.as_view(), name="api-region-locate"),
    path("regions/<str:code>/", views.RegionDetailView.as_view(), name="api-region-detail"),
    path("patrols/", patrols.PatrolStartView.as_view(), name="api-patrol-start"),
    path("patrols/<uuid:client_id>/track/", patrols.PatrolTrackView.as_view(), name="api-patrol-track"),
    path("patrols/<uuid:client_id>/end/", patrols.PatrolEndView.as_view(), name="api-patrol-end"),
    path("facilities/nearby/", facilities.FacilityNearbyView.as_view(), name="api-facility-nearby"),
    path("facilities/<str:code>/", facilities.FacilityDetailView.as_view(), name="api-facility-detail"),
]
