"""Assessment pages, mounted at /assessment/."""

from django.urls import path

from .views import cases, dashboard, explain, reports, units

app_name = "assessment"

urlpatterns = [
    path("", dashboard.dashboard, name="dashboard"),
    path("departments/<slug:code>/", units.department_page, name="department"),
    path("regions/<str:code>/", units.region_page, name="region"),
    path("posts/<slug:role>/", units.posts_page, name="posts"),
    path("cases/", cases.case_list, name="cases"),
    path("explain/", explain.explain, name="explain"),
    path("schemes/", explain.schemes, name="schemes"),
    path("export.<str:fmt>", reports.export, name="export"),
    path("bulletin/", reports.bulletin, name="bulletin"),
    path("map/", reports.hotspot_map, name="map"),
    path("map/data/", reports.hotspot_data, name="map-data"),
    path("map/scores/", reports.score_map_data, name="map-scores"),
]
