"""Celery task of notifications: a thin interface that calls the outbox. It runs from beat (CELERY_BEAT_SCHEDULE) on
the notify queue; retries live in the outbox table, never in Celery ETA/countdown."""

import logging

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded

logger = logging.getLogger(__name__)


# The name is the one beat schedules and queued messages carry; it stays when the module moves.
@shared_task(name="dispatch.outbox_deliver", ignore_result=True)
def outbox_deliver_task():
    """Send due email/SMS from the outbox (time limits: settings.TASK_TIME_LIMITS). Each row is sent once by one
    run at a time; a send whose outcome is unknown is retried with the same idempotency key (see the outbox)."""
    from dispatch.notifications.outbox import outbox_deliver

    try:
        return outbox_deliver()
    except SoftTimeLimitExceeded:  # the outbox handed back what it had not tried; the next run goes on
        logger.warning("outbox delivery reached its soft time limit")
        return None
