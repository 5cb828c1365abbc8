"""What every web worker would otherwise build on its first requests, built once in gunicorn's master before the
workers are forked (docker/gunicorn.conf.py, with the application preloaded): the URL configuration, the
translation catalogues, the in-memory point index of the grids and the working-time calendar.

A worker then starts with them (shared copy-on-write, frozen out of the collector's reach by the pre-fork hook) and
its first reports cost what its later ones do: without this each new worker, and each one recycled after
GUNICORN_MAX_REQUESTS, spent a few hundred milliseconds of CPU on them while answering its first requests. Each is
kept fresh as before: the point index re-reads its stamp, the calendar its version, a few seconds after the fork.

Nothing opened here survives: the database and cache connections are closed before the fork, so no socket is
shared between processes. A warm-up that fails (no database yet) is logged and changes nothing: the workers then
build what they need as before.
"""

import logging
import time
from datetime import timedelta

logger = logging.getLogger(__name__)


def warm_up() -> bool:
    """Build the per-process state in this (the master) process; True when all of it was built."""
    from django.conf import settings
    from django.core.cache import caches
    from django.db import connections
    from django.urls import get_resolver
    from django.utils import timezone, translation

    started = time.perf_counter()
    try:
        get_resolver().url_patterns  # noqa: B018 - imports every view module once
        for code, _name in settings.LANGUAGES:
            with translation.override(code):
                translation.gettext("Cases")
        from cases.worktime.store import work_calendar
        from grids.point_index import region_index_current

        region_index_current()
        calendar = work_calendar()
        # The calendar's running sums up to a month ahead (the deadlines of today's cases reach a few days).
        now = timezone.now()
        calendar.working_time_between(now, now + timedelta(days=31))
        logger.info("warmed up before the fork in %.0f ms", (time.perf_counter() - started) * 1000)
        return True
    except Exception:  # noqa: BLE001 - a worker builds what is missing on its own, as without the warm-up
        logger.warning("warm-up before the fork failed; the workers build their state themselves", exc_info=True)
        return False
    finally:
        connections.close_all()
        for cache in caches.all(initialized_only=True):
            cache.close()
