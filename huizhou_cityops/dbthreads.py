"""A few threads per process that run database work, each on one database connection it keeps open.

Under the ASGI server every synchronous request runs on a thread of its own, so Django opens (and PostgreSQL forks a
backend for) a new connection per request. Work that comes very often and costs little — the live stream's reads,
a sensing source's posts, the case API's reports and lists — runs on a pool of these threads instead: no connection
per request, and never the event loop's own thread.

A connection opened on one of these threads is kept whatever CONN_MAX_AGE says (the requests' own threads close
theirs after each request): Django's request signals may run there (huizhou_cityops.asgi.KeptConnectionRoutes runs
whole requests on them), and their `close_old_connections` then closes it only when it is broken.
"""

import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor
from functools import partial

from django.db import InterfaceError, OperationalError, connection
from django.db.backends.signals import connection_created

# The pool whose thread this is (set when the thread starts).
_here = threading.local()


def _keep_connection(sender, connection, **kwargs):
    if getattr(_here, "pool", None) is not None:
        connection.close_at = None  # Django's mark of a connection without an age limit


connection_created.connect(_keep_connection, dispatch_uid="cityops-database-threads-keep")


def _guarded(function, kwargs):
    try:
        return function(**kwargs)
    except (InterfaceError, OperationalError):
        # The thread's connection broke (a database restart): once more on a new one. Callers run only reads or
        # work that is idempotent.
        connection.close()
        return function(**kwargs)


class DatabaseThreads:
    """A lazily started pool of `size()` threads named `name`; `size` is read when the pool starts."""

    def __init__(self, name: str, size):
        self.name = name
        self.size = size
        self._pool = None
        self._lock = threading.Lock()

    @property
    def pool(self) -> ThreadPoolExecutor:
        with self._lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(
                    max_workers=self.size(), thread_name_prefix=self.name, initializer=self._enter
                )
            return self._pool

    def _enter(self):
        _here.pool = self

    def running_here(self) -> bool:
        """True on one of this pool's threads."""
        return getattr(_here, "pool", None) is self

    @property
    def started(self) -> bool:
        return self._pool is not None

    def run(self, function, /, **kwargs):
        """Run `function(**kwargs)` on one of the threads and wait for its answer (from synchronous code)."""
        return self.pool.submit(partial(_guarded, function, kwargs)).result()

    async def arun(self, function, /, **kwargs):
        """The same from a coroutine: the event loop goes on meanwhile."""
        return await asyncio.get_running_loop().run_in_executor(self.pool, partial(_guarded, function, kwargs))

    def close(self):
        """Close every thread's database connection and the pool (the test suite drops its database afterwards)."""
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is None:
            return
        workers = pool._max_workers
        # Every worker must run one close: a barrier keeps each of them busy until all have taken one.
        barrier = threading.Barrier(workers)

        def close_one():
            try:
                barrier.wait(timeout=5)
            finally:
                connection.close()

        for _worker in range(workers):
            pool.submit(close_one)
        pool.shutdown(wait=True)
