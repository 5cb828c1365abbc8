"""GET /healthz: are the database and Redis answering? 200 when both do, 503 otherwise."""

import redis
from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache


def _database():
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT postgis_lib_version()")
            return {"ok": True, "postgis": cursor.fetchone()[0]}
    except Exception as exc:  # any failure means "not answering"; the message tells why
        return {"ok": False, "error": str(exc).strip()[:200]}


def _redis():
    try:
        client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2, socket_timeout=2)
        client.ping()
        return {"ok": True}
    except Exception as exc:
        return {"ok": False, "error": str(exc)[:200]}


# Later checks (e.g. the working-time calendar's holiday coverage) register here and appear in the answer.
EXTRA_CHECKS = {}


@never_cache
def healthz(request):
    checks = {"database": _database(), "redis": _redis()}
    body = dict(checks)
    for name, check in EXTRA_CHECKS.items():
        body[name] = check()
    healthy = all(c["ok"] for c in checks.values())
    body["status"] = "ok" if healthy else "unavailable"
    return JsonResponse(body, status=200 if healthy else 503)
