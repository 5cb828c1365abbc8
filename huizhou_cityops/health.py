"""GET /healthz: are the database and Redis answering? 200 when both do, 503 otherwise.

Each component is reported in words ("answering", "not answering"); what went wrong goes to the server's log, not
into the answer, which anyone who can reach the URL can read (it may name hosts, ports or users).

A load balancer asks often, and under load most of all: the answer must stay cheap. The database and Redis are
asked on every request (one query; a PING on a kept connection); the other checks (the workers' queues and the
outbox, the calendar's coverage) are answered from this process's memory for HEALTHZ_DETAIL_SECONDS.
"""

import logging
import threading
import time

import redis
from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache

logger = logging.getLogger(__name__)

ANSWERING = "answering"
NOT_ANSWERING = "not answering"


def _database():
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT postgis_lib_version()")
            return {"ok": True, "status": ANSWERING, "postgis": cursor.fetchone()[0]}
    except Exception:  # any failure means "not answering"; the log keeps why
        logger.warning("health check: the database is not answering", exc_info=True)
        return {"ok": False, "status": NOT_ANSWERING}


_clients = {}


def _redis_client(url):
    """One client per URL and process, so a PING reuses its connection (redis-py's pool reconnects after a fork)."""
    if url not in _clients:
        _clients[url] = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
    return _clients[url]


def _redis():
    try:
        _redis_client(settings.REDIS_URL).ping()
        return {"ok": True, "status": ANSWERING}
    except Exception:
        logger.warning("health check: Redis is not answering", exc_info=True)
        return {"ok": False, "status": NOT_ANSWERING}


def _extra(name, check):
    try:
        return check()
    except Exception:  # a broken extra check is reported as such; it must not turn /healthz into a 500
        logger.warning("health check %s failed", name, exc_info=True)
        return {"ok": False, "status": "check failed"}


# Later checks (e.g. the working-time calendar's holiday coverage) register here and appear in the answer.
EXTRA_CHECKS = {}
# The names of the extra checks that cost queries or round trips, answered from memory for HEALTHZ_DETAIL_SECONDS.
CACHED_CHECKS = set()
_answers = {}  # name -> (monotonic time, answer)
_answers_lock = threading.Lock()


def _extra_answer(name, check):
    seconds = settings.HEALTHZ_DETAIL_SECONDS
    if name not in CACHED_CHECKS or seconds <= 0:
        return _extra(name, check)
    with _answers_lock:
        kept = _answers.get(name)
    if kept is not None and time.monotonic() - kept[0] < seconds:
        return kept[1]
    answer = _extra(name, check)
    with _answers_lock:
        _answers[name] = (time.monotonic(), answer)
    return answer


@never_cache
def healthz(request):
    checks = {"database": _database(), "redis": _redis()}
    body = dict(checks)
    for name, check in EXTRA_CHECKS.items():
        body[name] = _extra_answer(name, check)
    healthy = all(c["ok"] for c in checks.values())
    body["status"] = "ok" if healthy else "unavailable"
    return JsonResponse(body, status=200 if healthy else 503)
