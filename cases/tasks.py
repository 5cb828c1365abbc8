"""Celery tasks of cases: thin interfaces that call one service."""

import logging

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded

logger = logging.getLogger(__name__)


@shared_task(name="followup.sensing_process", ignore_result=True)
def sensing_process_task():
    """Process the received sensing detections (kicked by the POST, and by beat as the sweep). At-least-once;
    each detection is processed exactly once (its row's state), so a doubled or lost run changes nothing."""
    from cases.services.sensing_queue import sensing_kick, sensing_process

    try:
        return dict(sensing_process())
    except SoftTimeLimitExceeded:
        # The detection in flight rolled back; a fresh run goes on with it.
        logger.warning("followup.sensing_process reached its soft time limit; a new run goes on")
        sensing_kick()
        return None
