"""A real Celery worker and beat, on real Redis and the test database, fire a warning and an overdue on their own.

Nothing here calls the sweep: beat sends `dispatch.timers_sweep` every second (TIMER_SWEEP_SECONDS=1), the
worker runs it, and the test only watches the database. The two processes use the test's database (under
pytest-xdist, the worker's own) and Redis keys under a prefix of their own, new for every run, so other runs and
other xdist workers sharing the server are neither disturbed nor disturbing, and no task is left from an earlier run.
"""

import os
import signal
import subprocess
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote

import pytest
import redis
from django.conf import settings
from django.db import connection
from django.utils import timezone

from cases.models import Case, CaseEvent, CaseTimer

pytestmark = [pytest.mark.worker, pytest.mark.slow, pytest.mark.django_db(transaction=True)]
CELERY = str(Path(sys.executable).with_name("celery"))
ROOT = Path(settings.BASE_DIR)


def _database_url():
    """The test database (not the configured one): pytest-django renamed it to test_<name>."""
    db = connection.settings_dict
    auth = quote(db["USER"] or "")
    if db["PASSWORD"]:
        auth += ":" + quote(db["PASSWORD"])
    host = db["HOST"] or "127.0.0.1"
    return f"postgis://{auth}@{host}:{db['PORT'] or 5432}/{db['NAME']}"


def _redis_prefix():
    """A key prefix for the Celery processes' broker and cache, private to this run of this test."""
    return f"{settings.TEST_REDIS_PREFIX}-celery-{uuid.uuid4().hex[:12]}"


def _redis_forget(prefix):
    """Delete this run's keys (the queues, the bindings, anything the processes cached)."""
    client = redis.Redis.from_url(settings.REDIS_URL)
    keys = list(client.scan_iter(match=f"{prefix}*", count=1000))
    if keys:
        client.delete(*keys)


def _start(args, tmp_path, name, env):
    log = (tmp_path / f"{name}.log").open("w")
    return subprocess.Popen(
        [CELERY, "-A", "huizhou_cityops", *args],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def _stop(*processes):
    """Warm shutdown (SIGTERM, to all at once), then SIGKILL to any that does not go within 10 s; only the
    processes we started."""
    running = [process for process in processes if process.poll() is None]
    for process in running:
        process.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + 10
    for process in running:
        try:
            process.wait(timeout=max(deadline - time.monotonic(), 0.1))
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=5)


def _running_case(cases):
    """A case in handling on a 1-minute natural-hour limit: warning 3 s from now, deadline 15 s from now."""
    case = cases.to("handling")
    now = timezone.now()
    started = now - timedelta(seconds=45)  # 80 % of 60 s = 48 s after the start; 100 % = 60 s
    Case.objects.filter(pk=case.pk).update(
        stage_started_at=started,
        stage_budget=timedelta(minutes=1),
        stage_clock="natural",
        stage_warn_at=started + timedelta(seconds=48),
        stage_deadline=started + timedelta(seconds=60),
        timer_due_at=started + timedelta(seconds=48),
    )
    return case


def test_worker_and_beat_fire_a_warning_and_an_overdue_on_their_own(cases, tmp_path):
    prefix = _redis_prefix()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "huizhou_cityops.settings.test",
        "DATABASE_URL": _database_url(),
        "REDIS_URL": settings.REDIS_URL,
        "TEST_REDIS_URL": settings.REDIS_URL,
        "TEST_REDIS_PREFIX": prefix,
        "TIMER_SWEEP_SECONDS": "1",
    }
    case = _running_case(cases)
    # The timers worker of scripts/serve.sh: the sweep is routed to the "timers" queue.
    worker = _start(["worker", "-Q", "timers", "--pool", "solo", "--loglevel", "INFO", "--without-gossip",
                     "--without-mingle", "--without-heartbeat"], tmp_path, "worker", env)  # fmt: skip
    beat = _start(
        ["beat", "--loglevel", "INFO", "--schedule", str(tmp_path / "beat-schedule"), "--max-interval", "1"],
        tmp_path,
        "beat",
        env,
    )
    seen = []
    try:
        # A deadline for a broken setup, not a wait: the loop ends as soon as both marks are there. Starting two
        # Celery processes on a busy machine can alone take half a minute, so the deadline is generous.
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and len(seen) < 2:
            seen = list(
                CaseEvent.objects.filter(case=case, action__in=["timer_warning", "timer_overdue"])
                .order_by("id")
                .values_list("action", flat=True)
            )
            assert worker.poll() is None and beat.poll() is None, "a Celery process died"
            time.sleep(0.5)
    finally:
        _stop(beat)
        _stop(worker)
        _redis_forget(prefix)
    logs = "\n".join((tmp_path / f"{name}.log").read_text() for name in ("worker", "beat"))
    assert seen == ["timer_warning", "timer_overdue"], logs[-4000:]
    assert "dispatch.timers_sweep" in logs
    case.refresh_from_db()
    assert (case.status, CaseTimer.objects.get(case_id=case.pk).overdue) == ("handling", True)
