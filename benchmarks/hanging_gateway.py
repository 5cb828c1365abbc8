"""Queues benchmark: how late does the timer sweep run while the SMS gateway hangs?

Usage: .venv/bin/python benchmarks/hanging_gateway.py [--seconds 30] [--period 2] [--messages 20] [--redis-db 15]
Uses the configured database (DATABASE_URL) and the Redis server of REDIS_URL with its own database number
(`--redis-db`, emptied before and after each layout). It writes `--messages` SMS rows into the outbox (keys
`bench:…`, deleted at the end), points the HTTP SMS backend at devtools.fake_sms_gateway (which takes every
message and never answers), and runs real Celery processes for `--seconds` in two layouts:

- split: the layout of scripts/serve.sh — a timers worker (1 process) and a notify worker (3), one beat;
- single: one worker reading every queue with 2 processes (the former single-queue set-up), one beat.

It prints, per layout, the gaps between finished timer sweeps (beat sends one every `--period` seconds) and how
many requests the gateway received.
"""

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "huizhou_cityops.settings.local")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.utils import timezone  # noqa: E402

from devtools.fake_sms_gateway import FakeSmsGateway  # noqa: E402
from dispatch import workers  # noqa: E402
from dispatch.models import Channel, OutboxMessage  # noqa: E402

CELERY = str(Path(sys.executable).with_name("celery"))
LAYOUTS = {
    "split": [("timers", "timers", 1), ("notify", "notify", 3)],
    "single": [("all", ",".join(("timers", "notify", "followup", "reports")), 2)],
}


def start(args, log, env):
    # Our own celery executable, with arguments written here.
    return subprocess.Popen(  # noqa: S603
        [CELERY, "-A", "huizhou_cityops", *args], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        start_new_session=True,
    )  # fmt: skip


def stop(processes):
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + 15
    for process in processes:
        try:
            process.wait(timeout=max(deadline - time.monotonic(), 0.1))
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def run(layout, *, seconds, period, messages, workdir, redis_url):
    client = workers.broker(redis_url)
    client.flushdb()
    OutboxMessage.objects.filter(key__startswith="bench:").delete()
    now = timezone.now()
    OutboxMessage.objects.bulk_create(
        OutboxMessage(channel=Channel.SMS, key=f"bench:{layout}:{i}", recipient=f"1390000{i:04d}", body="bench",
                      next_attempt_at=now)
        for i in range(messages)
    )  # fmt: skip
    gateway = FakeSmsGateway(hang=3600).start()
    env = {
        **os.environ,
        "REDIS_URL": redis_url,
        "TIMER_SWEEP_SECONDS": str(period),
        "NOTIFY_DELIVERY_SECONDS": str(period),
        "SMS_BACKEND": "dispatch.notifications.sms.HttpSmsBackend",
        "SMS_HTTP_URL": gateway.url,
    }
    processes = []
    with (workdir / f"{layout}.log").open("w") as log:
        for name, queues, concurrency in LAYOUTS[layout]:
            quiet = ["--without-gossip", "--without-mingle", "--without-heartbeat"]
            args = ["worker", "-Q", queues, "-n", f"bench-{name}@%h", "-c", str(concurrency), *quiet]
            processes.append(start(args, log, env))
        processes.append(
            start(["beat", "--schedule", str(workdir / f"{layout}-beat"), "--max-interval", "1"], log, env)
        )
        sweeps, began = [], None
        try:
            while began is None or time.monotonic() - began < seconds:
                if began is None and gateway.in_flight:
                    began = time.monotonic()  # the gateway holds its first request: the measurement starts
                run = workers.task_runs(client).get("dispatch.timers_sweep")
                if began is not None and run and run["finished_at"] not in sweeps:
                    sweeps.append(run["finished_at"])
                time.sleep(0.05)
        finally:
            gateway.stop()
            stop(processes)
    OutboxMessage.objects.filter(key__startswith="bench:").delete()
    client.flushdb()
    gaps = [(b - a).total_seconds() for a, b in zip(sweeps, sweeps[1:], strict=False)]
    return gaps, sum(gateway.receipts.values())


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--period", type=int, default=2)
    parser.add_argument("--messages", type=int, default=20)
    parser.add_argument("--redis-db", type=int, default=15)
    args = parser.parse_args()
    redis_url = f"{settings.REDIS_URL.rsplit('/', 1)[0]}/{args.redis_db}"
    with tempfile.TemporaryDirectory() as tmp:
        for layout in LAYOUTS:
            gaps, requests = run(layout, seconds=args.seconds, period=args.period, messages=args.messages,
                                 workdir=Path(tmp), redis_url=redis_url)  # fmt: skip
            if gaps:
                print(
                    f"{layout:>6}: {len(gaps) + 1} sweeps in {args.seconds:g} s with the gateway hanging; gap between "
                    f"sweeps median {statistics.median(gaps):.2f} s, max {max(gaps):.2f} s (period {args.period} s); "
                    f"{requests} gateway requests"
                )
            else:
                print(f"{layout:>6}: fewer than two sweeps in {args.seconds:g} s; {requests} gateway requests")


if __name__ == "__main__":
    main()
