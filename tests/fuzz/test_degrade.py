"""Degrade, don't fail: without Redis the assessment pages compute their results; /healthz says so in words."""

import re

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db
CLOSED_PORT = "redis://127.0.0.1:1/0"


@pytest.fixture
def redis_down(settings):
    """The cache and the health check pointed at a port where nothing listens."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CLOSED_PORT}}
    settings.REDIS_URL = CLOSED_PORT
    settings.ASSESSMENT_LIVE_CACHE_SECONDS = 60  # the live results would be cached, if the cache answered


@pytest.mark.parametrize("url", ["/assessment/", "/assessment/regions/441302/", "/assessment/posts/grid_worker/"])
def test_assessment_pages_compute_without_the_cache(url, assessor, redis_down):
    client = Client()
    client.force_login(assessor)
    assert client.get(url).status_code == 200


def test_healthz_reports_each_component_in_words_without_exception_text(redis_down):
    response = Client().get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["redis"] == {"ok": False, "status": "not answering"}
    assert body["database"]["status"] == "answering"
    text = response.content.decode()
    for leak in ("Error", "refused", "127.0.0.1", "Traceback"):
        assert leak not in text
    # "port" of a connection error as a word, not the "reports" queue or the exports sweep the workers line names.
    assert not re.search(r"\bport\b", text)
