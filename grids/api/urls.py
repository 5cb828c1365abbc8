from django.urls import path

from . import facilities, views

urlpatterns = [
    path("regions/", views.RegionListView.as_view(), name="api-region-list"),
    path("regions/locate/", views.RegionLocateView.as_view(), name="api-region-locate"),
    path("regions/<str:code>/", views.RegionDetailView.as_view(), name="api-region-detail"),
    path("facilities/nearby/", facilities.FacilityNearbyView.as_view(), name="api-facility-nearby"),
    path("facilities/<str:code>/", facilities.FacilityDetailView.as_view(), name="api-facility-detail"),
]
