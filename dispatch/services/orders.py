"""Write use-cases of supervision orders (督办 / 挂牌督办): issue, reply, withdraw and the overdue sweep.

An order is an overlay on a case, not a state: it never changes the case's status. Each step writes an
immutable case event (from = to = the case's status) in the same transaction, so orders appear on the
timeline, in the live feed and in the assessment; notifications follow after commit.
"""

from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Role
from accounts.scope import user_scope
from cases.clock import WORKING, add_time, hours_duration
from cases.models import FINAL_STATUSES, Case
from cases.services.events import case_overlay_event
from cases.workflow import SYSTEM_ROLE
from cases.workflow.actions import is_city_dispatcher
from dispatch.models import FollowUpKind, NotificationKind, OrderState, SupervisionOrder
from dispatch.models.orders import ANSWERABLE_STATES
from dispatch.services.followup import followup_add
from huizhou_cityops.errors import ConflictError

MIN_REPLY_HOURS = Decimal("0.5")


# ---- checks: one function per decision ----


def issuing_role(*, user, case) -> str | None:
    """The role under which `user` may issue an order on `case`: a leader over its grid, or, once the case is
    escalated to the city, the city command centre's dispatcher (it acts on what the city's queue shows it);
    None for anyone else."""
    if any(case.region_path.startswith(root) for root in user_scope(user).region_paths(Role.LEADER)):
        return Role.LEADER
    if case.escalated and is_city_dispatcher(user, case):
        return Role.DISPATCHER
    return None


def check_may_issue(*, user, case) -> None:
    """Leaders over the case's grid (and the city command centre on escalated cases) issue orders; 403 otherwise."""
    if issuing_role(user=user, case=case) is None:
        raise PermissionDenied(
            _(
                "Only a leader over this case's grid, or the city command centre once the case is escalated, "
                "may issue a supervision order."
            )
        )


def check_may_reply(*, user, case) -> None:
    """The lead department's handlers reply; before dispatch, when no department holds the case, its dispatchers."""
    scope = user_scope(user)
    if case.lead_department_id:
        roles, _path = scope.department_roles.get(case.lead_department_id, (set(), ""))
        if Role.HANDLER in roles:
            return
        raise PermissionDenied(_("Only the lead department's handlers may reply to this order."))
    if not any(case.region_path.startswith(root) for root in scope.region_paths(Role.DISPATCHER)):
        raise PermissionDenied(_("The case has no department yet: its command centre replies."))


def _reply_hours(value) -> Decimal:
    try:
        hours = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise ValidationError({"reply_hours": [_("Give the working hours for the reply as a number.")]}) from None
    if not (MIN_REPLY_HOURS <= hours <= Decimal(settings.ORDER_REPLY_MAX_HOURS)):
        raise ValidationError(
            {
                "reply_hours": [
                    _("Give %(min)s to %(max)s working hours.")
                    % {"min": MIN_REPLY_HOURS, "max": settings.ORDER_REPLY_MAX_HOURS}
                ]
            }
        )
    return hours


def _notify_after_commit(order_id, event_id, kind):
    """The order's notifications as a follow-up row of the order's own transaction, carried out after its commit."""
    followup_add(
        kind=FollowUpKind.NOTIFY_ORDER,
        key=f"notify_order:{event_id}:{kind}",
        payload={"order_id": order_id, "kind": str(kind)},
        event_id=event_id,
    )


# ---- the use-cases ----


@transaction.atomic
def order_issue(*, case_id: int, actor, note: str, reply_hours, formal: bool = False, now=None) -> SupervisionOrder:
    """A leader orders the department to reply within `reply_hours` working hours. 404 / 403 / 409 / 400.

    Locks the case row: `case_transition` saves whole rows, so setting `supervised` without the lock could be
    lost to a transition that read the case before it.
    """
    now = now or timezone.now()
    case = Case.objects.visible_to(actor).select_for_update(of=("self",)).filter(pk=case_id).first()
    if case is None:
        raise Http404(_("No such case."))
    check_may_issue(user=actor, case=case)
    if case.status in FINAL_STATUSES:
        raise ConflictError(_("The case has ended; it cannot be supervised any more."), code="case_ended")
    if not (note or "").strip():
        raise ValidationError({"note": [_("Say what the department must do.")]})
    hours = _reply_hours(reply_hours)
    deadline = add_time(start=now, duration=hours_duration(hours), clock=WORKING)
    order = SupervisionOrder.objects.create(
        case=case,
        issued_by=actor,
        issued_at=now,
        note=note.strip(),
        reply_hours=hours,
        reply_deadline=deadline,
        formal=bool(formal),
    )
    Case.objects.filter(pk=case.pk, supervised=False).update(supervised=True)
    case.supervised = True
    data = {"order": order.pk, "formal": order.formal, "reply_deadline": deadline.isoformat()}
    role = issuing_role(user=actor, case=case)
    event = case_overlay_event(
        case=case, action="order_issued", actor=actor, role=role, now=now, note=order.note, data=data
    )
    _notify_after_commit(order.pk, event.pk, NotificationKind.ORDER)
    return order


def _order_for(actor, order_id, *, lock_case=False):
    """The order and its case as the actor may see them (404 otherwise)."""
    order = SupervisionOrder.objects.filter(pk=order_id).first()
    cases = Case.objects.visible_to(actor)
    if lock_case:
        cases = cases.select_for_update(of=("self",))
    case = cases.filter(pk=order.case_id).first() if order else None
    if case is None:
        raise Http404(_("No such supervision order."))
    order.case = case
    return order


@transaction.atomic
def order_reply(*, order_id: int, actor, reply: str, now=None) -> SupervisionOrder:
    """The department answers an open or overdue order (late replies are recorded as late). 404 / 403 / 409 / 400."""
    now = now or timezone.now()
    order = _order_for(actor, order_id)
    check_may_reply(user=actor, case=order.case)
    if not (reply or "").strip():
        raise ValidationError({"reply": [_("Write the reply.")]})
    # Conditional update: of two replies (or a reply and a withdrawal) one wins, the other gets 409.
    updated = SupervisionOrder.objects.filter(pk=order.pk, state__in=ANSWERABLE_STATES).update(
        state=OrderState.REPLIED, reply=reply.strip(), replied_by=actor, replied_at=now
    )
    if not updated:
        raise ConflictError(_("This order has already been replied to or withdrawn."), code="order_settled")
    order.refresh_from_db()
    on_time = order.overdue_at is None and now <= order.reply_deadline
    data = {"order": order.pk, "formal": order.formal, "on_time": on_time}
    event = case_overlay_event(
        case=order.case,
        action="order_replied",
        actor=actor,
        role=_reply_role(order.case),
        now=now,
        note=order.reply,
        data=data,
    )
    _notify_after_commit(order.pk, event.pk, NotificationKind.ORDER_REPLY)
    return order


def _reply_role(case):
    return Role.HANDLER if case.lead_department_id else Role.DISPATCHER


@transaction.atomic
def order_withdraw(*, order_id: int, actor, note: str = "", now=None) -> SupervisionOrder:
    """Whoever may issue an order on the case withdraws one not yet replied to; the case stays supervised while any
    other order on it stands. 404 / 403 / 409."""
    now = now or timezone.now()
    order = _order_for(actor, order_id, lock_case=True)
    check_may_issue(user=actor, case=order.case)
    role = issuing_role(user=actor, case=order.case)
    updated = SupervisionOrder.objects.filter(pk=order.pk, state__in=ANSWERABLE_STATES).update(
        state=OrderState.WITHDRAWN, withdrawn_at=now
    )
    if not updated:
        raise ConflictError(_("This order has already been replied to or withdrawn."), code="order_settled")
    standing = SupervisionOrder.objects.filter(case_id=order.case_id).exclude(state=OrderState.WITHDRAWN).exists()
    if not standing:
        Case.objects.filter(pk=order.case_id, supervised=True).update(supervised=False)
    case_overlay_event(
        case=order.case,
        action="order_withdrawn",
        actor=actor,
        role=role,
        now=now,
        note=note,
        data={"order": order.pk},
    )
    order.refresh_from_db()
    return order


def orders_sweep(*, now=None, batch: int = 200) -> int:
    """Open orders past their reply deadline go overdue, each with an "order_overdue" event; returns how many.

    Safe to run twice at once: rows are claimed with SKIP LOCKED and moved with `UPDATE … WHERE state='open'`,
    so an order goes overdue (and its leader and the city command centre are told) exactly once.
    """
    now = now or timezone.now()
    total = 0
    while True:
        with transaction.atomic():
            due = list(
                SupervisionOrder.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related("case")
                .filter(state=OrderState.OPEN, reply_deadline__lt=now)
                .order_by("reply_deadline", "id")[:batch]
            )
            for order in due:
                if not SupervisionOrder.objects.filter(pk=order.pk, state=OrderState.OPEN).update(
                    state=OrderState.OVERDUE, overdue_at=now
                ):
                    continue
                data = {"order": order.pk, "formal": order.formal, "reply_deadline": order.reply_deadline.isoformat()}
                event = case_overlay_event(
                    case=order.case, action="order_overdue", actor=None, role=SYSTEM_ROLE, now=now, data=data
                )
                _notify_after_commit(order.pk, event.pk, NotificationKind.ORDER_OVERDUE)
                total += 1
        if len(due) < batch:
            return total
