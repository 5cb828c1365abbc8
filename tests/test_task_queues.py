"""Every Celery task has its queue by purpose and time limits that fit its period; the shift's status reads them."""

import json
from datetime import timedelta
from fnmatch import fnmatch

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.utils import timezone

from dispatch import workers
from dispatch.models import Channel, OutboxMessage, OutboxState
from huizhou_cityops.celery import app

QUEUE_OF = {
    "dispatch.timers_sweep": "timers",
    "dispatch.orders_sweep": "timers",
    "dispatch.whistles_sweep": "timers",
    "dispatch.outbox_deliver": "notify",
    "dispatch.export_run": "reports",
    "dispatch.exports_sweep": "reports",
    "assessment.freeze_due": "reports",
    "assessment.rollup_days": "reports",
    "dispatch.queue_counts_compact": "followup",
    "dispatch.queue_counts_recount": "reports",
    "followup.route_case": "followup",  # work a transition causes finds its queue by name
    "followup.sensing_process": "followup",
    "notify.fan_out": "notify",
}


def queue(name):
    return app.amqp.router.route({}, name)["queue"].name


def our_tasks():
    app.loader.import_default_modules()
    return {name: task for name, task in app.tasks.items() if not name.startswith("celery.")}


@pytest.mark.parametrize(("name", "expected"), QUEUE_OF.items())
def test_each_task_goes_to_the_queue_of_its_purpose(name, expected):
    assert queue(name) == expected


def test_every_task_is_routed_on_purpose_to_a_queue_a_worker_reads():
    """No task lands on the default queue by accident: each matches a route (by name or pattern)."""
    unrouted = [
        name for name in our_tasks() if not any(fnmatch(name, pattern) for pattern in settings.CELERY_TASK_ROUTES)
    ]
    assert unrouted == []
    assert {queue(name) for name in our_tasks()} <= set(settings.WORKER_QUEUES)
    assert set(QUEUE_OF.values()) == set(settings.WORKER_QUEUES)


def test_every_task_has_a_soft_limit_below_its_hard_one():
    for name, task in our_tasks().items():
        soft = task.soft_time_limit or app.conf.task_soft_time_limit
        hard = task.time_limit or app.conf.task_time_limit
        assert 0 < soft < hard, name


def test_the_sweeps_on_the_timers_worker_together_fit_in_one_timer_period():
    """The worker runs one at a time: if each ran to its hard limit, the next stage sweep is still at most a period
    late; a beat message that waited longer than its period is dropped (expires), so sweeps never pile up."""
    tasks = our_tasks()
    on_timers = [name for name in tasks if queue(name) == "timers"]
    assert sum(tasks[name].time_limit for name in on_timers) <= settings.TIMER_SWEEP_SECONDS
    for entry in settings.CELERY_BEAT_SCHEDULE.values():
        assert entry["options"]["expires"] <= entry["schedule"], entry["task"]


def test_a_sensing_run_hands_over_before_its_soft_limit_and_the_sweep_never_piles_up():
    task = our_tasks()["followup.sensing_process"]
    soft = task.soft_time_limit or app.conf.task_soft_time_limit
    assert soft > settings.SENSING_PROCESS_BUDGET_SECONDS
    entry = settings.CELERY_BEAT_SCHEDULE["sensing-process"]
    assert (entry["task"], entry["options"]["queue"]) == ("followup.sensing_process", "followup")


def test_an_outbox_run_claims_for_one_period_and_its_lease_outlives_it():
    soft, hard = settings.TASK_TIME_LIMITS["dispatch.outbox_deliver"]
    assert soft - settings.NOTIFY_SEND_SECONDS == settings.NOTIFY_DELIVERY_SECONDS
    assert hard - soft == settings.NOTIFY_SEND_SECONDS  # one more worst-case send to clean up
    assert (
        max(settings.SMS_HTTP_CONNECT_TIMEOUT_SECONDS + settings.SMS_HTTP_TIMEOUT_SECONDS, 2 * settings.EMAIL_TIMEOUT)
        == settings.NOTIFY_SEND_SECONDS
    )


@pytest.fixture
def runs():
    client = workers.broker()
    client.delete(workers.RUNS_KEY)
    yield client
    client.delete(workers.RUNS_KEY)


@pytest.mark.django_db
def test_queue_status_prints_queue_lengths_last_runs_and_the_outbox_backlog(runs, capsys):
    now = timezone.now()
    for minutes in (3, 1):
        OutboxMessage.objects.create(
            channel=Channel.SMS, recipient="138", body="x", next_attempt_at=now - timedelta(minutes=minutes)
        )
    OutboxMessage.objects.create(
        channel=Channel.SMS, recipient="139", body="x", next_attempt_at=now, state=OutboxState.FAILED
    )
    workers.task_started("t1")
    workers.task_finished(task_id="t1", name="dispatch.timers_sweep", state="SUCCESS")
    call_command("queue_status", "--json")
    status = json.loads(capsys.readouterr().out)
    assert set(status["queues"]) == set(settings.WORKER_QUEUES)
    assert status["outbox"]["due"] == 2 and status["outbox"]["failed"] == 1
    assert 180 <= status["outbox"]["oldest_due_seconds"] < 240
    periodic = {row["task"]: row for row in status["periodic"]}
    assert periodic["dispatch.timers_sweep"]["state"] == "SUCCESS" and not periodic["dispatch.timers_sweep"]["late"]
    assert periodic["dispatch.orders_sweep"]["late"]  # never ran
    assert status["sensing"] == {"received": 0, "oldest_seconds": 0}
    call_command("queue_status")
    table = capsys.readouterr().out
    assert "timers" in table and "dispatch.timers_sweep" in table and "2" in table
    assert "sensing: 0 detections received" in table


@pytest.mark.django_db
def test_healthz_names_the_sweeps_that_are_late_without_failing_the_site(runs, client):
    for entry in settings.CELERY_BEAT_SCHEDULE.values():
        workers.task_finished(task_id=None, name=entry["task"], state="SUCCESS")
    body = client.get("/healthz").json()
    assert body["status"] == "ok" and body["workers"]["ok"] and body["workers"]["status"] == "on time"
    runs.hdel(workers.RUNS_KEY, "dispatch.timers_sweep")
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["workers"] == {
        "ok": False,
        "status": "late: dispatch.timers_sweep",
        "queues": dict.fromkeys(settings.WORKER_QUEUES, 0),
        "outbox_due": 0,
        "outbox_oldest_due_seconds": 0,
    }


@pytest.mark.django_db
def test_without_the_broker_queue_status_says_so_and_healthz_still_answers(settings, client):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"
    with pytest.raises(CommandError, match="not answering"):
        call_command("queue_status")
    assert client.get("/healthz").json()["workers"] == {"ok": False, "status": "check failed"}


def test_queue_depths_count_the_messages_under_the_brokers_key_prefix(settings):
    # The tests' broker has a prefix of their own (settings/test.py): the lists of that prefix are the queues.
    key = settings.CELERY_BROKER_TRANSPORT_OPTIONS["global_keyprefix"] + settings.FOLLOWUP_QUEUE
    client = workers.broker()
    client.delete(key)
    try:
        before = workers.queue_depths()[settings.FOLLOWUP_QUEUE]
        app.send_task("followup.run", kwargs={"ids": []}, queue=settings.FOLLOWUP_QUEUE)
        assert (before, client.llen(key), workers.queue_depths()[settings.FOLLOWUP_QUEUE]) == (0, 1, 1)
    finally:
        client.delete(key)
