"""The follow-up work of dispatch: which rows an event writes, and the handler that carries out each kind.

Thin, like the receivers: each handler calls one service with the row's ids. Every handler is idempotent on its
own (a routing proposal for an event already recorded does nothing, a notification is unique per user, event
and kind, an outbox copy per notification and channel, a lift to the city happens once), and runs inside the
follow-up's transaction: a failure rolls its effects back and the row is retried (dispatch.services.followup).
"""

from cases.workflow import ACTIONS
from dispatch.models import FollowUpKind
from dispatch.services.followup import followup_add_many, followup_handler


def followup_rows_for_event(*, case, event) -> list[int]:
    """The work a recorded case event causes, as follow-up rows in its transaction, in the order it must run:
    the routing (proposal, auto-dispatch) first, then the notifications, which read the level routing chose."""
    spec = ACTIONS.get(event.action)
    kinds = []
    if spec is not None and "route" in spec.follow_up:
        kinds.append(FollowUpKind.ROUTE)
    kinds.append(FollowUpKind.NOTIFY_TRANSITION)
    if spec is not None and (event.action == "assist_feedback" or "assisting_departments" in spec.param_names):
        kinds.append(FollowUpKind.NOTIFY_ASSIST)
    return followup_add_many(
        {
            "kind": kind,
            "key": f"{kind}:{event.pk}",
            "payload": {"action": event.action},
            "case_id": case.pk,
            "event_id": event.pk,
        }
        for kind in kinds
    )


@followup_handler(FollowUpKind.ROUTE)
def route(work):
    """A filed case gets its proposal (and is auto-dispatched when its rule says so); a returned one a new one."""
    from dispatch.services.routing import routing_after_transition

    routing_after_transition(case_id=work.case_id, event_id=work.event_id, action=work.payload["action"])


@followup_handler(FollowUpKind.NOTIFY_TRANSITION)
def notify_transition(work):
    """New work in someone's queue, and decisions on requests to whoever asked."""
    from dispatch.notifications.services import notify_transition as service

    service(event_id=work.event_id)


@followup_handler(FollowUpKind.NOTIFY_ASSIST)
def notify_assist(work):
    """协办: a dispatch with assisting departments tells them of their part; a part given tells the lead."""
    from dispatch.notifications.assist import notify_assist as service

    service(event_id=work.event_id)


@followup_handler(FollowUpKind.NOTIFY_ORDER)
def notify_order(work):
    """A supervision order issued, replied or unanswered."""
    from dispatch.notifications.services import notify_order as service

    service(order_id=work.payload["order_id"], event_id=work.event_id, kind=work.payload["kind"])


@followup_handler(FollowUpKind.NOTIFY_WHISTLE)
def notify_whistle(work):
    """A whistle blown, a report given or overdue."""
    from dispatch.notifications.assist import notify_whistle as service

    service(event_id=work.event_id, **work.payload)


@followup_handler(FollowUpKind.TIMERS)
def timers_announce(work):
    """A sweep batch's fired marks: lifts to the city level, then the `timers_fired` receivers (notifications)."""
    from dispatch.services.timers import timers_announce as service

    service(mark_ids=work.payload["marks"])
