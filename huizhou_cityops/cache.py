"""The cache backend: Django's Redis cache that degrades to "nothing cached" when Redis does not answer.

The cache only ever saves time (the working-time calendar's version, assessment results), so a Redis outage must
not turn a page into an error: a read answers as a miss, a write is skipped, and the first failure of a burst is
logged. Short socket timeouts (settings CACHES OPTIONS) keep an unreachable Redis from stalling requests.
"""

import logging
import re
import time

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

# After a failure, skip Redis for this long instead of paying its timeout on every call.
PAUSE_SECONDS = 5.0
# Keys deleted per UNLINK when the cache is cleared.
CLEAR_BATCH = 1000


class ReusingRedisCacheClient(RedisCacheClient):
    """Django's client builds a new redis.Redis object (with its table of response callbacks) for every operation,
    about as much CPU as the round trip itself; one per connection pool serves every thread (it takes a connection
    from the pool per command)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class FallbackRedisCache(RedisCache):
    """RedisCache whose reads miss and whose writes are skipped while Redis does not answer."""

    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = ReusingRedisCacheClient

    _paused_until = 0.0

    def _attempt(self, name, default, *args, **kwargs):
        return self._guarded(lambda: getattr(super(FallbackRedisCache, self), name)(*args, **kwargs), default)

    def _guarded(self, call, default):
        if time.monotonic() < self._paused_until:
            return default
        try:
            return call()
        except (RedisError, OSError):
            self._paused_until = time.monotonic() + PAUSE_SECONDS
            logger.warning("cache: Redis does not answer; going on without the cache for a while", exc_info=True)
            return default

    def get(self, key, default=None, version=None):
        return self._attempt("get", default, key, default, version)

    def get_many(self, keys, version=None):
        return self._attempt("get_many", {}, keys, version)

    def has_key(self, key, version=None):
        return self._attempt("has_key", False, key, version)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._attempt("set", None, key, value, timeout, version)

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._attempt("add", False, key, value, timeout, version)

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        return self._attempt("touch", False, key, timeout, version)

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        return self._attempt("set_many", list(data), data, timeout, version)

    def delete(self, key, version=None):
        return self._attempt("delete", False, key, version)

    def delete_many(self, keys, version=None):
        return self._attempt("delete_many", None, keys, version)

    def incr(self, key, delta=1, version=None):
        # None while Redis does not answer; ValueError (no such key) passes through as in Django.
        return self._attempt("incr", None, key, delta, version)

    def clear(self):
        """Delete this cache's keys (those under its KEY_PREFIX), not the whole Redis database: Celery's queues and
        other processes' caches live in it too (Django's clear() is FLUSHDB, which would drop queued tasks). False
        while Redis does not answer."""
        return self._guarded(self._clear_prefix, False)

    def _clear_prefix(self):
        client = self._cache.get_client(None, write=True)
        pattern = re.sub(r"([*?\[\]\\])", r"\\\1", self.key_prefix) + ":*"
        batch = []
        for key in client.scan_iter(match=pattern, count=CLEAR_BATCH):
            batch.append(key)
            if len(batch) >= CLEAR_BATCH:
                client.unlink(*batch)
                batch.clear()
        if batch:
            client.unlink(*batch)
        return True
