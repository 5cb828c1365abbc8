"""The production server type for a browser test: gunicorn with the project's uvicorn worker, on a free port,
against the test database. pytest-django's live_server is a WSGI server, which cannot stream the live feed."""

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from django.conf import settings

from tests.dispatch.test_worker import _database_url, _stop

GUNICORN = str(Path(sys.executable).with_name("gunicorn"))
ROOT = Path(settings.BASE_DIR)


class AsgiServer:
    def __init__(self, url):
        self.url = url


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def asgi_server(tmp_path, transactional_db):
    """gunicorn + CityOpsWorker (docker/gunicorn.conf.py), one worker, test settings; stopped after the test."""
    port = _free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "huizhou_cityops.settings.test",
        "DATABASE_URL": _database_url(),
        "REDIS_URL": settings.REDIS_URL,
        "TEST_REDIS_URL": settings.REDIS_URL,
        "GUNICORN_WORKERS": "1",
        "GUNICORN_MAX_REQUESTS": "0",
        "EVENTS_STREAM_HEARTBEAT_SECONDS": "2",
    }
    log = (tmp_path / "gunicorn.log").open("w")
    process = subprocess.Popen(
        [GUNICORN, "--config", "docker/gunicorn.conf.py", "--bind", f"127.0.0.1:{port}", "--worker-tmp-dir",
         str(tmp_path), "--graceful-timeout", "2", "huizhou_cityops.asgi"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        # A deadline for a broken set-up, not a wait: the loop ends as soon as the server answers.
        deadline = time.monotonic() + 30
        while True:
            assert process.poll() is None, (tmp_path / "gunicorn.log").read_text()[-3000:]
            try:
                if httpx.get(f"{url}/healthz", timeout=2).status_code in (200, 503):
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, (tmp_path / "gunicorn.log").read_text()[-3000:]
            time.sleep(0.2)
        yield AsgiServer(url)
    finally:
        _stop(process)
