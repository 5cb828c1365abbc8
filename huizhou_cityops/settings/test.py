"""Test settings: the real PostgreSQL/PostGIS and Redis, fast password hashing."""

from .base import *  # noqa: F403
from .base import env

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
REDIS_URL = env("TEST_REDIS_URL", default=env("REDIS_URL", default="redis://127.0.0.1:6379/0"))
CACHES["default"]["KEY_PREFIX"] = "cityops-test"  # noqa: F405
STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}  # noqa: F405
MEDIA_ROOT = env("MEDIA_ROOT", default=str(BASE_DIR / "var" / "test-media"))  # noqa: F405
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# Serve static files straight from the app folders; no collectstatic needed outside production.
WHITENOISE_AUTOREFRESH = True
WHITENOISE_USE_FINDERS = True
# Follow-ups run in the test's process at commit (django_capture_on_commit_callbacks), as the suite asserts on
# routing and notifications right after a service call; real-process tests turn it off with FOLLOWUP_INLINE=0.
FOLLOWUP_INLINE = env.bool("FOLLOWUP_INLINE", default=True)
