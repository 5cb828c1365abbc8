from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from accounts import views as account_views
from accounts.api import TokenObtainView

from .health import healthz

# A path that matches no route; under /api/ (e.g. /api/v1/cases/abc/) the answer is JSON like every other API error.
handler404 = "huizhou_cityops.errors.not_found"

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("api/v1/auth/token/", TokenObtainView.as_view(), name="api-token"),
    path("api/v1/", include("huizhou_cityops.api_urls")),
    path("public/", include("dispatch.public.urls")),
    path("m/", include("cases.urls")),
    path("open311/v2/", include("cases.open311.urls")),
    path("tiles/", include("grids.urls")),
    path("", include("dispatch.urls")),
    path("assessment/", include("assessment.urls")),
    path("screen/", include("assessment.screen_urls")),
    path("public/transparency/", include("assessment.public_urls")),
    path("", account_views.home, name="home"),
]
# No route serves MEDIA_URL, in development either: case photos are as private as their case and only the scoped
# /photos/ID/ views (dispatch.pages.panel.case_photo) hand them out.
