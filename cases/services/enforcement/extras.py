"""Evidence photos and the party (管理征信) of a chain, and the sweep that marks overdue steps."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Role
from cases.models import (
    Case,
    EnforcementCase,
)
from cases.services.events import case_overlay_event
from cases.workflow.enforcement import enforcement_event_record

from .common import HOLDING, E, _in_state, _locked, _require, _text, acts_for_body

# ---- evidence ----

MAX_EVIDENCE_PHOTOS = 6


def enforcement_evidence_add(*, enforcement_id, actor, photos, note="", now=None):
    """The body adds evidence photos: checked and re-encoded like every case photo (cases/photos.py), stored on the
    source case under an event of its timeline, and linked to the chain. A bad photo is a 400 for all of them."""
    from cases.models import PhotoKind
    from cases.photos import PhotoError
    from cases.services.photos import photos_attach, photos_prepare, photos_store

    with transaction.atomic():  # checked before any decoding: an outsider costs no photo work
        enforcement = _locked(enforcement_id, actor)
        _require(acts_for_body(actor, enforcement))
        if enforcement.is_final:
            _in_state(enforcement, *HOLDING)
    if not photos:
        raise ValidationError({"photos": [_("Attach at least one photo.")]})
    if len(photos) > MAX_EVIDENCE_PHOTOS:
        raise ValidationError({"photos": [_("Attach at most %(max)d photos.") % {"max": MAX_EVIDENCE_PHOTOS}]})
    try:
        stored = photos_store(photos_prepare(photos))
    except PhotoError as exc:
        raise ValidationError({"photos": [exc.message]}) from exc
    now = now or timezone.now()
    with transaction.atomic():
        enforcement = _locked(enforcement_id, actor)
        _require(acts_for_body(actor, enforcement))
        if enforcement.is_final:
            _in_state(enforcement, *HOLDING)
        case = Case.objects.select_for_update(of=("self",)).get(pk=enforcement.source_id)
        text = _text("note", note, required=False)
        event = case_overlay_event(
            case=case,
            action="enforcement_evidence",
            actor=actor,
            role=Role.HANDLER,
            now=now,
            note=text,
            data={"enforcement": enforcement.number, "photos": len(stored)},
            department_id=enforcement.body_id,
        )
        rows = photos_attach(case=case, event=event, kind=PhotoKind.VERIFICATION, stored=stored, actor=actor, now=now)
        enforcement.evidence.add(*rows)
        enforcement_event_record(
            enforcement=enforcement,
            action="evidence",
            from_state=enforcement.state,
            actor=actor,
            role=Role.HANDLER,
            now=now,
            note=text,
            data={"photos": [row.pk for row in rows]},
        )
    return rows


# ---- the party (管理征信) ----


@transaction.atomic
def enforcement_party_set(*, enforcement_id, actor, kind, name, credit_code="", id_number="", now=None):
    """The body names the chain's party (business or person); it enters the credit register."""
    from cases.services.credit import party_register

    now = now or timezone.now()
    enforcement = _locked(enforcement_id, actor)
    _require(acts_for_body(actor, enforcement))
    if enforcement.is_final:
        _in_state(enforcement, *[s for s in E if s not in (E.DECLINED, E.CLOSED)])
    party = party_register(kind=kind, name=name, credit_code=credit_code, id_number=id_number)
    enforcement.party = party
    enforcement.save(update_fields=["party"])
    enforcement_event_record(
        enforcement=enforcement,
        action="party",
        from_state=enforcement.state,
        actor=actor,
        role=Role.HANDLER,
        now=now,
        data={"party": party.pk, "kind": party.kind},
    )
    return party


# ---- the sweep: overdue steps ----


def enforcement_sweep(*, now=None) -> int:
    """Mark every running step past its deadline overdue, once, with an event row; returns how many."""
    now = now or timezone.now()
    count = 0
    due = EnforcementCase.objects.filter(step_deadline__lt=now, overdue=False).exclude(state__in=[E.DECLINED, E.CLOSED])
    for pk in due.values_list("pk", flat=True)[:500]:
        with transaction.atomic():
            # The conditional update claims the row: two sweeps running at once record the overdue step once.
            if not EnforcementCase.objects.filter(pk=pk, overdue=False, step_deadline__lt=now).update(overdue=True):
                continue
            enforcement = EnforcementCase.objects.select_related("body").get(pk=pk)
            enforcement_event_record(
                enforcement=enforcement,
                action="overdue",
                from_state=enforcement.state,
                actor=None,
                role="system",
                now=now,
                data={"step": enforcement.step, "deadline": enforcement.step_deadline.isoformat()},
            )
            count += 1
    return count
