"""The production web server (gunicorn with uvicorn workers, docker/gunicorn.conf.py) on a free port, for the
benchmarks that measure what a deployment would do. Its log goes to var/<name>-server.log.

The server runs from a virtualenv of requirements.txt alone, as the production image installs it
(var/production-venv, built on first use and again when requirements.txt or the Python changes; about ten seconds):
the development venv's test tools would be loaded by the server too (DRF imports `requests` and `pygments` whenever
they are installed, about 5 MB in every worker). BENCHMARK_SERVER_VENV=dev serves from the development venv instead.
"""

import hashlib
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent


def production_environ(name: str) -> None:
    """The production settings for a benchmark script `name` (before it sets Django up), with what a local run
    needs: a secret key of its own, local host names, no HTTPS redirect. Values already in the environment win."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "huizhou_cityops.settings.production")
    os.environ.setdefault("SECRET_KEY", f"{name}-benchmark-secret-key")
    os.environ.setdefault("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
    os.environ.setdefault("SECURE_SSL_REDIRECT", "false")


PRODUCTION_VENV = ROOT / "var" / "production-venv"


def production_venv() -> Path:
    """The virtualenv the server runs from: requirements.txt only, (re)built when missing or out of date; the
    development venv when BENCHMARK_SERVER_VENV=dev, or when it cannot be built (said on stderr)."""
    development = Path(sys.executable).parent.parent
    if os.environ.get("BENCHMARK_SERVER_VENV", "").lower() == "dev":
        return development
    requirements = ROOT / "requirements.txt"
    wanted = hashlib.sha256(requirements.read_bytes() + sys.version.encode()).hexdigest()
    stamp = PRODUCTION_VENV / "requirements.sha256"
    if stamp.exists() and stamp.read_text() == wanted:
        return PRODUCTION_VENV
    print("building the production virtualenv (requirements.txt) in var/production-venv …", file=sys.stderr)
    commands = [
        [sys.executable, "-m", "venv", "--clear", str(PRODUCTION_VENV)],
        [str(PRODUCTION_VENV / "bin" / "pip"), "install", "-q", "-r", str(requirements)],
    ]
    for command in commands:
        done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)  # noqa: S603
        if done.returncode:
            reason = done.stderr.strip()[-300:]
            print(f"could not build it ({reason}); serving from the development venv", file=sys.stderr)
            return development
    stamp.write_text(wanted)
    return PRODUCTION_VENV


def start_server(name: str, *, app: str = "huizhou_cityops.asgi", env: dict | None = None, ready: str = "/healthz"):
    """(process, url) once `ready` answers; SystemExit naming the log when it does not within 60 s. `app` and `env`
    serve another ASGI application (benchmarks/bare_drf) with the same gunicorn configuration."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    (ROOT / "var").mkdir(exist_ok=True)
    log_name = f"var/{name}-server.log"
    log = (ROOT / log_name).open("w")
    gunicorn = str(production_venv() / "bin" / "gunicorn")
    env = {**os.environ, "GUNICORN_MAX_REQUESTS": "0", "GUNICORN_GRACEFUL_TIMEOUT": "5", **(env or {})}
    process = subprocess.Popen(  # noqa: S603 - our own gunicorn, fixed arguments
        [gunicorn, "--config", "docker/gunicorn.conf.py", "--bind", f"127.0.0.1:{port}",
         "--worker-tmp-dir", "/tmp", app],  # noqa: S108
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the server did not start; see {log_name}")
        try:
            if httpx.get(f"{url}{ready}", timeout=2).status_code in (200, 401, 503):
                return process, url
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    process.terminate()
    raise SystemExit(f"the server did not answer within 60 s; see {log_name}")


def stop_server(process) -> None:
    """Stops a server start_server started (its whole process group when it does not stop within 15 s)."""
    if process is None:
        return
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, 9)
        process.wait()


def session_cookie(user) -> str:
    """A signed-in session of `user` as the Cookie header's value (Django set up, the server's SECRET_KEY)."""
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY

    session = import_module(settings.SESSION_ENGINE).SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    return f"{settings.SESSION_COOKIE_NAME}={session.session_key}"
