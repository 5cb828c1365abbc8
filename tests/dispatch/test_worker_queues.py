"""Real Celery processes, one worker per queue group and one beat, on real Redis and the test database.

1. An SMS gateway that hangs holds the notify worker, and the timer sweep keeps its period on its own worker.
2. Two notify workers and a slow gateway: every message reaches the gateway once (it counts requests per key).

Periods and time-outs are shortened through the environment, as an operator would set them. The fake gateway is
devtools.fake_sms_gateway on a thread of the test. Redis uses private database numbers.
"""

import os
import time

import pytest
import redis
from celery import Celery
from django.conf import settings
from django.utils import timezone

from devtools.fake_sms_gateway import FakeSmsGateway
from dispatch import workers
from dispatch.models import Channel, OutboxMessage, OutboxState
from tests.dispatch.test_worker import _database_url, _start, _stop

pytestmark = [pytest.mark.worker, pytest.mark.slow, pytest.mark.django_db(transaction=True)]
TIMER_PERIOD = 2
# A broken setup fails after this long; a working one ends as soon as what is awaited happened.
SETUP_DEADLINE = 90
# The Celery processes' key prefix (whatever pytest-xdist worker runs the test), which the sender below shares.
PREFIX = "cityops-test-queues"


def _environment(db_number, gateway, **overrides):
    """A private Redis database (the task-run records these tests read are plain keys, not under the prefix)."""
    base = settings.REDIS_URL.rsplit("/", 1)[0] if settings.REDIS_URL.count("/") > 2 else settings.REDIS_URL
    url = f"{base}/{db_number}"
    redis.Redis.from_url(url).flushdb()  # our private database: no task or record left from an earlier run
    return url, {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "huizhou_cityops.settings.test",
        "DATABASE_URL": _database_url(),
        "REDIS_URL": url,
        "TEST_REDIS_URL": url,
        "TEST_REDIS_PREFIX": PREFIX,
        "SMS_BACKEND": "dispatch.notifications.sms.HttpSmsBackend",
        "SMS_HTTP_URL": gateway.url,
        "NOTIFY_DELIVERY_SECONDS": "1",
        **overrides,
    }


def _worker(tmp_path, env, name, queue):
    """One worker group as scripts/serve.sh starts it: its queue, one prefork child (time limits need prefork)."""
    args = ["worker", "-Q", queue, "-n", f"{name}@%h", "--concurrency", "1", "--loglevel", "INFO",
            "--without-gossip", "--without-mingle", "--without-heartbeat"]  # fmt: skip
    return _start(args, tmp_path, name, env)


def _beat(tmp_path, env):
    args = ["beat", "--loglevel", "INFO", "--schedule", str(tmp_path / "beat-schedule"), "--max-interval", "1"]
    return _start(args, tmp_path, "beat", env)


def _wait(condition, processes, what):
    deadline = time.monotonic() + SETUP_DEADLINE
    while time.monotonic() < deadline:
        assert all(p.poll() is None for p in processes), "a Celery process died"
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"gave up waiting for {what}")


def _ready(tmp_path, *names):
    return all(" ready." in (tmp_path / f"{name}.log").read_text() for name in names)


def _logs(tmp_path):
    return "\n".join(log.read_text()[-3000:] for log in sorted(tmp_path.glob("*.log")))


def _sms(n):
    now = timezone.now()
    return [
        OutboxMessage.objects.create(channel=Channel.SMS, recipient=f"1380013{i:04d}", body="超期", next_attempt_at=now)
        for i in range(n)
    ]


def test_a_hanging_sms_gateway_does_not_delay_the_timer_sweep(tmp_path):
    (row,) = _sms(1)
    # The gateway takes the message and never answers; the read time-out is as long as the hang, so the notify
    # worker's only child is stuck in it for the whole test.
    gateway = FakeSmsGateway(hang=60).start()
    url, env = _environment(12, gateway, TIMER_SWEEP_SECONDS=str(TIMER_PERIOD), SMS_HTTP_TIMEOUT_SECONDS="60")
    runs = workers.broker(url)
    processes = [_worker(tmp_path, env, "timers", "timers"), _worker(tmp_path, env, "notify", "notify")]
    processes.append(_beat(tmp_path, env))
    sweeps = []
    try:
        _wait(lambda: gateway.in_flight == 1, processes, "the notify worker to reach the gateway")
        stuck_since = timezone.now()

        def three_sweeps_while_stuck():
            assert gateway.in_flight == 1 and gateway.receipts == {row.key: 1}, "the notify worker came free"
            run = workers.task_runs(runs).get("dispatch.timers_sweep")
            if run and run["finished_at"] > stuck_since and run["finished_at"] not in sweeps:
                sweeps.append(run["finished_at"])
            return len(sweeps) >= 3

        _wait(three_sweeps_while_stuck, processes, "three timer sweeps")
    finally:
        gateway.stop()
        _stop(*processes)
    assert len(sweeps) >= 3, _logs(tmp_path)
    # Beat sends a sweep every period and the timers worker runs it at once: never a period late.
    gaps = [(b - a).total_seconds() for a, b in zip([stuck_since, *sweeps], sweeps, strict=False)]
    assert max(gaps) <= 2 * TIMER_PERIOD, (gaps, _logs(tmp_path))
    assert OutboxMessage.objects.get(pk=row.pk).attempts == 1  # still the one attempt, held by the hang


def test_two_notify_workers_and_a_slow_gateway_send_every_message_once(tmp_path):
    rows = _sms(6)
    gateway = FakeSmsGateway(delay=0.6).start()
    # A worst-case send is 1 + 2 s: each run claims for about a second (one period) and takes longer than that,
    # so beat's next run goes to the other worker while the first is still sending.
    url, env = _environment(
        11, gateway, SMS_HTTP_CONNECT_TIMEOUT_SECONDS="1", SMS_HTTP_TIMEOUT_SECONDS="2", EMAIL_TIMEOUT_SECONDS="1"
    )
    processes = [_worker(tmp_path, env, f"notify{i}", "notify") for i in (1, 2)]
    processes.append(_beat(tmp_path, env))
    try:
        # Both workers idle, two runs at once: each worker takes one (one message in hand per worker), so the
        # two claim side by side; beat's runs every second do the rest.
        _wait(lambda: _ready(tmp_path, "notify1", "notify2"), processes, "both workers to be ready")
        with Celery(broker=url, broker_transport_options={"global_keyprefix": f"{PREFIX}:celery:"}) as sender:
            for _run in range(2):
                sender.send_task("dispatch.outbox_deliver", queue="notify")
        _wait(lambda: len(gateway.sent) == len(rows), processes, "every message to reach the gateway")
        _wait(
            lambda: not OutboxMessage.objects.exclude(state=OutboxState.SENT).exists(),
            processes,
            "every message to be marked sent",
        )
    finally:
        gateway.stop()
        _stop(*processes)
    logs = _logs(tmp_path)
    assert gateway.receipts == {row.key: 1 for row in rows}, logs  # no key came twice: nothing sent twice
    assert gateway.max_in_flight >= 2, logs  # the two workers did send at the same time
    assert set(OutboxMessage.objects.values_list("state", "attempts")) == {(OutboxState.SENT, 1)}
