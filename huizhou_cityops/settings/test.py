"""Test settings: the real PostgreSQL/PostGIS and Redis, fast password hashing.

Under pytest-xdist (`pytest -n 2`) each worker process (PYTEST_XDIST_WORKER = gw0, gw1, …) is a separate test
run: pytest-django gives it its own database (test_<name>_gw0), and the settings below give it its own Redis
key prefix (cache, Celery broker), its own media folder. One Redis database serves them all, so no worker needs
a database number of its own that might belong to someone else on a shared server.
"""

import os

from .base import *  # noqa: F403
from .base import env

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# "gw0", "gw1", … under pytest-xdist; empty in a plain `pytest` run (and in processes it starts, unless passed on).
XDIST_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")
REDIS_URL = env("TEST_REDIS_URL", default=env("REDIS_URL", default="redis://127.0.0.1:6379/0"))
# Every Redis key of this test process starts with it: the cache's keys and the Celery broker's queues alike.
# A test that starts real Celery processes passes them TEST_REDIS_PREFIX to give them a private one.
TEST_REDIS_PREFIX = env("TEST_REDIS_PREFIX", default="cityops-test" + (f"-{XDIST_WORKER}" if XDIST_WORKER else ""))
CACHES["default"]["LOCATION"] = REDIS_URL  # noqa: F405
CACHES["default"]["KEY_PREFIX"] = TEST_REDIS_PREFIX  # noqa: F405
CELERY_BROKER_URL = REDIS_URL
CELERY_BROKER_TRANSPORT_OPTIONS = {"global_keyprefix": f"{TEST_REDIS_PREFIX}:celery:"}

STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}  # noqa: F405
# Uploaded photos and exports: ids restart at 1 in every worker's database, so every worker gets its own folder.
MEDIA_ROOT = env("MEDIA_ROOT", default=str(BASE_DIR / "var" / "test-media"))  # noqa: F405
if XDIST_WORKER:
    MEDIA_ROOT = os.path.join(MEDIA_ROOT, XDIST_WORKER)
# Every point lookup re-reads the regions' stamp (one query), so each test sees the regions as it left them.
GRIDS_LOCATE_RECHECK_SECONDS = env.float("GRIDS_LOCATE_RECHECK_SECONDS", default=0)
# Each test sees /healthz's lines as they are now (tests/test_health.py turns the memory on to test it).
HEALTHZ_DETAIL_SECONDS = 0
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# Serve static files straight from the app folders; no collectstatic needed outside production.
WHITENOISE_AUTOREFRESH = True
WHITENOISE_USE_FINDERS = True
# Follow-ups run in the test's process at commit (django_capture_on_commit_callbacks), as the suite asserts on
# routing and notifications right after a service call; real-process tests turn it off with FOLLOWUP_INLINE=0.
FOLLOWUP_INLINE = env.bool("FOLLOWUP_INLINE", default=True)
# The ingestion endpoint's database work on the request's own connection, inside each test's transaction.
SENSING_DB_THREADS = env.int("SENSING_DB_THREADS", default=0)
API_DB_THREADS = env.int("API_DB_THREADS", default=0)
# Tests run the sensing step themselves (cases.services.sensing_queue.sensing_process); real-process tests turn it on.
SENSING_KICK = env.bool("SENSING_KICK", default=False)
