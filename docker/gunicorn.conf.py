"""Gunicorn settings for the web container; every number can be changed through the environment."""

import contextlib
import ctypes
import ctypes.util
import gc
import os


def _int(name, default):
    return int(os.environ.get(name) or default)


# Inside the container; docker-compose.yml decides which host address publishes the port.
bind = "0.0.0.0:8000"  # noqa: S104

# Uvicorn workers serving huizhou_cityops.asgi: an open live stream (/live/events/) waits on the event loop and
# holds neither a worker nor a thread; ordinary views run on a thread of their own per request. A worker is one
# process (one core's worth of Python): 2 x CPUs + 1, capped so memory stays bounded (every worker loads Django
# and GDAL, ~100 MB) on a large host the container shares with others. `make run` serves the same way.
worker_class = "huizhou_cityops.server.CityOpsWorker"
workers = _int("GUNICORN_WORKERS", min(2 * len(os.sched_getaffinity(0)) + 1, 8))
# A worker whose event loop does not answer for this long is killed and replaced (a stream is not a slow request:
# it waits on the loop, which keeps answering).
timeout = _int("GUNICORN_TIMEOUT", 60)
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 30)
# Idle keep-alive connections are closed after this many seconds.
keepalive = _int("GUNICORN_KEEPALIVE", 5)
# Recycle workers now and then so a slow leak cannot grow without bound; jitter avoids all restarting at once.
# The screens of a recycled worker reconnect to another and resume at their Last-Event-ID.
max_requests = _int("GUNICORN_MAX_REQUESTS", 1000)
max_requests_jitter = _int("GUNICORN_MAX_REQUESTS_JITTER", 100)
# The application is loaded once, in the master, before the workers are forked: they share its ~100 MB of modules
# copy-on-write, so each worker's own memory (USS, PSS) is what its requests add (benchmarks/worker_memory.py).
# New code needs a restart of the whole server (a container's restart), not a HUP. GUNICORN_PRELOAD=0 turns it off.
# Nothing opens a database or Redis connection at import, so no socket is shared across the fork.
preload_app = os.environ.get("GUNICORN_PRELOAD", "1").lower() in ("1", "true", "yes")


# glibc gives each thread that allocates its own malloc arena (up to 8 per core), and every request's view runs on a
# thread of its own: the memory a big answer freed in one arena is not reused by the next request's thread, so a
# worker's peak grows by a whole request's worth per arena. One arena serves one process's Python (which holds the
# GIL anyway): every thread then reuses the heap the master left and the others freed, instead of a second arena
# of its own (about 5 MB per worker at city scale; the workers' CPU the same). Set here, in the master before any
# thread or fork, it holds in every worker; GUNICORN_MALLOC_ARENAS=0 keeps glibc's default (MALLOC_ARENA_MAX in the
# environment wins over both).
M_ARENA_MAX = -8  # glibc's mallopt parameter
malloc_arenas = _int("GUNICORN_MALLOC_ARENAS", 1)
if malloc_arenas and not os.environ.get("MALLOC_ARENA_MAX"):
    # Not glibc (no mallopt): its allocator has no per-thread arenas to bound.
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(ctypes.util.find_library("c")).mallopt(M_ARENA_MAX, malloc_arenas)


def when_ready(server):
    # Before the first worker is forked: what each worker would build on its first requests (URLs, translations,
    # the point index, the working-time calendar), built once here and shared (huizhou_cityops/warmup.py).
    if preload_app:
        from huizhou_cityops.warmup import warm_up

        warm_up()
        # What the warm-up freed (the rows it read, its intermediate lists) goes back to the system before the fork:
        # free heap pages would otherwise be copied into every worker's memory (about 3 MB each at city scale).
        gc.collect()
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(ctypes.util.find_library("c")).malloc_trim(0)


def pre_fork(server, worker):
    # Objects loaded before the fork stay out of the collector's reach, so its passes do not write to (and copy)
    # the shared pages.
    if preload_app:
        gc.freeze()


# The heartbeat file on tmpfs: on the container's overlay filesystem a slow write can get workers killed.
worker_tmp_dir = "/dev/shm"  # noqa: S108

# Logs go to stdout/stderr, where `docker compose logs` reads them.
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
# The client as the reverse proxy saw it, then the usual combined format and the time taken in ms (gunicorn's
# format; uvicorn workers write their own access lines to the same log).
access_log_format = '%({x-forwarded-for}i)s %(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" %(M)sms'


def post_worker_init(worker):
    # When a request ends with the worker's memory more than 1 MB larger than after the last trim, the requests'
    # reference cycles are collected and the heap's free pages go back to the system (huizhou_cityops.malloctrim);
    # GUNICORN_TRIM_MB=0 turns it off.
    from huizhou_cityops.malloctrim import trim_after_requests

    trim_after_requests(_int("GUNICORN_TRIM_MB", 1))
