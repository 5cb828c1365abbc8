"""Pages of the grids app: the offline base map's tiles."""

from django.urls import path

from . import views

urlpatterns = [
    path("<int:z>/<int:x>/<int:y>.png", views.tile, name="map-tile"),
]
