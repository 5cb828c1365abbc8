"""Celery tasks of orders and notifications: thin interfaces that call a service. Both run from beat
(CELERY_BEAT_SCHEDULE); retries live in the outbox table, never in Celery ETA/countdown."""

from celery import shared_task


@shared_task(name="dispatch.outbox_deliver", ignore_result=True)
def outbox_deliver_task():
    """Send due email/SMS from the outbox. At least once: a worker lost mid-send leaves the row to be retried."""
    from dispatch.services.notifications import outbox_deliver

    return outbox_deliver()


@shared_task(name="dispatch.orders_sweep", ignore_result=True)
def orders_sweep_task():
    """Mark open supervision orders past their reply deadline overdue. Idempotent: safe to run twice at once."""
    from dispatch.services.orders import orders_sweep

    return orders_sweep()
