"""The 待核实 queue's decisions: an operator confirms a detection below threshold (→ an accepted case), dismisses it,
or sends a grid worker to confirm it on site (→ a case in 核实). The repeats waiting beside it follow it."""

from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.models import SensingEvent, SensingOutcome
from cases.selectors import sensing_events_visible_to
from huizhou_cityops.errors import ConflictError

from .sensing import sensing_case_create, sensing_lock_cells, sensing_photos_attach, sensing_rule
from .transitions import case_transition


def _lock_waiting(*, event_id, actor):
    """The waiting detection, locked with its repeats; 404 outside the actor's desk, 409 when decided meanwhile."""
    visible = sensing_events_visible_to(actor).select_related("source", "category")
    event = visible.select_for_update(of=("self",)).filter(pk=event_id).first()
    if event is None:
        raise Http404(_("No such detection."))
    if event.outcome != SensingOutcome.PENDING:
        raise ConflictError(_("This detection was decided meanwhile (%(outcome)s).") % {"outcome": event.outcome})
    repeats = list(event.repeats.select_for_update().filter(outcome=SensingOutcome.GROUPED))
    return event, repeats


def _new_case(*, event, actor, now):
    """The case of a waiting detection, entered by the operator (their role and grid are checked by intake)."""
    rule = sensing_rule(event.category_id)
    sensing_lock_cells(event.category_id, event.point.x, event.point.y, rule.distance_m)
    return sensing_case_create(
        actor=actor,
        system=False,
        category=event.category,
        source_name=event.source.name,
        confidence=event.confidence,
        lon=event.point.x,
        lat=event.point.y,
        now=now,
    )


def _close(*, event, repeats, actor, outcome, now, case=None):
    fields = {"reviewed_by": actor, "reviewed_at": now, "case": case}
    SensingEvent.objects.filter(pk=event.pk).update(outcome=outcome, **fields)
    others = SensingOutcome.DISMISSED if outcome == SensingOutcome.DISMISSED else SensingOutcome.MERGED
    SensingEvent.objects.filter(pk__in=[r.pk for r in repeats]).update(outcome=others, **fields)


def sensing_confirm(*, event_id: int, actor, now=None):
    """Confirm a waiting detection: a sensor case accepted by `actor` (to be filed), its snapshots as photos."""
    now = now or timezone.now()
    with transaction.atomic():
        event, repeats = _lock_waiting(event_id=event_id, actor=actor)
        case = _new_case(event=event, actor=actor, now=now)
        case = case_transition(case_id=case.pk, actor=actor, action="accept", now=now)
        sensing_photos_attach(case=case, events=[event, *repeats], now=now)
        _close(event=event, repeats=repeats, actor=actor, outcome=SensingOutcome.CONFIRMED, now=now, case=case)
    return case


def sensing_send_to_verify(*, event_id: int, actor, assignee, now=None):
    """Send a grid worker to look: a sensor case in 核实 (verifying) assigned to `assignee`."""
    now = now or timezone.now()
    with transaction.atomic():
        event, repeats = _lock_waiting(event_id=event_id, actor=actor)
        case = _new_case(event=event, actor=actor, now=now)
        sensing_photos_attach(case=case, events=[event, *repeats], now=now)
        case = case_transition(
            case_id=case.pk, actor=actor, action="request_verification", params={"assignee": assignee}, now=now
        )
        _close(event=event, repeats=repeats, actor=actor, outcome=SensingOutcome.VERIFYING, now=now, case=case)
    return case


def sensing_dismiss(*, event_id: int, actor, now=None) -> None:
    """Dismiss a waiting detection (a false alarm) with its repeats; they stay on record, linked to no case."""
    now = now or timezone.now()
    with transaction.atomic():
        event, repeats = _lock_waiting(event_id=event_id, actor=actor)
        _close(event=event, repeats=repeats, actor=actor, outcome=SensingOutcome.DISMISSED, now=now)
