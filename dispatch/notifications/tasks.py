"""Celery task of notifications: a thin interface that calls the outbox. It runs from beat (CELERY_BEAT_SCHEDULE);
retries live in the outbox table, never in Celery ETA/countdown."""

from celery import shared_task


# The name is the one beat schedules and queued messages carry; it stays when the module moves.
@shared_task(name="dispatch.outbox_deliver", ignore_result=True)
def outbox_deliver_task():
    """Send due email/SMS from the outbox. At least once: a worker lost mid-send leaves the row to be retried."""
    from dispatch.notifications.outbox import outbox_deliver

    return outbox_deliver()
