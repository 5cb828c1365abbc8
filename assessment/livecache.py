"""The cache of live assessment figures: it only saves time, so when it does not answer the figures are computed."""

import logging

from django.core.cache import cache

logger = logging.getLogger("assessment.selectors.results")


def _live_cache_seconds():
    from django.conf import settings

    return getattr(settings, "ASSESSMENT_LIVE_CACHE_SECONDS", 60)


def _cache_get(key):
    # The cache only saves time: when it does not answer (Redis down), the page computes the results itself.
    try:
        return cache.get(key)
    except Exception:  # the backend's own connection errors; any of them means "no cached value"
        logger.warning("assessment cache unavailable; computing live results without it", exc_info=True)
        return None


def _cache_set(key, rows, seconds):
    try:
        cache.set(key, rows, seconds)
    except Exception:  # as in _cache_get: results not kept is no reason to fail the page
        logger.warning("assessment cache unavailable; results not kept", exc_info=True)
