"""A web process killed right after its commit loses nothing: a real worker and the repair sweep do the rest once.

The web side is a real process (`manage.py shell -c`) that registers a case whose responsibility rule dispatches
automatically, and SIGKILLs itself in the first after-commit callback, before the fast path could hand the
follow-ups to the broker. Then a real Celery worker on the `followup` queue and beat (the repair sweep every
second) carry out the routing, the auto-dispatch and the notifications: each exactly once.
"""

import os
import signal
import subprocess
import sys
import time

import pytest
from django.conf import settings

from cases.models import Case, CaseEvent, Status
from dispatch.models import CaseRouting, FollowUp, Notification
from tests.dispatch.test_routing import make_rule
from tests.dispatch.test_worker import ROOT, _database_url, _redis_forget, _redis_prefix, _start, _stop

pytestmark = [pytest.mark.worker, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

WEB_SIDE = """
import os, signal
from django.db import transaction
from accounts.models import User
from cases.services.transitions import case_transition

with transaction.atomic():
    # Registered first, so it runs first at commit: the process dies before any other after-commit work.
    transaction.on_commit(lambda: os.kill(os.getpid(), signal.SIGKILL))
    case_transition(case_id={case}, actor=User.objects.get(pk={actor}), action="register", note="",
                    params={{"filing_condition": {condition}, "urgency": "normal"}})
"""


def _env(prefix):
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "huizhou_cityops.settings.test",
        "DATABASE_URL": _database_url(),
        "REDIS_URL": settings.REDIS_URL,
        "TEST_REDIS_URL": settings.REDIS_URL,
        "TEST_REDIS_PREFIX": prefix,
        "FOLLOWUP_INLINE": "0",  # the fast path goes through the broker, as in production
        "FOLLOWUP_GRACE_SECONDS": "0",  # the repair sweep may take a row as soon as it exists
        "FOLLOWUP_REPAIR_SECONDS": "1",
    }


def test_a_web_process_killed_after_its_commit_loses_no_follow_up_and_none_runs_twice(cases, personas, tmp_path):
    make_rule("E0102", auto=True)
    case = cases.to("to_register")
    prefix = _redis_prefix()  # keys of its own: no task left from an earlier run, none seen by another
    env = _env(prefix)
    code = WEB_SIDE.format(case=case.pk, actor=personas["shift_lead"].pk, condition=cases.condition.pk)
    web = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code], cwd=ROOT, env=env, capture_output=True, timeout=120
    )
    assert web.returncode == -signal.SIGKILL, web.stderr.decode()[-3000:]
    register = CaseEvent.objects.get(case=case, action="register")  # committed
    rows = FollowUp.objects.filter(event_id=register.pk)
    assert sorted(rows.values_list("kind", "state", "attempts")) == [
        ("notify_transition", "pending", 0),
        ("route", "pending", 0),
    ]
    assert not CaseRouting.objects.filter(case=case).exists()

    worker = _start(["worker", "--pool", "solo", "--loglevel", "INFO", "-Q", "followup", "--without-gossip",
                     "--without-mingle", "--without-heartbeat"], tmp_path, "worker", env)  # fmt: skip
    beat = _start(
        ["beat", "--loglevel", "INFO", "--schedule", str(tmp_path / "beat-schedule"), "--max-interval", "1"],
        tmp_path,
        "beat",
        env,
    )
    try:
        # A deadline for a broken setup, not a wait: the loop ends once every follow-up of the case is done.
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            pending = FollowUp.objects.filter(case_id=case.pk).exclude(state="done")
            if CaseEvent.objects.filter(case=case, action="dispatch").exists() and not pending.exists():
                break
            assert worker.poll() is None and beat.poll() is None, "a Celery process died"
            time.sleep(0.2)
    finally:
        _stop(beat, worker)
        _redis_forget(prefix)
    logs = "\n".join((tmp_path / f"{name}.log").read_text() for name in ("worker", "beat"))
    assert "followup.repair" in logs, logs[-4000:]
    dispatched = CaseEvent.objects.filter(case=case, action="dispatch")
    assert dispatched.count() == 1, logs[-4000:]
    routing = CaseRouting.objects.get(case=case)
    assert (routing.source_event_id, routing.auto_dispatched) == (register.pk, True)
    assert Case.objects.get(pk=case.pk).status == Status.HANDLING
    # Every follow-up of both events done, each in one attempt; the department told once.
    rows = FollowUp.objects.filter(event_id__in=[register.pk, dispatched.get().pk])
    assert set(rows.values_list("state", "attempts")) == {("done", 1)}
    assert sorted(rows.values_list("kind", flat=True)) == [
        "notify_assist",
        "notify_transition",
        "notify_transition",
        "route",
    ]
    told = Notification.objects.filter(event=dispatched.get())
    assert told.count() == 1 and told.get().user == personas["street_handler"]
