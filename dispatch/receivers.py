"""Signal receivers of the dispatch app: thin, they call a service with ids."""

import logging

from django.dispatch import receiver

from cases.signals import case_event_written, case_transitioned
from cases.workflow import ACTIONS

logger = logging.getLogger(__name__)


@receiver(case_transitioned, dispatch_uid="dispatch.routing_after_transition")
def route_case(sender, *, case_id, event_id, action, **kwargs):
    """A filed case gets its proposal (and is auto-dispatched when its rule says so); a returned one a new proposal.

    Runs after the transition's commit, in the request that made it: an error here must not turn a committed
    registration into a 500, so it is logged and the case simply waits in its district's queue.
    """
    spec = ACTIONS.get(action)
    if spec is None or "route" not in spec.follow_up:
        return
    from dispatch.services.routing import routing_after_transition

    try:
        routing_after_transition(case_id=case_id, event_id=event_id, action=action)
    except Exception:  # noqa: BLE001 - see the docstring
        logger.exception("routing of case %s after %s (event %s) failed", case_id, action, event_id)


@receiver(case_event_written, dispatch_uid="dispatch.emergency_alert_with_event")
def alert_emergency(sender, *, case, event, **kwargs):
    """An emergency's alert to the shift leads and the department's duty, in the event's own transaction."""
    from dispatch.services.emergency import emergency_alert

    emergency_alert(case=case, event=event)
