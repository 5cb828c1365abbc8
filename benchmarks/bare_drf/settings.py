"""Settings of the bare DRF baseline: production-like (DEBUG off, the same database connection handling as the
project's production settings), and nothing the one endpoint does not need."""

import os

import environ

env = environ.Env()

DEBUG = False
SECRET_KEY = os.environ.get("SECRET_KEY", "bare-drf-benchmark-secret-key")
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]
INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.gis",
    "rest_framework",
    "rest_framework.authtoken",
    "benchmarks.bare_drf",
]
MIDDLEWARE = ["django.middleware.common.CommonMiddleware"]
ROOT_URLCONF = "benchmarks.bare_drf.urls"
DATABASES = {"default": env.db_url("BARE_DATABASE_URL", default="postgis://postgres@127.0.0.1:5432/cityops_bare")}
DATABASES["default"]["ENGINE"] = "django.contrib.gis.db.backends.postgis"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
USE_TZ = True
TIME_ZONE = "Asia/Shanghai"
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework.authentication.TokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
}
