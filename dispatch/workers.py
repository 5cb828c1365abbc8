"""What to watch during a shift: the Celery queues' lengths, when each periodic task last finished, the outbox.

Every task run leaves a line in one Redis hash on the broker (`cityops:task-runs`: name → when it finished, how long
it took, its state), written by the worker after the run (celery's task_postrun signal, connected in
DispatchConfig.ready). `workers_status` reads it with the queue lengths and the outbox backlog; `manage.py
queue_status` prints it and /healthz reports it under "workers".
"""

import json
import logging
import time
from datetime import datetime, timedelta

import redis
from django.conf import settings
from django.db.models import Count, Min, Q
from django.utils import timezone

from dispatch.models import OutboxMessage, OutboxState

logger = logging.getLogger(__name__)

RUNS_KEY = "cityops:task-runs"
# kombu's Redis transport keeps a queue's messages of priority p > 0 in a list named queue + SEP + p.
PRIORITY_SEP = "\x06\x16"
PRIORITY_STEPS = (3, 6, 9)
_started = {}


_clients = {}


def broker(url: str | None = None) -> redis.Redis:
    """A client of the Celery broker (settings.CELERY_BROKER_URL), with short time-outs; one per URL and process
    (redis-py's pool notices a fork and opens new connections in the child)."""
    url = url or settings.CELERY_BROKER_URL
    if url not in _clients:
        _clients[url] = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
    return _clients[url]


def task_started(task_id) -> None:
    """Remember when a task began (in the worker child that runs it)."""
    _started[task_id] = time.monotonic()


def task_finished(*, task_id, name: str, state: str, client=None) -> None:
    """Record that `name` finished now in `state`; never raises (a broken record must not fail the task)."""
    began = _started.pop(task_id, None)
    line = {
        "finished_at": timezone.now().isoformat(),
        "seconds": round(time.monotonic() - began, 3) if began is not None else None,
        "state": state,
    }
    try:
        (client or broker()).hset(RUNS_KEY, name, json.dumps(line))
    except Exception:  # noqa: BLE001 - the run happened; only its record is lost
        logger.warning("could not record the run of %s", name, exc_info=True)


def task_runs(client=None) -> dict:
    """name → {"finished_at": datetime, "seconds": float, "state": str} of each task's last recorded run."""
    raw = (client or broker()).hgetall(RUNS_KEY)
    runs = {}
    for name, value in raw.items():
        line = json.loads(value)
        line["finished_at"] = datetime.fromisoformat(line["finished_at"])
        runs[name.decode()] = line
    return runs


def queue_depths(client=None) -> dict:
    """queue → messages waiting in it (not those a worker holds), for each queue of settings.WORKER_QUEUES."""
    client = client or broker()
    # Kombu puts the transport's key prefix (when one is set) in front of every key, the queues' lists included.
    prefix = (getattr(settings, "CELERY_BROKER_TRANSPORT_OPTIONS", None) or {}).get("global_keyprefix", "")
    with client.pipeline(transaction=False) as pipe:
        for queue in settings.WORKER_QUEUES:
            pipe.llen(f"{prefix}{queue}")
            for step in PRIORITY_STEPS:
                pipe.llen(f"{prefix}{queue}{PRIORITY_SEP}{step}")
        lengths = pipe.execute()
    per_queue = 1 + len(PRIORITY_STEPS)
    return {q: sum(lengths[i * per_queue : (i + 1) * per_queue]) for i, q in enumerate(settings.WORKER_QUEUES)}


def outbox_backlog(*, now=None) -> dict:
    """Email/SMS due and not yet sent, how late the oldest of them is (seconds), and how many failed for good."""
    now = now or timezone.now()
    due = Q(state=OutboxState.PENDING, next_attempt_at__lte=now)
    row = OutboxMessage.objects.aggregate(
        due=Count("id", filter=due),
        oldest=Min("next_attempt_at", filter=due),
        failed=Count("id", filter=Q(state=OutboxState.FAILED)),
    )
    oldest = row["oldest"]
    return {
        "due": row["due"],
        "oldest_due_seconds": round((now - oldest).total_seconds(), 1) if oldest else 0,
        "failed": row["failed"],
    }


def _period(entry) -> float | None:
    schedule = entry.get("schedule")
    if isinstance(schedule, int | float):
        return float(schedule)
    if isinstance(schedule, timedelta):
        return schedule.total_seconds()
    return None


def periodic_tasks(*, runs: dict, now) -> list[dict]:
    """Each beat entry: its task, period, queue, last run, and whether it is late (nothing for two periods)."""
    rows = []
    for entry in settings.CELERY_BEAT_SCHEDULE.values():
        name, period = entry["task"], _period(entry)
        run = runs.get(name)
        age = (now - run["finished_at"]).total_seconds() if run else None
        rows.append(
            {
                "task": name,
                "period": period,
                "last_finished_at": run["finished_at"] if run else None,
                "age_seconds": round(age, 1) if age is not None else None,
                "seconds": run["seconds"] if run else None,
                "state": run["state"] if run else "",
                "late": period is not None and (age is None or age > 2 * period),
            }
        )
    return rows


def workers_status(*, now=None, client=None) -> dict:
    """Queue lengths, the periodic tasks' last runs, and the outbox backlog, as one dict."""
    now = now or timezone.now()
    client = client or broker()
    return {
        "queues": queue_depths(client),
        "periodic": periodic_tasks(runs=task_runs(client), now=now),
        "outbox": outbox_backlog(now=now),
    }


def workers_health() -> dict:
    """The /healthz line: ok unless a periodic task has not finished a run for two of its periods."""
    status = workers_status()
    late = [row["task"] for row in status["periodic"] if row["late"]]
    return {
        "ok": not late,
        "status": "late: " + ", ".join(late) if late else "on time",
        "queues": status["queues"],
        "outbox_due": status["outbox"]["due"],
        "outbox_oldest_due_seconds": status["outbox"]["oldest_due_seconds"],
    }


def on_task_prerun(task_id=None, **_kwargs) -> None:
    """celery's task_prerun receiver."""
    task_started(task_id)


def on_task_postrun(task_id=None, task=None, state=None, **_kwargs) -> None:
    """celery's task_postrun receiver: the run's line in the hash."""
    if task is not None:
        task_finished(task_id=task_id, name=task.name, state=state or "")
