"""The cache backend (huizhou_cityops.cache): clearing it deletes its own keys only, never the rest of Redis."""

import redis
from django.conf import settings
from django.core.cache import cache

from huizhou_cityops.cache import CLEAR_BATCH, FallbackRedisCache


def test_clearing_the_cache_deletes_its_keys_and_leaves_the_queues_and_other_caches():
    client = redis.Redis.from_url(settings.CACHES["default"]["LOCATION"])
    prefix = settings.CACHES["default"]["KEY_PREFIX"]
    other = FallbackRedisCache(settings.CACHES["default"]["LOCATION"], {"KEY_PREFIX": f"{prefix}-other"})
    starred = FallbackRedisCache(settings.CACHES["default"]["LOCATION"], {"KEY_PREFIX": f"{prefix}*"})
    queue = f"{prefix}-queue:celery"  # a broker's list beside the cache in the same database
    try:
        cache.set_many({f"k{n}": n for n in range(CLEAR_BATCH + 5)}, 60)  # more than one batch
        other.set("kept", 1, 60)
        starred.set("kept", 2, 60)
        client.rpush(queue, "a task")
        assert cache.clear() is True
        assert cache.get("k0") is None and cache.get(f"k{CLEAR_BATCH + 4}") is None
        assert not list(client.scan_iter(match=f"{prefix}:*"))
        assert other.get("kept") == 1 and starred.get("kept") == 2 and client.llen(queue) == 1
        # A prefix with glob characters matches itself only (not the other cache's keys it would spell as a pattern).
        assert starred.clear() is True and starred.get("kept") is None and other.get("kept") == 1
    finally:
        other.clear()
        client.delete(queue)


def test_clearing_without_redis_answers_false_without_an_error():
    unreachable = FallbackRedisCache(
        "redis://127.0.0.1:9/0", {"OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1}}
    )
    assert unreachable.clear() is False
