"""The big screen (大屏), mounted at /screen/."""

from django.urls import path

from .views import screen

urlpatterns = [
    path("", screen.screen, name="screen"),
    path("data/", screen.screen_data, name="screen-data"),
    path("grid/", screen.screen_grid, name="screen-grid"),
]
