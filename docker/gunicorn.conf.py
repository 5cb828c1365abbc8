"""Gunicorn settings for the web container; every number can be changed through the environment."""

import os


def _int(name, default):
    return int(os.environ.get(name) or default)


# Inside the container; docker-compose.yml decides which host address publishes the port.
bind = "0.0.0.0:8000"  # noqa: S104

# Sync workers: each request holds one process. 2 x CPUs + 1 is Gunicorn's rule of thumb; the cap keeps memory
# bounded (every worker loads Django and GDAL, ~100 MB) on a large host the container shares with others.
workers = _int("GUNICORN_WORKERS", min(2 * len(os.sched_getaffinity(0)) + 1, 8))
threads = _int("GUNICORN_THREADS", 1)
# A request slower than this is killed and logged: lookups and lists must stay well below it.
timeout = _int("GUNICORN_TIMEOUT", 60)
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 30)
# Only the threaded worker (GUNICORN_THREADS > 1) keeps connections alive; sync workers close after each request.
keepalive = _int("GUNICORN_KEEPALIVE", 5)
# Recycle workers now and then so a slow leak cannot grow without bound; jitter avoids all restarting at once.
max_requests = _int("GUNICORN_MAX_REQUESTS", 1000)
max_requests_jitter = _int("GUNICORN_MAX_REQUESTS_JITTER", 100)
# The heartbeat file on tmpfs: on the container's overlay filesystem a slow write can get workers killed.
worker_tmp_dir = "/dev/shm"  # noqa: S108

# Logs go to stdout/stderr, where `docker compose logs` reads them.
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
# The client as the reverse proxy saw it, then the usual combined format and the time taken in ms.
access_log_format = '%({x-forwarded-for}i)s %(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" %(M)sms'
