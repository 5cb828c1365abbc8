"""The web server's workers share new connections: a worker takes one at a time, the least loaded first
(huizhou_cityops.server.BalancedAccept), under gunicorn as in production and in-process for the rule itself."""

import asyncio
import errno
import http.client
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from huizhou_cityops import server
from tests.dispatch.test_worker import _stop

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = str(Path(sys.executable).with_name("gunicorn"))


class Held(asyncio.Protocol):
    """A connection counted in its worker's `held` set while open."""

    def __init__(self, held):
        self.held = held

    def connection_made(self, transport):
        self.held.add(self)

    def connection_lost(self, exc):
        self.held.discard(self)


def _listening():
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    return sock


def _connect(port):
    client = socket.create_connection(("127.0.0.1", port))
    return client


def test_an_idle_worker_takes_the_connection_before_a_busy_one(monkeypatch):
    monkeypatch.setattr(server, "ACCEPT_DELAY", 0.05)
    monkeypatch.setattr(server, "ACCEPT_DELAY_MAX", 0.5)
    listener = _listening()
    port = listener.getsockname()[1]

    async def scenario():
        busy_held, idle_held = {"an open connection"}, set()
        # Two workers on one listening socket (each its own descriptor, as after a fork).
        busy = server.BalancedAccept(listener.dup(), lambda: Held(busy_held), busy_held)
        idle = server.BalancedAccept(listener.dup(), lambda: Held(idle_held), idle_held)
        client = await asyncio.to_thread(_connect, port)
        await asyncio.sleep(0.2)  # past the busy worker's wait
        assert len(idle_held) == 1
        assert busy_held == {"an open connection"}
        # Once the idle one holds a connection too, the next goes to whichever waited least: both hold one.
        second = await asyncio.to_thread(_connect, port)
        await asyncio.sleep(0.2)
        assert len(idle_held) + len(busy_held) == 3
        for worker in (busy, idle):
            worker.close()
            await worker.wait_closed()
        client.close()
        second.close()

    asyncio.run(scenario())
    listener.close()


def test_a_busy_worker_still_takes_the_connection_after_its_wait_and_none_after_closing(monkeypatch):
    monkeypatch.setattr(server, "ACCEPT_DELAY", 0.01)
    monkeypatch.setattr(server, "ACCEPT_DELAY_MAX", 0.05)
    listener = _listening()
    port = listener.getsockname()[1]

    async def scenario():
        held = {f"connection {n}" for n in range(20)}  # its wait is capped at ACCEPT_DELAY_MAX
        worker = server.BalancedAccept(listener.dup(), lambda: Held(held), held)
        client = await asyncio.to_thread(_connect, port)
        started = time.monotonic()
        while len(held) == 20:
            assert time.monotonic() - started < 5, "the only worker never took the connection"
            await asyncio.sleep(0.01)
        worker.close()
        await worker.wait_closed()
        late = await asyncio.to_thread(_connect, port)  # queued by the kernel, not taken by a closed worker
        await asyncio.sleep(0.1)
        assert len(held) == 21
        client.close()
        late.close()

    asyncio.run(scenario())
    listener.close()


class AcceptFailsOnce:
    """A listening socket whose first accept fails as it does when the process has no descriptor left."""

    def __init__(self, sock):
        self.sock = sock
        self.failed = False

    def __getattr__(self, name):
        return getattr(self.sock, name)

    def accept(self):
        if not self.failed:
            self.failed = True
            raise OSError(errno.EMFILE, "Too many open files")
        return self.sock.accept()


def test_a_failed_accept_leaves_the_connection_queued_and_is_tried_again_later(monkeypatch, caplog):
    monkeypatch.setattr(server, "ACCEPT_RETRY", 0.1)
    listener = _listening()
    port = listener.getsockname()[1]

    async def scenario():
        held = set()
        failing = AcceptFailsOnce(listener.dup())
        worker = server.BalancedAccept(failing, lambda: Held(held), held)
        client = await asyncio.to_thread(_connect, port)
        await asyncio.sleep(0.03)
        assert failing.failed
        assert not held  # not lost: still in the queue, and no busy loop of failing accepts meanwhile
        started = time.monotonic()
        while not held:
            assert time.monotonic() - started < 5, "the connection was never taken"
            await asyncio.sleep(0.01)
        worker.close()
        client.close()

    asyncio.run(scenario())
    listener.close()
    assert "accepting a connection failed" in caplog.text


@pytest.fixture
def gunicorn_workers(tmp_path):
    """gunicorn with CityOpsWorker, 4 workers, serving tests/pid_app.py; (url port, process)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    # A long wait per held connection, so that the test's result does not hang on how soon the idle workers run.
    env = {**os.environ, "GUNICORN_ACCEPT_DELAY_MS": "300"}
    log = tmp_path / "gunicorn.log"
    process = subprocess.Popen(
        [GUNICORN, "--worker-class", "huizhou_cityops.server.CityOpsWorker", "--workers", "4",
         "--bind", f"127.0.0.1:{port}", "--worker-tmp-dir", str(tmp_path), "--graceful-timeout", "2",
         "tests.pid_app:app"],
        cwd=ROOT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    try:
        yield port, process, log
    finally:
        _stop(process)


def _booted_workers(log):
    return log.read_text().count("Application startup complete")


def _pid_over(client):
    client.request("GET", "/")
    return int(client.getresponse().read())


def test_four_clients_connecting_at_once_are_served_by_four_workers(gunicorn_workers):
    port, process, log = gunicorn_workers
    deadline = time.monotonic() + 30  # a broken set-up's deadline, not a wait: it ends when all four are up
    while _booted_workers(log) < 4:
        assert process.poll() is None, log.read_text()[-3000:]
        assert time.monotonic() < deadline, log.read_text()[-3000:]
        time.sleep(0.1)
    clients = [http.client.HTTPConnection("127.0.0.1", port, timeout=10) for _ in range(4)]
    for client in clients:
        client.connect()  # one after another at once: a worker that took one is busy for the next
    try:
        pids = {_pid_over(client) for client in clients}
        assert len(pids) == 4
        # And a keep-alive connection stays with its worker.
        assert _pid_over(clients[0]) == _pid_over(clients[0])
    finally:
        for client in clients:
            client.close()
