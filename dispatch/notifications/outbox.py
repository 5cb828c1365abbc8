"""Delivery of the email/SMS outbox: claim due rows, send them, retry with backoff, give up after the last attempt.

Rows are written by `services` in the same transaction as the inbox rows they copy, one per notification and
channel (`OutboxMessage.key`); delivery runs from beat (`tasks.outbox_deliver_task`, on the notify queue).

What is guaranteed (README, "Delivery"):
- Two runs never send the same row at once. A claim (FOR UPDATE SKIP LOCKED, then a lease) keeps a row for the
  claiming run's hard time limit plus a margin, and the worker kills a run at its hard limit: no other run can take
  a row while the run that claimed it may still be sending it.
- A run claims new rows only while a worst-case send (the gateway's time-outs, NOTIFY_SEND_SECONDS) still ends
  before its soft limit, and only as many as fit. Rows it claimed and did not try are handed back at once when it
  stops early.
- A send whose outcome is unknown (the worker was killed mid-send, or the gateway timed out before answering) is
  tried again, after the lease or the backoff, with the same key: the gateway's Idempotency-Key and the email's
  Message-ID. A gateway that honours the key sends it once; one that does not may send it twice, never more often
  than the attempts allow.
"""

import logging
import time
from datetime import timedelta

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from dispatch.models import Channel, OutboxMessage, OutboxState
from dispatch.notifications.sms import sms_send

logger = logging.getLogger(__name__)

TASK = "dispatch.outbox_deliver"


def outbox_limits() -> tuple[float, float]:
    """The delivery task's (soft, hard) time limits in seconds (settings.TASK_TIME_LIMITS)."""
    return settings.TASK_TIME_LIMITS[TASK]


def outbox_lease() -> timedelta:
    """How long a claimed row is kept from other runs: longer than the claiming run may live (its hard limit)."""
    return timedelta(seconds=outbox_limits()[1] + settings.NOTIFY_LEASE_MARGIN_SECONDS)


def outbox_backoff(attempts: int) -> timedelta:
    """Wait before the next attempt after `attempts` failures: 1, 2, 4, 8 … × the base, at most a day."""
    seconds = settings.NOTIFY_RETRY_BASE_SECONDS * 2 ** max(attempts - 1, 0)
    return timedelta(seconds=min(seconds, 24 * 3600))


def _claim(now, batch):
    """Take up to `batch` due rows: other workers skip the locked rows, then the lease keeps them away."""
    with transaction.atomic():
        due = list(
            OutboxMessage.objects.select_for_update(skip_locked=True)
            .filter(state=OutboxState.PENDING, next_attempt_at__lte=now)
            .order_by("next_attempt_at", "id")[:batch]
        )
        if due:
            OutboxMessage.objects.filter(pk__in=[m.pk for m in due]).update(
                attempts=F("attempts") + 1, next_attempt_at=now + outbox_lease()
            )
    for message in due:
        message.attempts += 1
    return due


def _release(messages, now) -> None:
    """Hand back rows claimed but not tried: due again at once, the attempt not counted."""
    for message in messages:
        OutboxMessage.objects.filter(pk=message.pk, state=OutboxState.PENDING, attempts=message.attempts).update(
            attempts=F("attempts") - 1, next_attempt_at=now
        )


def _message_id(key: str) -> str:
    """The email's Message-ID, the same on every attempt (mail systems drop a second copy with the same id)."""
    domain = settings.DEFAULT_FROM_EMAIL.rpartition("@")[2].strip("> ") or "localhost"
    return f"<{key.replace(':', '.')}@{domain}>"


def _send(message):
    if message.channel == Channel.EMAIL:
        email = EmailMessage(
            message.subject,
            message.body,
            settings.DEFAULT_FROM_EMAIL,
            [message.recipient],
            headers={"Message-ID": _message_id(message.key)},
        )
        email.send()
    else:
        sms_send(to=message.recipient, text=message.body, key=message.key)


def outbox_deliver(*, now=None, batch: int = 50, budget: float | None = None) -> dict:
    """Send due outbox messages; a failure is retried with exponential backoff, then marked failed.

    Claims rows for `budget` seconds (default: the task's soft limit), only as many at a time as worst-case sends
    fit in what is left of it. Returns counts {"sent", "retry", "failed"}. The final UPDATE is conditional on the
    attempt it claimed, so a run whose lease ran out cannot overwrite the outcome of the one that took the row over.
    """
    now = now or timezone.now()
    send_seconds = settings.NOTIFY_SEND_SECONDS
    budget = outbox_limits()[0] if budget is None else budget
    stop_claiming = time.monotonic() + budget - send_seconds
    counts = {"sent": 0, "retry": 0, "failed": 0}
    while (room := stop_claiming - time.monotonic()) >= 0:
        wanted = min(batch, int(room // send_seconds) + 1)
        claimed = _claim(now, wanted)
        untried = list(claimed)
        try:
            while untried:
                _deliver_one(untried[0], now, counts)
                untried.pop(0)
        except SoftTimeLimitExceeded:
            # The row in flight keeps its lease (its outcome is unknown); the others go back in line now.
            _release(untried[1:], timezone.now())
            logger.warning("outbox delivery stopped at its soft time limit; %s rows handed back", len(untried) - 1)
            raise
        if len(claimed) < wanted:
            break
    return counts


def _deliver_one(message, now, counts) -> None:
    mine = OutboxMessage.objects.filter(pk=message.pk, state=OutboxState.PENDING, attempts=message.attempts)
    try:
        _send(message)
    except SoftTimeLimitExceeded:
        raise
    except Exception as exc:  # noqa: BLE001 - any failure of a backend is retried
        error = f"{type(exc).__name__}: {exc}"[:1000]
        if message.attempts >= settings.NOTIFY_MAX_ATTEMPTS:
            mine.update(state=OutboxState.FAILED, last_error=error)
            counts["failed"] += 1
            logger.warning("outbox %s failed for good after %s attempts: %s", message.pk, message.attempts, error)
        else:
            mine.update(next_attempt_at=now + outbox_backoff(message.attempts), last_error=error)
            counts["retry"] += 1
        return
    mine.update(state=OutboxState.SENT, sent_at=timezone.now(), last_error="")
    counts["sent"] += 1


def outbox_retry(*, ids, now=None) -> int:
    """Put failed (or waiting) messages back in line for an immediate attempt, with a fresh set of retries."""
    return (
        OutboxMessage.objects.filter(pk__in=ids)
        .exclude(state=OutboxState.SENT)
        .update(state=OutboxState.PENDING, attempts=0, next_attempt_at=now or timezone.now())
    )
