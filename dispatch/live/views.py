"""GET /live/events/: the live feed as server-sent events (an async view; see stream.py for the format).

    Accept: text/event-stream   the stream: the backlog after the cursor, then live, with heartbeats
    anything else               the backlog only, then the end (scripts, curl)
    ?counts=1                   every message also carries the command centre's tab counts (its users only)

The cursor is the Last-Event-ID header a reconnecting browser sends, else `?after=`, else "from now". Signed-in
users only, and each receives only events of cases in their scope, as from the poll API /api/v1/events/.
503 when Redis does not answer: the page then polls /api/v1/events/ instead.
"""

import logging

from asgiref.sync import SyncToAsync, sync_to_async
from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.db import connection
from django.http import JsonResponse, StreamingHttpResponse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from dispatch import selectors

from .hub import feed_hub
from .stream import event_stream, in_db_thread

logger = logging.getLogger(__name__)

# How long a new stream waits for the process's subscription when it is just starting.
HUB_WAIT_SECONDS = 2.0
MAX_CURSOR = 2**63 - 1


def _cursor(request):
    """The cursor to start from, None for "from now"; ValueError for one that is not an event id."""
    raw = request.headers.get("Last-Event-ID") or request.GET.get("after")
    if raw is None or raw == "":
        return None
    value = int(raw.strip())
    if not 0 <= value <= MAX_CURSOR:
        raise ValueError(raw)
    return value


@require_GET
async def live_events(request):
    user = await request.auser()
    if not user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    try:
        after = _cursor(request)
    except ValueError:
        with _language_of(request):
            message = _("The cursor must be the id of an event (a whole number from 0).")
        return JsonResponse({"after": [message]}, status=400)
    # Under WSGI (runserver, the test client) a response cannot stream from an async iterator: it would be read
    # to its end first. There the answer is the backlog only, and the browser's reconnection makes it a poll.
    asgi = hasattr(request, "scope")
    once = not asgi or "text/event-stream" not in request.headers.get("Accept", "")
    hub = feed_hub()
    if not once and not await hub.available(HUB_WAIT_SECONDS):
        with _language_of(request):
            detail = _("Live updates are not available at the moment; the page checks for changes by itself.")
        return JsonResponse({"detail": detail}, status=503)
    read = in_db_thread if asgi else _in_request_thread
    if after is None:
        after = await read(selectors.event_feed_start)
    stream = event_stream(
        user=user,
        after=after,
        hub=hub,
        once=once,
        lifetime=settings.EVENTS_STREAM_MAX_SECONDS,
        read=read,
        counts=request.GET.get("counts") == "1",
    )
    response = StreamingHttpResponse(
        _detached(stream) if asgi else stream, content_type="text/event-stream; charset=utf-8"
    )
    response["Cache-Control"] = "no-cache"
    # nginx would otherwise buffer the stream and deliver the events in lumps.
    response["X-Accel-Buffering"] = "no"
    return response


def _language_of(request):
    """The request's language, as LocaleMiddleware chose it, for the view's few messages."""
    return translation.override(getattr(request, "LANGUAGE_CODE", None) or settings.LANGUAGE_CODE)


async def _in_request_thread(function, /, **kwargs):
    return await sync_to_async(function)(**kwargs)


async def _detached(stream):
    """The stream, once the request's own thread is given back.

    Django runs a request's synchronous parts (signals, middleware, the session save) on a thread of its own that
    lives, with the database connection it opened, as long as the request: for a stream, hours. Once the response
    has started (the middleware is done), close that connection and let the thread go; the stream's reads use the
    feed's shared pool. What Django runs at the very end (request_finished) gets a fresh thread for a moment.
    """
    await sync_to_async(_close_request_connection)()
    _release_request_thread()
    try:
        async for part in stream:
            yield part
    finally:
        await stream.aclose()


def _close_request_connection():
    # Inside a transaction (a test's) the connection is not the request's to close.
    if not connection.in_atomic_block:
        connection.close()


def _release_request_thread():
    try:
        context = SyncToAsync.thread_sensitive_context.get()
    except LookupError:
        return
    executor = SyncToAsync.context_to_thread_executor.pop(context, None)
    if executor is not None:
        executor.shutdown(wait=False)
