"""Signal receivers of notifications: thin, they hand ids to a service.

Both signals are sent after commit and may arrive more than once (at least once); the services insert each
notification once per (user, event, kind), so a repeated delivery changes nothing. They run in the process
that committed (a web request, the timer sweep): a failure is logged, never raised into a committed action;
the sweep announces a batch whose notifications failed again later.
"""

from django.db import transaction
from django.dispatch import receiver

from cases.signals import case_transitioned
from dispatch.signals import timers_fired


@receiver(case_transitioned, dispatch_uid="dispatch.notify_after_transition")
def notify_after_transition(sender, *, event_id, **kwargs):
    """New work in someone's queue, and decisions on requests to whoever asked."""
    from dispatch.notifications.services import notify_safely, notify_transition

    notify_safely(notify_transition, event_id=event_id)


@receiver(timers_fired, dispatch_uid="dispatch.notify_after_timers")
def notify_after_timers(sender, *, marks, **kwargs):
    """Warning and overdue to the people working the cases; escalations to the targets of the ladder's steps.

    A failure is not swallowed here: it rolls back to this savepoint and reaches the sweep (through
    send_robust), which leaves the marks unannounced for a later sweep to announce again.
    """
    from dispatch.notifications.services import notify_timers

    with transaction.atomic():
        notify_timers(marks=marks)


@receiver(case_transitioned, dispatch_uid="dispatch.notify_assist_after_transition")
def notify_assist_after_transition(sender, *, event_id, action, **kwargs):
    """协办: a dispatch with assisting departments tells them of their part; a part given tells the lead."""
    from cases.workflow import ACTIONS
    from dispatch.notifications.assist import notify_assist
    from dispatch.notifications.services import notify_safely

    spec = ACTIONS.get(action)
    if spec is not None and (action == "assist_feedback" or "assisting_departments" in spec.param_names):
        notify_safely(notify_assist, event_id=event_id)
