"""A few threads per process that run database work, each on one database connection it keeps open.

Under the ASGI server every synchronous request runs on a thread of its own, so Django opens (and PostgreSQL forks a
backend for) a new connection per request. Work that comes very often and costs little — the live stream's reads,
a sensing source's posts — runs on a pool of these threads instead: no connection per request, and never the event
loop's own thread.
"""

import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor
from functools import partial

from django.db import InterfaceError, OperationalError, connection


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
                self._pool = ThreadPoolExecutor(max_workers=self.size(), thread_name_prefix=self.name)
            return self._pool

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
