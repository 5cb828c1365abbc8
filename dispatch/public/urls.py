"""The public portal's URLs, all under /public/ (included by huizhou_cityops.urls)."""

from django.urls import path

from . import views

urlpatterns = [
    path("", views.public_home, name="public-home"),
    path("report/", views.public_report, name="public-report"),
    path("follow/<str:token>/", views.public_follow, name="public-follow"),
    path("follow/<str:token>/code/", views.public_follow_code, name="public-follow-code"),
    path("follow/<str:token>/code/resend/", views.public_follow_code_resend, name="public-follow-code-resend"),
    path("follow/<str:token>/rate/", views.public_follow_rate, name="public-follow-rate"),
    path("follow/<str:token>/photos/<int:pk>/", views.public_follow_photo, name="public-follow-photo"),
    path(
        "follow/<str:token>/photos/<int:pk>/thumbnail/",
        views.public_follow_photo,
        {"thumbnail": True},
        name="public-follow-photo-thumbnail",
    ),
]
