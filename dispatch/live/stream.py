"""The server-sent event stream of one screen.

An open stream costs no thread and no database connection while it waits: it waits on the hub's asyncio.Event.
Woken (or at each heartbeat, which also catches an announcement that was lost), it reads the events after its
cursor that the user may see (dispatch.selectors.event_feed_page_for_user, the same reading as the poll API) on a
small shared pool of database threads, and sends them:

    id: <cursor>
    event: events
    data: {"events": [...], "cursor": <cursor>}

The id is the cursor, so a reconnecting browser sends it back as Last-Event-ID and the stream replays what it
missed from the database before it goes live. The stream opens with `event: cursor` (where it starts), and a
cursor that only moved past events the user may not see is sent the same way, as is the heartbeat.
`event: fallback` tells the screen that Redis does not answer and it should poll instead; the stream then ends.
"""

import asyncio
import json
import threading
import time
import weakref
from concurrent.futures import ThreadPoolExecutor
from functools import partial

from django.conf import settings
from django.db import InterfaceError, OperationalError, connection

from dispatch import selectors
from dispatch.api.events import FeedEventSerializer

from .hub import UP

# How long a browser waits before reconnecting after the stream ends or breaks (the SSE `retry:` field).
RETRY_MS = 3000
# While an id is held back at a gap (a transaction still in flight), look again this soon without a wake-up.
GAP_RECHECK_SECONDS = 1.0
PAGE = 100
# A client that does not stream gets at most this many pages at once; it continues from the cursor.
ONCE_PAGES = 10

_pool = None


def _db_pool():
    """The process's few threads that run the streams' queries; each keeps one database connection open."""
    global _pool
    if _pool is None:
        _pool = ThreadPoolExecutor(max_workers=settings.EVENTS_STREAM_DB_THREADS, thread_name_prefix="feed-db")
    return _pool


def _guarded(function, kwargs):
    try:
        return function(**kwargs)
    except (InterfaceError, OperationalError):
        # The thread's connection broke (a database restart): once more on a new one.
        connection.close()
        return function(**kwargs)


async def in_db_thread(function, /, **kwargs):
    """Run a database read on the feed's thread pool (never on the event loop, never a thread per stream)."""
    return await asyncio.get_running_loop().run_in_executor(_db_pool(), partial(_guarded, function, kwargs))


def db_threads_close():
    """Close the pool's database connections and the pool (the test suite drops its database afterwards)."""
    global _pool
    pool, _pool = _pool, None
    if pool is None:
        return
    workers = settings.EVENTS_STREAM_DB_THREADS
    # Every worker must run one close: a barrier keeps each of them busy until all have taken one.
    barrier = threading.Barrier(workers)

    def close():
        try:
            barrier.wait(timeout=5)
        finally:
            connection.close()

    for _ in range(workers):
        pool.submit(close)
    pool.shutdown(wait=True)


class ScanShare:
    """The streams of a process woken by the same announcement read the same ids after the same cursor: the first
    one reads them, the others take its rows. Safe because any event committed after that read has an
    announcement of its own, which wakes every stream again under a new generation."""

    def __init__(self):
        self.generation, self.table = None, {}
        # The reads run on several database threads at once.
        self._lock = threading.Lock()

    def scan(self, generation, after):
        if generation is None:  # a heartbeat or a recheck: read afresh
            return selectors.event_feed_scan(after=after)
        with self._lock:
            if self.generation is not None and generation < self.generation:
                table = None  # woken before the latest wake-up: read afresh, keep nothing
            else:
                if generation != self.generation:
                    self.generation, self.table = generation, {}
                table = self.table
            rows = table.get(after) if table is not None else None
        if rows is None:
            rows = selectors.event_feed_scan(after=after)
            if table is not None:
                with self._lock:
                    # Into this generation's table, even if a newer one has started meanwhile.
                    rows = table.setdefault(after, rows)
        return rows


_shares: "weakref.WeakKeyDictionary[object, ScanShare]" = weakref.WeakKeyDictionary()


def _share_of(hub):
    share = _shares.get(hub)
    if share is None:
        share = _shares[hub] = ScanShare()
    return share


def _page(*, user, after, share=None, generation=None):
    scan = share.scan(generation, after) if share is not None else None
    events, cursor, behind = selectors.event_feed_page_for_user(user=user, after=after, limit=PAGE, scan=scan)
    return FeedEventSerializer(events, many=True).data, cursor, behind


def _cursor_message(cursor):
    return f'id: {cursor}\nevent: cursor\ndata: {{"cursor":{cursor}}}\n\n'


def _message(events, cursor):
    data = json.dumps({"events": events, "cursor": cursor}, ensure_ascii=False, separators=(",", ":"))
    return f"id: {cursor}\nevent: events\ndata: {data}\n\n"


async def event_stream(*, user, after: int, hub, once: bool, lifetime: float, read=in_db_thread):
    """Yield the SSE text for `user` from the cursor `after` on: the backlog from the database, then live.

    `once`: only the backlog, then the end (a client that does not ask for text/event-stream, e.g. a script).
    `lifetime`: the stream ends after this many seconds and the browser reconnects with Last-Event-ID, so
    a long-open screen picks up changes of the user's scope and sign-in. `read` runs the database reads.
    """
    listener = hub.listen()
    share = _share_of(hub)
    ends_at = time.monotonic() + lifetime
    cursor = after
    pages = 0
    try:
        yield f"retry: {RETRY_MS}\n" + _cursor_message(cursor)
        woken = False
        while True:
            listener.clear()
            generation = hub.generation if woken else None
            events, next_cursor, behind = await read(_page, user=user, after=cursor, share=share, generation=generation)
            if events:
                yield _message(events, next_cursor)
            elif next_cursor != cursor:
                yield _cursor_message(next_cursor)
            full_page = len(events) == PAGE
            cursor = next_cursor
            pages += 1
            if once and (not behind or pages >= ONCE_PAGES):
                return
            if full_page:
                woken = False
                continue
            if not once and hub.state != UP:
                yield "event: fallback\ndata: {}\n\n"
                return
            remaining = ends_at - time.monotonic()
            if remaining <= 0:
                return
            wait = min(GAP_RECHECK_SECONDS if behind else settings.EVENTS_STREAM_HEARTBEAT_SECONDS, remaining)
            try:
                await asyncio.wait_for(listener.wait(), wait)
                woken = True
            except TimeoutError:
                woken = False
                if not behind:
                    # The heartbeat: proxies see traffic, the page sees that its stream is alive.
                    yield _cursor_message(cursor)
    finally:
        hub.forget(listener)
