"""The publishing side of the live feed: a committed case event is announced on a Redis channel.

The announcement is only a wake-up call: the event rows in the database are the feed, and every screen reads what
it may see from there (dispatch/live). A lost announcement therefore costs latency, never an event: the streams
look at the database on their heartbeat as well. So publishing never raises and never waits long.
"""

import json
import logging
import threading
import time

import redis
from django.conf import settings
from django.db import transaction

logger = logging.getLogger(__name__)

# After a failed publish, skip publishing for this long: a Redis that does not answer must not add its timeout
# to every transition (the streams' heartbeat still brings the events).
_PAUSE_AFTER_FAILURE_SECONDS = 5.0
_state = threading.local()
_paused_until = 0.0


def feed_channel() -> str:
    """The channel of this database's feed. Pub/sub ignores Redis' database numbers, so the name carries the
    database's: two installations (or a test run) sharing one Redis do not wake each other's screens."""
    return f"cityops:feed:{settings.DATABASES['default']['NAME']}"


def _client():
    client = getattr(_state, "client", None)
    if client is None:
        client = redis.Redis.from_url(
            settings.REDIS_URL,
            socket_connect_timeout=settings.EVENTS_PUBLISH_TIMEOUT_SECONDS,
            socket_timeout=settings.EVENTS_PUBLISH_TIMEOUT_SECONDS,
        )
        _state.client = client
    return client


def feed_publish(*, event_ids, case_ids=()) -> bool:
    """Announce committed case events to the live screens (call it after commit). True when Redis took it.

    Never raises: a Redis outage is logged and announcements pause for a few seconds; the screens fall back.
    """
    global _paused_until
    if not event_ids or time.monotonic() < _paused_until:
        return False
    message = json.dumps({"events": sorted(set(event_ids)), "cases": sorted(set(case_ids))})
    try:
        _client().publish(feed_channel(), message)
    except Exception:  # any Redis failure: the feed degrades to the streams' heartbeat and the clients' polling
        _paused_until = time.monotonic() + _PAUSE_AFTER_FAILURE_SECONDS
        logger.warning("live feed: announcement not published, Redis does not answer", exc_info=True)
        return False
    return True


def feed_publish_on_commit(*, event_id, case_id) -> None:
    """Announce one event once the caller's transaction commits (nothing when it rolls back)."""
    transaction.on_commit(lambda: feed_publish(event_ids=[event_id], case_ids=[case_id]))
