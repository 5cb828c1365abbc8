"""GET /healthz: are the database and Redis answering? 200 when both do, 503 otherwise.

Each component is reported in words ("answering", "not answering"); what went wrong goes to the server's log, not
into the answer, which anyone who can reach the URL can read (it may name hosts, ports or users).
"""

import logging

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


def _redis():
    try:
        client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2, socket_timeout=2)
        client.ping()
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


@never_cache
def healthz(request):
    checks = {"database": _database(), "redis": _redis()}
    body = dict(checks)
    for name, check in EXTRA_CHECKS.items():
        body[name] = _extra(name, check)
    healthy = all(c["ok"] for c in checks.values())
    body["status"] = "ok" if healthy else "unavailable"
    return JsonResponse(body, status=200 if healthy else 503)
