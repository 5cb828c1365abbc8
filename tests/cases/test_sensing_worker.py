"""A run of the sensing step killed in the middle of a batch loses nothing and does nothing twice.

The killed run is a real process (`manage.py shell -c`) that SIGKILLs itself while the second problem's case is
being written. Then a real Celery worker on the `followup` queue and beat (the sensing sweep every second) process
what is left: every detection once, one case per real problem.
"""

import signal
import subprocess
import sys
import time

import pytest
from django.conf import settings
from django.core.cache import cache

from cases.models import Case, SensingEvent, Source
from tests.dispatch.test_followup_worker import _env
from tests.dispatch.test_worker import ROOT, _redis_forget, _redis_prefix, _start, _stop
from tests.factories.sensing import detection, sensing_post, sensing_source

pytestmark = [pytest.mark.worker, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

# About 300 m apart at Huizhou's latitude: three real problems, each seen twice.
FAR = 0.003

KILLED_RUN = """
import os, signal
from cases.services import sensing
from cases.services.sensing_queue import sensing_process

real = sensing.sensing_case_create
made = []

def create(**kwargs):
    if made:
        os.kill(os.getpid(), signal.SIGKILL)  # dies with the second case's transaction open
    made.append(real(**kwargs))
    return made[-1]

sensing.sensing_case_create = create
sensing_process()
"""


def test_a_run_killed_midway_is_finished_by_the_worker_and_nothing_is_done_twice(cases, personas, tmp_path):
    cache.clear()
    _source, key = sensing_source(owner=personas["handler_department"])
    for n in range(3):
        body = detection(event_id=f"w{n}", lon=cases.lon + n * FAR, lat=cases.lat)
        assert sensing_post(key, body).status_code == 202
        assert sensing_post(key, {**body, "event_id": f"w{n}-again"}).status_code == 202
    prefix = _redis_prefix()
    env = {**_env(prefix), "SENSING_KICK": "1", "SENSING_SWEEP_SECONDS": "1"}
    killed = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", KILLED_RUN], cwd=ROOT, env=env, capture_output=True, timeout=120
    )
    assert killed.returncode == -signal.SIGKILL, killed.stderr.decode()[-3000:]
    assert SensingEvent.objects.filter(outcome="received").count() == 4  # the first problem's two are done
    assert Case.objects.filter(source=Source.SENSOR).count() == 1

    worker = _start(["worker", "--pool", "solo", "--loglevel", "INFO", "-Q", "followup", "--without-gossip",
                     "--without-mingle", "--without-heartbeat"], tmp_path, "worker", env)  # fmt: skip
    beat = _start(
        ["beat", "--loglevel", "INFO", "--schedule", str(tmp_path / "beat-schedule"), "--max-interval", "1"],
        tmp_path,
        "beat",
        env,
    )
    try:
        # A deadline for a broken setup, not a wait: the loop ends once no detection is left received.
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and SensingEvent.objects.filter(outcome="received").exists():
            assert worker.poll() is None and beat.poll() is None, "a Celery process died"
            time.sleep(0.2)
    finally:
        _stop(beat, worker)
        _redis_forget(prefix)
    logs = "\n".join((tmp_path / f"{name}.log").read_text() for name in ("worker", "beat"))
    assert "followup.sensing_process" in logs, logs[-4000:]
    assert not SensingEvent.objects.filter(outcome="received").exists(), logs[-4000:]
    assert Case.objects.filter(source=Source.SENSOR).count() == 3
    for n in range(3):
        pair = SensingEvent.objects.filter(external_id__in=[f"w{n}", f"w{n}-again"])
        assert sorted(pair.values_list("outcome", flat=True)) == ["created", "merged"]
        assert len({e.case_id for e in pair}) == 1
    # Each case reported and accepted once by the platform (the repeat adds its one timeline entry).
    for case in Case.objects.filter(source=Source.SENSOR):
        actions = list(case.events.values_list("action", flat=True).order_by("id"))
        assert actions == ["report", "accept", "sensing_evidence"]
    assert settings.SENSING_KICK is False  # this process only stored; the worker did the rest
