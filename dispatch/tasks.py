"""Celery tasks of dispatch: thin interfaces that take ids (or nothing) and call one service.

The notification task lives in dispatch.notifications.tasks (registered by DispatchConfig.ready).
"""

import logging

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded

logger = logging.getLogger(__name__)


def _cut_short(name):
    # The soft time limit (settings.TASK_TIME_LIMITS) rolled back the batch in flight; the next run redoes it.
    logger.warning("%s reached its soft time limit; the next run goes on", name)


@shared_task(name="dispatch.timers_sweep", ignore_result=True)
def timers_sweep():
    """Fire the timer levels due now (beat, every TIMER_SWEEP_SECONDS); see dispatch.services.timers.

    At-least-once delivery is fine: a retried, late or doubled sweep only finds what is still due (marks are
    unique per case, stage and level), and two sweeps at once split the due cases (SKIP LOCKED).
    """
    from dispatch.services.timers import timers_sweep as service

    try:
        return service().as_dict()
    except SoftTimeLimitExceeded:
        _cut_short("dispatch.timers_sweep")


@shared_task(name="dispatch.orders_sweep", ignore_result=True)
def orders_sweep_task():
    """Mark open supervision orders past their reply deadline overdue. Idempotent: safe to run twice at once."""
    from dispatch.services.orders import orders_sweep

    try:
        return orders_sweep()
    except SoftTimeLimitExceeded:
        _cut_short("dispatch.orders_sweep")


@shared_task(name="dispatch.whistles_sweep", ignore_result=True)
def whistles_sweep_task():
    """Mark summonses (吹哨报到) past their report deadline overdue. Idempotent: safe to run twice at once."""
    from dispatch.services.whistles import whistles_sweep

    try:
        return whistles_sweep()
    except SoftTimeLimitExceeded:
        _cut_short("dispatch.whistles_sweep")


@shared_task(name="dispatch.enforcement_sweep", ignore_result=True)
def enforcement_sweep_task():
    """Mark enforcement steps (确认, 协作, 决定, 整改…) past their deadline overdue. Idempotent: safe to run twice."""
    from cases.services.enforcement import enforcement_sweep

    try:
        return enforcement_sweep()
    except SoftTimeLimitExceeded:
        _cut_short("dispatch.enforcement_sweep")


@shared_task(name="followup.run", ignore_result=True)
def followup_run_task(ids):
    """Carry out the follow-up rows `ids` a transaction has just committed (the fast path). Lost or run twice,
    nothing changes: each row is carried out once, and the repair sweep takes what this did not."""
    from dispatch.services.followup import followup_run

    return dict(followup_run(ids=ids))


@shared_task(name="followup.repair", ignore_result=True)
def followup_repair_task():
    """The repair sweep (beat): carry out follow-up rows whose work was never done or whose claim ran out."""
    from dispatch.services.followup import followup_repair

    return followup_repair()


@shared_task(name="dispatch.queue_counts_compact", ignore_result=True)
def queue_counts_compact_task():
    """Fold the tab counters' changes (beat, every QUEUE_COUNT_COMPACT_SECONDS). Safe to run twice at once."""
    from dispatch.services.counts import queue_counts_compact

    return queue_counts_compact()


@shared_task(name="dispatch.queue_counts_recount", ignore_result=True)
def queue_counts_recount_task():
    """Recount the tab counters from the cases and repair drift, logged (beat, every QUEUE_COUNT_RECOUNT_SECONDS)."""
    from dispatch.services.counts import queue_counts_recount

    return queue_counts_recount().as_dict()
