from django.urls import path

from . import views

urlpatterns = [
    path("regions/", views.RegionListView.as_view(), name="api-region-list"),
    path("regions/locate/", views.RegionLocateView.as_view(), name="api-region-locate"),
    path("regions/<str:code>/", views.RegionDetailView.as_view(), name="api-region-detail"),
]
