"""One subscription to the feed's Redis channel per server process (per event loop), shared by all its streams.

Hundreds of open screens cost one Redis connection per process, not one each. A message only wakes the streams;
each then reads from the database what its user may see (the message carries no case data, so nothing leaks
through it). When Redis does not answer the hub says so (`state`), wakes every stream so it can tell its screen to
fall back to polling, and tries again with a growing pause.
"""

import asyncio
import contextlib
import logging
import time
import weakref

import redis.asyncio as aioredis
from django.conf import settings

from cases.services.feed import feed_channel

logger = logging.getLogger(__name__)

CONNECTING, UP, DOWN = "connecting", "up", "down"
# A subscribed connection that stays silent cannot tell a quiet channel from a dead server: ping it this often.
PING_SECONDS = 10.0
RETRY_MAX_SECONDS = 30.0
# Announcements this close together wake the streams once (each wake costs every stream a database read).
COALESCE_SECONDS = 0.05


class FeedHub:
    """The process's subscription; `listen()` gives a stream an asyncio.Event that every message sets."""

    def __init__(self):
        self.state = CONNECTING
        self.messages = 0
        # Counts the wake-ups: the streams woken by the same one may share their first read (stream.ScanShare).
        self.generation = 0
        self._listeners: set[asyncio.Event] = set()
        self._settled = asyncio.Event()
        self._task = None

    def start(self):
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._run(), name="cityops-feed-hub")

    async def stop(self):
        """Unsubscribe (a test's event loop ends; a server process just exits)."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def available(self, timeout: float) -> bool:
        """Whether the subscription is up, waiting at most `timeout` for the first attempt to settle."""
        self.start()
        if self.state == CONNECTING:
            try:
                await asyncio.wait_for(self._settled.wait(), timeout)
            except TimeoutError:
                return False
        return self.state == UP

    def listen(self) -> asyncio.Event:
        event = asyncio.Event()
        self._listeners.add(event)
        return event

    def forget(self, event: asyncio.Event):
        self._listeners.discard(event)

    @property
    def listeners(self) -> int:
        return len(self._listeners)

    def _wake(self):
        self.generation += 1
        for event in self._listeners:
            event.set()

    def _set_state(self, state):
        if state != self.state:
            logger.log(logging.WARNING if state == DOWN else logging.INFO, "live feed subscription %s", state)
        self.state = state
        self._settled.set()
        # Up again: anything published meanwhile was missed, so every stream looks at the database now.
        # Down: every stream tells its screen to poll instead.
        self._wake()

    async def _run(self):
        pause = 1.0
        while True:
            client = aioredis.Redis.from_url(
                settings.REDIS_URL, socket_connect_timeout=2, socket_timeout=PING_SECONDS + 5
            )
            pubsub = client.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.subscribe(feed_channel())
                self._set_state(UP)
                pause = 1.0
                await self._receive(pubsub)
            except asyncio.CancelledError:
                raise
            except Exception:  # any failure of Redis or the connection: down, and try again later
                logger.warning("live feed: Redis does not answer; screens fall back to polling", exc_info=True)
                self._set_state(DOWN)
            finally:
                await _close_quietly(pubsub, client)
            await asyncio.sleep(pause)
            pause = min(pause * 2, RETRY_MAX_SECONDS)

    async def _receive(self, pubsub):
        pinged = time.monotonic()
        while True:
            message = await pubsub.get_message(timeout=1.0)
            if message and message.get("type") == "message":
                self.messages += 1
                # The events of one piece of work come in a burst (a report accepted and filed at the desk, a
                # sweep's batches): gather what follows within COALESCE_SECONDS and wake the streams once.
                until = time.monotonic() + COALESCE_SECONDS
                while (left := until - time.monotonic()) > 0:
                    if await pubsub.get_message(timeout=left) is None:
                        break
                    self.messages += 1
                self._wake()
            if time.monotonic() - pinged > PING_SECONDS:
                await pubsub.ping()
                pinged = time.monotonic()


async def _close_quietly(pubsub, client):
    for closing in (pubsub.aclose, client.aclose):
        try:
            await closing()
        except Exception:  # closing a broken connection may fail; nothing is left to do about it
            logger.debug("live feed: closing the Redis connection failed", exc_info=True)


_hubs: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, FeedHub]" = weakref.WeakKeyDictionary()


def feed_hub() -> FeedHub:
    """The hub of the running event loop (one per server process; tests run several loops one after another)."""
    loop = asyncio.get_running_loop()
    hub = _hubs.get(loop)
    if hub is None:
        hub = _hubs[loop] = FeedHub()
    return hub


def live_feed_health() -> dict:
    """/healthz's "live_feed": the state of this server process's subscription, in words."""
    hubs = list(_hubs.values())
    screens = sum(hub.listeners for hub in hubs)
    if any(hub.state == DOWN for hub in hubs):
        return {"ok": False, "status": "screens poll: Redis does not answer", "screens": screens}
    if any(hub.state == UP for hub in hubs):
        return {"ok": True, "status": "live", "screens": screens}
    return {"ok": True, "status": "no live screen on this server process", "screens": screens}
