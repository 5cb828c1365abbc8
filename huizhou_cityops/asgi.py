"""ASGI entry point: what gunicorn's uvicorn workers serve (docker/gunicorn.conf.py, scripts/serve.sh).

Ordinary views run as before (Django runs each request's synchronous work on a thread of its own, with a database
connection of its own); the case API's list and reports and the command centre's repeated reads run on a few
threads that keep their connections (`KeptConnectionRoutes`); the live stream (/live/events/) is an async view, so an
open screen holds no worker and no thread while it waits.
"""

import asyncio
import json
import os
import time
import warnings

from django.core import signals
from django.core.asgi import get_asgi_application
from django.core.exceptions import RequestAborted
from django.core.handlers.asgi import ASGIHandler, get_script_prefix
from django.core.handlers.base import BaseHandler
from django.urls import Resolver404, resolve, set_script_prefix

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "huizhou_cityops.settings.production")

# Static files (whitenoise) are served from a file iterator, which Django reads on a thread under ASGI and warns
# about on every file; that is expected here, and the warning would fill the log.
warnings.filterwarnings("ignore", message="StreamingHttpResponse must consume synchronous iterators")


class RequestLimit:
    """At most `limit` requests of this process are handled at once; the others wait on the event loop.

    Under ASGI nothing else bounds them: most requests get a thread and a database connection of their own, and a
    burst (200 screens reconnecting after a restart) would open as many connections as requests and exhaust
    PostgreSQL's max_connections. A live stream gives its place back once its response has started, so open
    streams never count; any other request keeps it until it is done (its connection closed).
    """

    def __init__(self, app, limit):
        self.app, self.limit = app, limit
        self._semaphores = {}

    def _semaphore(self):
        loop = asyncio.get_running_loop()
        semaphore = self._semaphores.get(loop)
        if semaphore is None:
            semaphore = self._semaphores[loop] = asyncio.Semaphore(self.limit)
        return semaphore

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        semaphore = self._semaphore()
        await semaphore.acquire()
        held = True

        def release():
            nonlocal held
            if held:
                held = False
                semaphore.release()

        async def sending(message):
            if message["type"] == "http.response.start" and _is_stream(message):
                release()
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            release()


def _is_stream(message):
    return any(name.lower() == b"content-type" and value.startswith(b"text/event-stream") for name, value in
               message.get("headers", ()))  # fmt: skip


class SensingIntake:
    """POST /api/v1/sensing/events/ with a JSON body, answered without Django's request stack; all else to `app`.

    Sources post many times a second and a post is machine to machine: no session, CSRF, locale negotiation of
    pages, messages or person authentication apply, and Django's middleware and DRF's view cost more CPU than the
    whole ingestion. The answers are SensingEventView's (cases.api.sensing: the same serializer, the same service,
    401 with its realm, 400 per field, 429 with Retry-After, 200 for a repeated id, 202); a multipart post (with a
    snapshot), a body of unknown length or over DATA_UPLOAD_MAX_MEMORY_SIZE, and every other method go to Django.

    A run of the worker is asked for at most once per KICK_SECONDS per process (the rest is one Redis round trip a
    post, the rate limit's): a post that finds the last ask too recent schedules one at the end of the interval, so
    every stored detection is followed by an ask within KICK_SECONDS.
    """

    PATH = "/api/v1/sensing/events/"
    KICK_SECONDS = 0.5
    clock = staticmethod(time.monotonic)

    def __init__(self, app, max_body):
        self.app, self.max_body = app, max_body
        self._last_kick = float("-inf")
        self._kick_waiting = False
        # Posts that left their ask to the one at the interval's end and have not stored their detection yet.
        self._waiting_posts = 0

    async def __call__(self, scope, receive, send):
        headers = self._headers(scope)
        if headers is None:
            return await self.app(scope, receive, send)
        body = await self._body(receive)
        if body is None:
            return None  # the client went away
        kick = self._kick_now()
        self._waiting_posts += not kick
        try:
            code, answer, extra = await sensing_post_async(headers=headers, body=body, kick=kick)
        finally:
            self._waiting_posts -= not kick
        payload = json.dumps(answer, ensure_ascii=False, separators=(",", ":")).encode()
        out = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(payload)).encode()),
            (b"x-content-type-options", b"nosniff"),
            *((name.lower().encode(), value.encode()) for name, value in extra.items()),
        ]
        await send({"type": "http.response.start", "status": code, "headers": out})
        await send({"type": "http.response.body", "body": payload})
        return None

    def _headers(self, scope):
        """The request's headers by lower-case name when this route answers it, else None."""
        if scope["type"] != "http" or scope["method"] != "POST" or scope["path"] != self.PATH:
            return None
        headers = {name.decode("latin-1").lower(): value.decode("latin-1") for name, value in scope["headers"]}
        if not headers.get("content-type", "").lower().startswith("application/json"):
            return None
        length = headers.get("content-length", "")
        if not (length.isascii() and length.isdigit()) or int(length) > self.max_body:
            return None
        return headers

    async def _body(self, receive):
        chunks = []
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return None
            chunks.append(message.get("body", b""))
            if not message.get("more_body"):
                return b"".join(chunks)[: self.max_body]

    def _kick_now(self):
        now = self.clock()
        if now - self._last_kick >= self.KICK_SECONDS:
            self._last_kick = now
            return True
        if not self._kick_waiting:
            self._kick_waiting = True
            asyncio.get_running_loop().call_at(
                asyncio.get_running_loop().time() + self.KICK_SECONDS - (now - self._last_kick), self._kick_later
            )
        return False

    def _kick_later(self):
        if self._waiting_posts:
            # A post this ask stands for is still storing its detection: a run asked for now could end before it
            # commits, leaving it to the sweep. Ask once it has, at the next interval's end.
            asyncio.get_running_loop().call_at(asyncio.get_running_loop().time() + self.KICK_SECONDS, self._kick_later)
            return
        self._kick_waiting = False
        self._last_kick = self.clock()
        asyncio.get_running_loop().run_in_executor(None, sensing_kick)


class _SynchronousHandler(ASGIHandler):
    """Django's ASGI handler (its request class, body reading and response sending) with the middleware loaded for
    synchronous use, as a WSGI server runs it."""

    def __init__(self):
        BaseHandler.__init__(self)
        self.load_middleware(is_async=False)


class KeptConnectionRoutes:
    """GET and POST on the case API's list (a client's list pages, a grid worker's reports), and GET on the command
    centre's pages that every open screen asks for again and again (`reads`: URL names under `reads_under`: the
    page, its tab counts, its list, a case's panel, the map's cases), run whole on one of the API database threads
    (`API_DB_THREADS`, cases.api.case_views); everything else goes to `app`.

    Django's ASGI handler runs each request on a thread of its own, whose database connection is opened for the
    request and closed after it: PostgreSQL forks and sets up a backend for every request, which with 50 command
    screens following the feed was most of a core of two. On the API threads the connection is kept.
    Django's handler would also switch between the event loop and threads about nine times for such a request (the
    request-started signal, the synchronous middleware, back to the loop for the asynchronous ones, the view, the
    response's close: about 0.1 ms of CPU each, and more under load, when every switch waits for a core). Here the
    body is read on the loop, then the request runs on an API thread through the same middleware and view, as a
    WSGI server would run it, the answer is sent from the loop and the response closed (request_finished) on the
    thread again: three switches. The thread's connection is kept (huizhou_cityops.dbthreads); CONN_HEALTH_CHECKS
    tests it before each request. The routes' answers are whole (no streaming response reads the database later).
    While every thread is taken, a command-centre read goes to `app` instead of waiting behind the others.
    """

    METHODS = frozenset({"GET", "POST"})

    def __init__(self, app, paths, threads, *, reads=(), reads_under="/"):
        self.app, self.paths, self.threads = app, frozenset(paths), threads
        self.reads, self.reads_under = frozenset(reads), reads_under
        self.handler = _SynchronousHandler()
        # Requests of this process on the threads, from their route to their response's close (counted on the event
        # loop's thread only).
        self.in_flight = 0

    async def __call__(self, scope, receive, send):
        if not self._ours(scope):
            return await self.app(scope, receive, send)
        self.in_flight += 1
        try:
            try:
                body_file = await self.handler.read_body(receive)
            except RequestAborted:
                return None
            loop = asyncio.get_running_loop()
            try:
                response = await loop.run_in_executor(self.threads.pool, self._respond, scope, body_file)
                try:
                    await self.handler.send_response(response, send)
                finally:
                    # request_finished (the connection's check, the malloc trim) on the thread, after the answer is
                    # sent, as Django's handler does it.
                    await loop.run_in_executor(self.threads.pool, response.close)
            finally:
                body_file.close()
            return None
        finally:
            self.in_flight -= 1

    def _ours(self, scope):
        if scope["type"] != "http" or scope["method"] not in self.METHODS or not settings.API_DB_THREADS:
            return False
        path = scope["path"].removeprefix(scope.get("root_path", ""))
        if path in self.paths:
            return True
        if scope["method"] != "GET" or not self.reads or not path.startswith(self.reads_under):
            return False
        if self.in_flight >= settings.API_DB_THREADS:
            # Every thread is taken (a report with photos, a slow page): a screen's read takes Django's way, a
            # connection of its own, rather than wait behind them; the reports and list pages still queue there.
            return False
        try:
            return resolve(path).url_name in self.reads
        except Resolver404:
            return False

    def _respond(self, scope, body_file):
        """The response, on an API thread."""
        handler = self.handler
        set_script_prefix(get_script_prefix(scope))
        signals.request_started.send(sender=handler.__class__, scope=scope)
        request, response = handler.create_request(scope, body_file)
        if request is not None:
            response = handler.get_response(request)
        response._handler_class = handler.__class__
        return response


django_application = get_asgi_application()

from django.conf import settings  # noqa: E402 - after the application has set Django up

from cases.api.case_views import api_threads  # noqa: E402
from cases.api.sensing import sensing_post_async  # noqa: E402
from cases.services.sensing_queue import sensing_kick  # noqa: E402

# The case API's list URL, reverse("case-list") (tests/test_asgi_api.py holds them equal).
CASE_LIST_PATHS = ("/api/v1/cases/",)
# What every open command-centre screen asks for again and again (static/command/command.js), all under /command/.
COMMAND_READS = frozenset({"command-centre", "command-counts", "command-cases", "command-panel", "command-map-cases"})
COMMAND_READS_UNDER = "/command/"
application = RequestLimit(
    SensingIntake(
        KeptConnectionRoutes(
            django_application, CASE_LIST_PATHS, api_threads, reads=COMMAND_READS, reads_under=COMMAND_READS_UNDER
        ),
        settings.DATA_UPLOAD_MAX_MEMORY_SIZE,
    ),
    settings.WEB_MAX_CONCURRENT_REQUESTS,
)
