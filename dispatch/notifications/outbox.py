"""Delivery of the email/SMS outbox: claim due rows, send them, retry with backoff, give up after the last attempt.

Rows are written by `services` in the same transaction as the inbox rows they copy; delivery runs from beat
(`tasks.outbox_deliver_task`) and is at least once.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from dispatch.models import Channel, OutboxMessage, OutboxState
from dispatch.notifications.sms import sms_send

logger = logging.getLogger(__name__)

# A claimed outbox row is not offered to another worker for this long; a worker that dies mid-send leaves
# the row to be picked up again afterwards (delivery is at least once).
CLAIM_LEASE = timedelta(minutes=5)


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
                attempts=F("attempts") + 1, next_attempt_at=now + CLAIM_LEASE
            )
    for message in due:
        message.attempts += 1
    return due


def _send(message):
    if message.channel == Channel.EMAIL:
        send_mail(message.subject, message.body, settings.DEFAULT_FROM_EMAIL, [message.recipient])
    else:
        sms_send(to=message.recipient, text=message.body)


def outbox_deliver(*, now=None, batch: int = 50, max_batches: int = 20) -> dict:
    """Send due outbox messages; a failure is retried with exponential backoff, then marked failed.

    Returns counts {"sent", "retry", "failed"}. The final UPDATE is conditional on the attempt it claimed, so a
    worker whose lease ran out cannot overwrite the outcome of the one that took the row over.
    """
    now = now or timezone.now()
    counts = {"sent": 0, "retry": 0, "failed": 0}
    for _round in range(max_batches):
        claimed = _claim(now, batch)
        for message in claimed:
            mine = OutboxMessage.objects.filter(pk=message.pk, state=OutboxState.PENDING, attempts=message.attempts)
            try:
                _send(message)
            except Exception as exc:  # noqa: BLE001 - any failure of a backend is retried
                error = f"{type(exc).__name__}: {exc}"[:1000]
                if message.attempts >= settings.NOTIFY_MAX_ATTEMPTS:
                    mine.update(state=OutboxState.FAILED, last_error=error)
                    counts["failed"] += 1
                    logger.warning(
                        "outbox %s failed for good after %s attempts: %s", message.pk, message.attempts, error
                    )
                else:
                    mine.update(next_attempt_at=now + outbox_backoff(message.attempts), last_error=error)
                    counts["retry"] += 1
                continue
            mine.update(state=OutboxState.SENT, sent_at=timezone.now(), last_error="")
            counts["sent"] += 1
        if len(claimed) < batch:
            break
    return counts


def outbox_retry(*, ids, now=None) -> int:
    """Put failed (or waiting) messages back in line for an immediate attempt, with a fresh set of retries."""
    return (
        OutboxMessage.objects.filter(pk__in=ids)
        .exclude(state=OutboxState.SENT)
        .update(state=OutboxState.PENDING, attempts=0, next_attempt_at=now or timezone.now())
    )
