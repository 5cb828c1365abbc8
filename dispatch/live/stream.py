"""The server-sent event stream of one screen.

An open stream costs no thread and no database connection while it waits: it waits on the hub's asyncio.Event.
Woken by an announcement, it takes its user's part of ONE read that the process makes for all its streams at
that cursor (BatchShare: dispatch.selectors.event_feed_batch, filtered per user by the same scope rule in Python);
its heartbeats (which also catch an announcement that was lost) falling in the same second share one read the
same way. Its first read and a recheck at a gap are its own (dispatch.selectors.event_feed_page_for_user, the same
reading as the poll API). Reads run on a small shared pool of database threads. What a shared read gives is
encoded once per process (SerializedBatch): the screens that send the same message write the same bytes. It sends:

    id: <cursor>
    event: events
    data: {"events": [...], "cursor": <cursor>}

The id is the cursor, so a reconnecting browser sends it back as Last-Event-ID and the stream replays what it
missed from the database before it goes live. The stream opens with `event: cursor` (where it starts), and a
cursor that only moved past events the user may not see is sent the same way, as is the heartbeat.
`event: fallback` tells the screen that Redis does not answer and it should poll instead; the stream then ends.
"""

import asyncio
import functools
import json
import time
import weakref

from django.conf import settings

from accounts.scope import user_scope
from dispatch import selectors
from dispatch.api.events import FeedEventSerializer
from huizhou_cityops.dbthreads import DatabaseThreads

from .hub import UP

# How a stream's next read is made (event_stream).
OWN, WOKEN, HEARTBEAT = "own", "woken", "heartbeat"
# How long a browser waits before reconnecting after the stream ends or breaks (the SSE `retry:` field).
RETRY_MS = 3000
# While an id is held back at a gap (a transaction still in flight), look again this soon without a wake-up.
GAP_RECHECK_SECONDS = 1.0
PAGE = 100
# A client that does not stream gets at most this many pages at once; it continues from the cursor.
ONCE_PAGES = 10

# The process's few threads that run the streams' queries, each on a connection it keeps.
_threads = DatabaseThreads("feed-db", lambda: settings.EVENTS_STREAM_DB_THREADS)


async def in_db_thread(function, /, **kwargs):
    """Run a database read on the feed's thread pool (never on the event loop, never a thread per stream)."""
    return await _threads.arun(function, **kwargs)


def db_threads_close():
    _threads.close()


class BatchShare:
    """The streams of a process woken by the same announcement read the same events after the same cursor: the
    first one starts ONE read of every new event (selectors.event_feed_batch), the others await that same read,
    and each then keeps what its user may see, in Python (selectors.event_feed_page_of_batch). 200 screens woken
    at once cost one read per process, not 200. Safe because any event committed after that read has an
    announcement of its own, which wakes every stream again under a new generation."""

    def __init__(self):
        self.generation, self.reads = None, {}
        self.beat_second, self.beats = None, {}

    async def batch(self, generation, after, read):
        """The batch after `after` for a stream woken at `generation`; None when a later wake-up has come since
        (that stream then reads afresh rather than take a newer or older table's rows)."""
        if self.generation is not None and generation < self.generation:
            return None
        if generation != self.generation:
            self.generation, self.reads = generation, {}
        return await _shared(self.reads, after, read)

    async def heartbeat(self, after, read):
        """The batch after `after` for a stream at its heartbeat. The streams woken together also time out
        together, 200 heartbeats in the same instant: those falling in the same second share one read. No
        announcement ties them, so the read may be up to a second old; what it missed has an announcement of its
        own, and a lost one is caught at the next heartbeat."""
        second = int(time.monotonic())
        if second != self.beat_second:
            self.beat_second, self.beats = second, {}
        return await _shared(self.beats, after, read)


async def _shared(reads, after, read):
    """The read after `after` in `reads`, started by the first stream that asks; the others await the same."""
    task = reads.get(after)
    if task is None:
        task = asyncio.ensure_future(read(_batch, after=after))
        reads[after] = task
        task.add_done_callback(functools.partial(_settled, reads, after))
    # A stream that ends while it waits must not cancel the read the others await.
    return await asyncio.shield(task)


def _settled(reads, after, task):
    # A failed read is not shared any longer: the next stream at this cursor tries again.
    if (task.cancelled() or task.exception() is not None) and reads.get(after) is task:
        del reads[after]


class SerializedBatch:
    """A FeedBatch encoded once for all the process's streams that send from it: each event's JSON once, and each
    distinct message (the same events after the same cursor: every city-wide screen's) once, as the bytes the
    server writes. 200 screens woken by one announcement cost one encoding per event, not 200."""

    def __init__(self, batch):
        self.batch = batch
        serialized = FeedEventSerializer(batch.events, many=True).data
        self.encoded = {event.id: _dumps(data) for event, data in zip(batch.events, serialized, strict=True)}
        self._messages = {}

    def message(self, events, cursor) -> bytes:
        """The `events` message of these events (of this batch) and cursor, made by the first stream that sends it."""
        key = (tuple(event.id for event in events), cursor)
        message = self._messages.get(key)
        if message is None:
            data = '{"events":[' + ",".join(self.encoded[event.id] for event in events) + f'],"cursor":{cursor}}}'
            message = self._messages[key] = _event_message(data, cursor)
        return message


def _batch(*, after):
    return SerializedBatch(selectors.event_feed_batch(after=after))


_shares: "weakref.WeakKeyDictionary[object, BatchShare]" = weakref.WeakKeyDictionary()


def _share_of(hub):
    share = _shares.get(hub)
    if share is None:
        share = _shares[hub] = BatchShare()
    return share


def _page(*, user, after):
    """A stream's own read (its first, a heartbeat, a recheck at a gap): the scope rule in SQL. It also reads the
    user's scope (once per user object), which the stream's shared reads then filter by without a query. Returns
    (message or None when no event is visible, cursor, behind)."""
    user_scope(user)
    events, cursor, behind = selectors.event_feed_page_for_user(user=user, after=after, limit=PAGE)
    if not events:
        return None, cursor, behind, 0
    data = _dumps({"events": FeedEventSerializer(events, many=True).data, "cursor": cursor})
    return _event_message(data, cursor), cursor, behind, len(events)


def _page_of(shared, user):
    """The user's page of a shared batch: no query (the user's scope was read at the stream's first read), and the
    message already encoded when another stream of the process sends the same."""
    events, cursor, behind = selectors.event_feed_page_of_batch(user=user, batch=shared.batch, limit=PAGE)
    return (shared.message(events, cursor) if events else None), cursor, behind, len(events)


def _dumps(data):
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


@functools.lru_cache(maxsize=64)
def _cursor_message(cursor):
    # The streams of a process mostly stand at the same cursor: their heartbeats are the same bytes.
    return f'id: {cursor}\nevent: cursor\ndata: {{"cursor":{cursor}}}\n\n'.encode()


def _event_message(data, cursor):
    return f"id: {cursor}\nevent: events\ndata: {data}\n\n".encode()


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
        yield f"retry: {RETRY_MS}\n".encode() + _cursor_message(cursor)
        # How the next read is made: the stream's own, or its part of a read shared with the process's other
        # streams (woken by the same announcement, or at their heartbeat in the same second). The first read is
        # the stream's own, so the user's scope is known (cached on the user object) before any shared batch is
        # filtered for it on the event loop.
        how = OWN
        while True:
            listener.clear()
            shared = None
            if how == WOKEN:
                shared = await share.batch(hub.generation, cursor, read)
            elif how == HEARTBEAT:
                shared = await share.heartbeat(cursor, read)
            if shared is not None:
                message, next_cursor, behind, count = _page_of(shared, user)
            else:
                message, next_cursor, behind, count = await read(_page, user=user, after=cursor)
            if message is not None:
                yield message
            elif next_cursor != cursor:
                yield _cursor_message(next_cursor)
            full_page = count == PAGE
            cursor = next_cursor
            pages += 1
            if once and (not behind or pages >= ONCE_PAGES):
                return
            if full_page:
                how = OWN
                continue
            if not once and hub.state != UP:
                yield b"event: fallback\ndata: {}\n\n"
                return
            remaining = ends_at - time.monotonic()
            if remaining <= 0:
                return
            wait = min(GAP_RECHECK_SECONDS if behind else settings.EVENTS_STREAM_HEARTBEAT_SECONDS, remaining)
            try:
                await asyncio.wait_for(listener.wait(), wait)
                how = WOKEN
            except TimeoutError:
                # At a gap the recheck is the stream's own (it waits for one id); a heartbeat's read is shared.
                how = OWN if behind else HEARTBEAT
                if not behind:
                    # The heartbeat: proxies see traffic, the page sees that its stream is alive.
                    yield _cursor_message(cursor)
    finally:
        hub.forget(listener)
