"""Signal receivers of the dispatch app: thin, they call a service with ids."""

from django.dispatch import receiver

from cases.signals import case_event_written


@receiver(case_event_written, dispatch_uid="dispatch.followups_with_event")
def followups_with_event(sender, *, case, event, **kwargs):
    """The work the event causes (routing, auto-dispatch, notifications) as follow-up rows in its transaction:
    committed with the event, carried out after the commit by the `followup` queue (dispatch.followups)."""
    from dispatch.followups import followup_rows_for_event

    followup_rows_for_event(case=case, event=event)


@receiver(case_event_written, dispatch_uid="dispatch.emergency_alert_with_event")
def alert_emergency(sender, *, case, event, **kwargs):
    """An emergency's alert to the shift leads and the department's duty, in the event's own transaction."""
    from dispatch.services.emergency import emergency_alert

    emergency_alert(case=case, event=event)


@receiver(case_event_written, dispatch_uid="dispatch.public_update_with_event")
def public_update(sender, *, case, event, **kwargs):
    """A portal reporter with a confirmed phone hears by SMS that their case was accepted or closed (outbox row)."""
    from dispatch.public.services import public_update_for_event

    public_update_for_event(case=case, event=event)
