"""The one way a case event is recorded: the immutable row now, the announcement after commit."""

from django.db import transaction

from cases.models import Case, CaseEvent
from cases.signals import case_event_written, case_transitioned


def case_event_record(*, case, action, from_status, to_status, actor, actor_role, at, **fields) -> CaseEvent:
    """Write the event row in the caller's transaction (with `case_event_written`'s follow-up rows); send
    `case_transitioned` only once it commits."""
    event = CaseEvent.objects.create(
        case=case,
        action=action,
        from_status=from_status,
        to_status=to_status,
        actor=actor,
        actor_role=actor_role,
        at=at,
        region_path=case.region_path,
        **fields,
    )
    case_event_written.send(sender=Case, case=case, event=event)
    transaction.on_commit(
        lambda: case_transitioned.send(
            sender=Case,
            case_id=case.pk,
            event_id=event.pk,
            action=action,
            from_status=from_status,
            to_status=to_status,
        )
    )
    return event
