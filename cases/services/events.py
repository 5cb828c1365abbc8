"""The one way a case event is recorded: the immutable row now, the announcement after commit."""

from django.db import transaction

from cases.models import Case, CaseEvent
from cases.signals import case_event_written, case_transitioned

from .feed import feed_publish_on_commit


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
    feed_publish_on_commit(event_id=event.pk, case_id=case.pk)
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


def case_overlay_event(*, case, action, actor, role, now, note="", data=None, department_id=None) -> CaseEvent:
    """The event of an overlay on the case (a supervision order, a whistle): the status stays as it is, the row is
    written in the caller's transaction, and nothing is announced as a transition (the overlay's own service tells
    the people concerned). The department is the case's lead unless given. The live feed hears of it at commit."""
    event = CaseEvent.objects.create(
        case=case,
        action=action,
        from_status=case.status,
        to_status=case.status,
        actor=actor,
        actor_role=role,
        at=now,
        note=note,
        data=data or {},
        department_id=department_id or case.lead_department_id,
        region_path=case.region_path,
    )
    feed_publish_on_commit(event_id=event.pk, case_id=case.pk)
    return event
