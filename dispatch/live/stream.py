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

A command-centre screen asks for its tab counts with the feed (`?counts=1`): every message after a read then
carries `"counts": {tab: n}` as of that read, so the screen never asks for them itself. The counts of a set of
grids are read once for all the streams woken by the same announcement, or beating in the same second, over
those grids (dispatch.queue_counts: a few index ranges of the counters); what a user sees beyond their grids
(cases they reported or are assigned to, their departments') is the stream's own small read, repeated at its
heartbeat and whenever an event of such a case arrives.
"""

import asyncio
import functools
import json
import time
import weakref

from django.conf import settings
from django.utils import timezone

from accounts.scope import user_scope
from accounts.surfaces import COMMAND
from dispatch import selectors
from dispatch.api.events import FeedEventSerializer
from dispatch.queue_counts import count_roots, queue_counts_beyond_grids, queue_counts_in_grids
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
        self.counts_tag, self.count_reads = None, {}

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

    async def grid_counts(self, tag, roots, read):
        """The counts of the grids `roots` for a stream woken by announcement `tag` ("gen", generation) or beating
        in second `tag` ("beat", second): one read for all such streams over the same grids. A read shared under a
        generation starts after that announcement, so it counts the change announced."""
        if tag != self.counts_tag:
            self.counts_tag, self.count_reads = tag, {}
        return await _shared(self.count_reads, roots, read, _grid_counts)


async def _shared(reads, after, read, function=None):
    """The read after `after` in `reads`, started by the first stream that asks; the others await the same.
    (`function`: another shared read, keyed by `after`, e.g. the counts of a set of grids.)"""
    task = reads.get(after)
    if task is None:
        if function is None:
            task = asyncio.ensure_future(read(_batch, after=after))
        else:
            task = asyncio.ensure_future(read(function, roots=after))
        reads[after] = task
        task.add_done_callback(functools.partial(_settled, reads, after))
    # A stream that ends while it waits must not cancel the read the others await.
    return await asyncio.shield(task)


def _settled(reads, after, task):
    # A failed read is not shared any longer: the next stream at this cursor tries again.
    if (task.cancelled() or task.exception() is not None) and reads.get(after) is task:
        del reads[after]


class SerializedBatch:
    """Feed events encoded once for all the process's streams that send from them: each event's JSON once, and each
    distinct message (the same events after the same cursor: every city-wide screen's) once, as the bytes the
    server writes. 200 screens woken by one announcement cost one encoding per event, not 200. A message carrying
    a screen's tab counts is made for that screen (the events' JSON is still shared)."""

    def __init__(self, batch=None, *, events=None):
        self.batch = batch
        self.events = batch.events if batch is not None else events
        serialized = FeedEventSerializer(self.events, many=True).data
        self.encoded = {event.id: _dumps(data) for event, data in zip(self.events, serialized, strict=True)}
        self._messages = {}

    def message(self, events, cursor, counts=None) -> bytes:
        """The `events` message of these events (of this batch) and cursor, made by the first stream that sends it."""
        if counts is not None:
            return self._encode(events, cursor, ',"counts":' + _dumps(counts))
        key = (tuple(event.id for event in events), cursor)
        message = self._messages.get(key)
        if message is None:
            message = self._messages[key] = self._encode(events, cursor)
        return message

    def _encode(self, events, cursor, extra=""):
        data = '{"events":[' + ",".join(self.encoded[event.id] for event in events) + f'],"cursor":{cursor}{extra}}}'
        return _event_message(data, cursor)


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
    (the events encoded, or None when none is visible, cursor, behind)."""
    user_scope(user)
    events, cursor, behind = selectors.event_feed_page_for_user(user=user, after=after, limit=PAGE)
    return (SerializedBatch(events=events) if events else None), cursor, behind


def _grid_counts(*, roots):
    return queue_counts_in_grids(roots=roots, now=timezone.now())


def _beyond_counts(*, user):
    return queue_counts_beyond_grids(user=user, now=timezone.now())


def _counts_wanted(*, user):
    """The grids whose counts the stream carries (count_roots), or None: not a command-centre user."""
    return tuple(count_roots(user)) if COMMAND.opens_for(user) else None


class StreamCounts:
    """The tab counts one command-centre stream carries: its grids' (shared) plus what it sees beyond them."""

    def __init__(self, user, roots):
        self.user, self.roots = user, roots
        self.beyond = None

    def touched_beyond(self, shared, events):
        """Whether any of these events (of a shared batch) is of a case beyond the stream's grids."""
        if self.roots == ("",):
            return False
        facts = shared.batch.facts
        return any(
            not any(facts[event.case_id].region_path.startswith(root) for root in self.roots)
            for event in events
            if event.case_id in facts
        )

    async def read(self, *, share, tag, read, refresh_beyond):
        grids = (
            await share.grid_counts(tag, self.roots, read)
            if tag is not None
            else await read(_grid_counts, roots=self.roots)
        )
        if self.roots == ("",):
            return grids
        if refresh_beyond or self.beyond is None:
            self.beyond = await read(_beyond_counts, user=self.user)
        return {key: n + self.beyond.get(key, 0) for key, n in grids.items()}


def _dumps(data):
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


@functools.lru_cache(maxsize=64)
def _plain_cursor_message(cursor):
    # The streams of a process mostly stand at the same cursor: their heartbeats are the same bytes.
    return f'id: {cursor}\nevent: cursor\ndata: {{"cursor":{cursor}}}\n\n'.encode()


def _cursor_message(cursor, counts=None):
    if counts is None:
        return _plain_cursor_message(cursor)
    data = _dumps({"cursor": cursor, "counts": counts})
    return f"id: {cursor}\nevent: cursor\ndata: {data}\n\n".encode()


def _event_message(data, cursor):
    return f"id: {cursor}\nevent: events\ndata: {data}\n\n".encode()


async def event_stream(*, user, after: int, hub, once: bool, lifetime: float, read=in_db_thread, counts=False):
    """Yield the SSE text for `user` from the cursor `after` on: the backlog from the database, then live.

    `once`: only the backlog, then the end (a client that does not ask for text/event-stream, e.g. a script).
    `lifetime`: the stream ends after this many seconds and the browser reconnects with Last-Event-ID, so
    a long-open screen picks up changes of the user's scope and sign-in. `read` runs the database reads.
    `counts`: every message after a read carries the command centre's tab counts (a command-centre user's).
    """
    listener = hub.listen()
    share = _share_of(hub)
    ends_at = time.monotonic() + lifetime
    cursor = after
    pages = 0
    tally = None  # StreamCounts, once the first read knows the user's scope
    beat = False
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
            generation = hub.generation
            if how == WOKEN:
                shared = await share.batch(generation, cursor, read)
            elif how == HEARTBEAT:
                shared = await share.heartbeat(cursor, read)
            if shared is not None:
                events, next_cursor, behind = selectors.event_feed_page_of_batch(
                    user=user, batch=shared.batch, limit=PAGE
                )
            else:
                page, next_cursor, behind = await read(_page, user=user, after=cursor)
                events = page.events if page is not None else []
            if counts and tally is None:
                roots = await read(_counts_wanted, user=user)
                counts = roots is not None
                tally = StreamCounts(user, roots) if counts else None
            tabs = None
            if tally is not None and (events or next_cursor != cursor or beat):
                tag = None
                if shared is not None:
                    tag = ("gen", generation) if how == WOKEN else ("beat", share.beat_second)
                refresh = shared is None or beat or tally.touched_beyond(shared, events)
                tabs = await tally.read(share=share, tag=tag, read=read, refresh_beyond=refresh)
            if events:
                yield (shared if shared is not None else page).message(events, next_cursor, tabs)
            elif next_cursor != cursor or tabs is not None:
                yield _cursor_message(next_cursor, tabs)
            beat = False
            full_page = len(events) == PAGE
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
                    if tally is not None:
                        # The heartbeat goes out after the read, with the counts (the overdue tab moves with time).
                        beat = True
                    else:
                        # The heartbeat: proxies see traffic, the page sees that its stream is alive.
                        yield _cursor_message(cursor)
    finally:
        hub.forget(listener)
