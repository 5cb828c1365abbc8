"""Fixed-window rate limits in the shared cache, for clients without a session (keys, addresses, phones).

`rate_allow("open311", key_id, limit=60, period=60)` counts one hit and says whether it is within the limit.
With Redis down the limit is not enforced (the request is served): limits protect the service, they must not stop
it. Identifiers are hashed, so phone numbers and addresses never appear in cache keys.
"""

import hashlib
import time

from django.core.cache import cache
from redis.exceptions import RedisError


def _window_key(scope: str, ident: str, period: int, now: float) -> str:
    digest = hashlib.sha256(str(ident).encode()).hexdigest()[:24]
    return f"ratelimit:{scope}:{digest}:{int(now // period)}"


def rate_hits(scope: str, ident: str, *, period: int, now: float | None = None) -> int:
    """Hits counted so far in the current window (0 when none or when the cache does not answer)."""
    return cache.get(_window_key(scope, ident, period, now or time.time())) or 0


def rate_allow(scope: str, ident: str, *, limit: int, period: int, now: float | None = None) -> bool:
    """Count a hit of `ident` in `scope`; False once more than `limit` hits fell in the current `period` seconds.

    One round trip: the window's counter is created with its expiry if missing and incremented, in one pipeline."""
    key = cache.make_and_validate_key(_window_key(scope, ident, period, now or time.time()))
    try:
        client = cache._cache.get_client(key, write=True)  # noqa: SLF001 - the backend's own Redis client
        pipe = client.pipeline(transaction=False)
        pipe.set(key, 0, ex=period + 1, nx=True)
        pipe.incr(key)
        _created, count = pipe.execute()
    except (RedisError, OSError):
        return True  # Redis down: the limit is not enforced (see above)
    return count <= limit
