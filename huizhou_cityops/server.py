"""The gunicorn worker class of the web server (docker/gunicorn.conf.py, scripts/serve.sh): uvicorn's, serving
huizhou_cityops.asgi, with settings of ours and a fairer share of new connections among the workers."""

import asyncio
import functools
import logging
import os
import socket

from gunicorn.arbiter import Arbiter
from uvicorn.server import Server
from uvicorn_worker import UvicornWorker

logger = logging.getLogger(__name__)

# A worker holding connections waits this long per connection it holds (at most ACCEPT_DELAY_MAX) before it takes a
# new one; a worker holding fewer takes it first. Seconds; GUNICORN_ACCEPT_DELAY_MS=0 accepts at once.
ACCEPT_DELAY = float(os.environ.get("GUNICORN_ACCEPT_DELAY_MS") or 1) / 1000
ACCEPT_DELAY_MAX = 10 * ACCEPT_DELAY
ACCEPT_RETRY = 1.0  # seconds before a worker whose accept failed (no descriptors left) tries again


class BalancedAccept:
    """A worker's share of the listening socket every worker waits on: one connection at a time, and later the more
    connections the worker already holds.

    The event loop's own server takes every connection waiting in the socket's queue at each wake-up, so the worker
    that wakes first takes them all: four clients connecting at once to five workers landed two or more to a worker
    in 10 tries of 12, and the requests of those clients then share one process's interpreter while a worker idles.
    Here a worker takes one connection per turn, at once when it holds none, after ACCEPT_DELAY per connection held
    otherwise: the least-loaded worker takes it, and when all are busy the wait is bounded by ACCEPT_DELAY_MAX.
    Closing (the server's shutdown) stops taking connections; the ones taken are the server's as usual.
    """

    def __init__(self, sock, protocol_factory, held, *, ssl=None):
        self.loop = asyncio.get_running_loop()
        self.sock = sock
        self.protocol_factory = protocol_factory
        self.held = held  # the connections this worker holds now (uvicorn's server state)
        self.ssl = ssl
        self.opening = set()  # connections taken whose transport is still being made
        self.waiting = None
        self.closed = False
        sock.setblocking(False)
        self._listen()

    def _readable(self):
        self.loop.remove_reader(self.sock.fileno())
        load = len(self.held) + len(self.opening)
        if load:  # leave the connection to a less loaded worker for a moment; take it then if it is still there
            self.waiting = self.loop.call_later(min(load * ACCEPT_DELAY, ACCEPT_DELAY_MAX), self._take)
        else:
            self._take()

    def _take(self):
        self.waiting = None
        if self.closed:
            return
        try:
            conn, _address = self.sock.accept()
        except (BlockingIOError, InterruptedError, ConnectionAbortedError):
            pass  # another worker took it, or the client gave up
        except OSError as error:
            # Out of descriptors or memory: the connection waits in the queue; try again in a while, as asyncio does.
            logger.error("accepting a connection failed, trying again in %s s: %s", ACCEPT_RETRY, error)
            self.waiting = self.loop.call_later(ACCEPT_RETRY, self._listen)
            return
        else:
            self._open(conn)
        self._listen()

    def _listen(self):
        self.waiting = None
        if not self.closed:
            self.loop.add_reader(self.sock.fileno(), self._readable)

    def _open(self, conn):
        conn.setblocking(False)
        if conn.family in (socket.AF_INET, socket.AF_INET6):
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        task = self.loop.create_task(self.loop.connect_accepted_socket(self.protocol_factory, conn, ssl=self.ssl))
        self.opening.add(task)
        task.add_done_callback(self._opened)

    def _opened(self, task):
        self.opening.discard(task)
        if not task.cancelled() and task.exception() is not None:
            logger.error("a connection could not be opened: %r", task.exception())

    def close(self):
        self.closed = True
        if self.waiting is not None:
            self.waiting.cancel()
            self.waiting = None
        self.loop.remove_reader(self.sock.fileno())

    async def wait_closed(self):
        if self.opening:
            await asyncio.wait(list(self.opening))


class BalancedServer(Server):
    """uvicorn's server under gunicorn, taking its connections through BalancedAccept."""

    async def startup(self, sockets=None):
        if sockets is None or ACCEPT_DELAY <= 0:
            await super().startup(sockets)
            return
        await super().startup([])  # the lifespan and state, no listener of the loop's own
        config = self.config
        protocol = functools.partial(
            config.http_protocol_class, config=config, server_state=self.server_state, app_state=self.lifespan.state
        )
        held = self.server_state.connections
        self.servers = [BalancedAccept(sock, protocol, held, ssl=config.ssl) for sock in sockets]


class CityOpsWorker(UvicornWorker):
    """uvloop and httptools when installed; the client address left as the connection gives it; new connections
    shared among the workers by BalancedAccept.

    proxy_headers off: uvicorn would otherwise take the address from X-Forwarded-For whenever the peer is
    127.0.0.1, which anyone on the host could send. Which proxies are trusted is the application's decision
    (TRUSTED_PROXIES, accounts.security.clientip), as under any other server.
    """

    CONFIG_KWARGS = {"loop": "auto", "http": "auto", "proxy_headers": False, "server_header": False}

    async def _serve(self):
        self.config.app = self.wsgi
        server = BalancedServer(config=self.config)
        self._install_sigquit_handler()
        await server.serve(sockets=self.sockets)
        if not server.started:
            raise SystemExit(Arbiter.WORKER_BOOT_ERROR)
