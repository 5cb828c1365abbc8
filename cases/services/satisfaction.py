"""满意度 written down: the reporter's rating from the public portal and an operator's call-back (回访) result.

Each is an event on the closed case (cases.models.satisfaction), written under the case's row lock so a rating and
a reopening never cross. The status stays; the assessment's 满意度 reads the events' `satisfaction`.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Role
from accounts.scope import user_scope
from cases.models import CALLBACK_EVENT, RATE_EVENT, Case, Satisfaction, Status
from huizhou_cityops.errors import ConflictError

from .events import case_overlay_event

COMMENT_MAX = 500
PUBLIC_ROLE = "public"


def _check_satisfaction(value, *, field="satisfaction", required=True):
    if not value and not required:
        return ""
    if value not in Satisfaction.values:
        raise ValidationError({field: [_("Choose satisfied, basically satisfied or dissatisfied.")]})
    return value


def _check_comment(text, field):
    text = (text or "").strip()
    if len(text) > COMMENT_MAX:
        raise ValidationError({field: [_("At most %(max)d characters, please.") % {"max": COMMENT_MAX}]})
    return text


def case_rate(*, case_id: int, satisfaction: str, comment: str = "", now=None):
    """The reporter's rating of a closed case through the portal (the caller checked the follow token and that it
    was not rated yet). Writes the `rate` event; 409 when the case is not closed."""
    satisfaction = _check_satisfaction(satisfaction)
    comment = _check_comment(comment, "comment")
    with transaction.atomic():
        case = Case.objects.select_for_update().filter(pk=case_id).first()
        if case is None:
            raise Http404(_("No such case."))
        if case.status != Status.CLOSED:
            raise ConflictError(_("The case can be rated once it is closed."), code="not_closed")
        return case_overlay_event(
            case=case,
            action=RATE_EVENT,
            actor=None,
            role=PUBLIC_ROLE,
            now=now or timezone.now(),
            note=comment,
            data={"satisfaction": satisfaction, "channel": "portal"},
        )


def case_callback_record(*, case_id: int, actor, reached: bool, satisfaction: str = "", note: str = "", now=None):
    """An operator's call-back (回访) of a closed case in their grids: reached or not, and if reached the
    reporter's satisfaction. 404 outside the operator's scope, 403 for another role, 409 when not closed."""
    note = _check_comment(note, "note")
    satisfaction = _check_satisfaction(satisfaction, required=reached)
    if not reached and satisfaction:
        raise ValidationError({"satisfaction": [_("Record a satisfaction only when the reporter was reached.")]})
    with transaction.atomic():
        case = Case.objects.visible_to(actor).select_for_update(of=("self",)).filter(pk=case_id).first()
        if case is None:
            raise Http404(_("No such case."))
        if not user_scope(actor).covers_path(case.region_path, Role.OPERATOR):
            raise PermissionDenied(_("Call-backs (回访) are made by the operators over the case's grid."))
        if case.status != Status.CLOSED:
            raise ConflictError(_("Only a closed case is called back."), code="not_closed")
        data = {"reached": bool(reached), "channel": "callback"}
        if satisfaction:
            data["satisfaction"] = satisfaction
        return case_overlay_event(
            case=case,
            action=CALLBACK_EVENT,
            actor=actor,
            role=Role.OPERATOR,
            now=now or timezone.now(),
            note=note,
            data=data,
        )
