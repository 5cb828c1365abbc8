"""ASGI entry point: what gunicorn's uvicorn workers serve (docker/gunicorn.conf.py, scripts/serve.sh).

Ordinary views run as before (Django runs each request's synchronous work on a thread of its own); the live stream
(/live/events/) is an async view, so an open screen holds no worker and no thread while it waits.
"""

import asyncio
import os
import warnings

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "huizhou_cityops.settings.production")

# Static files (whitenoise) are served from a file iterator, which Django reads on a thread under ASGI and warns
# about on every file; that is expected here, and the warning would fill the log.
warnings.filterwarnings("ignore", message="StreamingHttpResponse must consume synchronous iterators")


class RequestLimit:
    """At most `limit` requests of this process are handled at once; the others wait on the event loop.

    Under ASGI nothing else bounds them: each request gets a thread and a database connection of its own, and a
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


django_application = get_asgi_application()

from django.conf import settings  # noqa: E402 - after the application has set Django up

application = RequestLimit(django_application, settings.WEB_MAX_CONCURRENT_REQUESTS)
