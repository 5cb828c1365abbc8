"""Signal receivers of notifications: thin, they hand ids to a service.

The notifications of transitions, orders and whistles are follow-up rows (dispatch.followups). `timers_fired` is
sent by the follow-up that announces a sweep batch, inside its transaction, and may arrive more than once (a
retried follow-up): the services insert each notification once per (user, event, kind), so a repeated delivery
changes nothing.
"""

from django.db import transaction
from django.dispatch import receiver

from cases.signals import sensing_source_flooded
from dispatch.signals import timers_fired


@receiver(timers_fired, dispatch_uid="dispatch.notify_after_timers")
def notify_after_timers(sender, *, marks, **kwargs):
    """Warning and overdue to the people working the cases; escalations to the targets of the ladder's steps.

    A failure is not swallowed here: it rolls the follow-up back, which is retried later.
    """
    from dispatch.notifications.services import notify_timers

    with transaction.atomic():
        notify_timers(marks=marks)


@receiver(sensing_source_flooded, dispatch_uid="dispatch.notify_sensing_flood")
def notify_sensing_flood(sender, *, source_id, window, limit, period, **kwargs):
    """The administrators are told of a flooding sensing source (sent once per source and minute)."""
    from dispatch.notifications.sensing import notify_sensing_flood as service

    service(source_id=source_id, window=window, limit=limit, period=period)
