"""Emergencies (突发): the alert that goes out at once, in the same transaction as the event that causes it.

An urgency whose policy says `alert` tells, as soon as a case has it, the city shift leads and then the on-duty
contact of every department the case reaches (routing proposal, dispatch, re-dispatch): the people on duty by
inbox and SMS (through the notifications' outbox), the duty phone by SMS. The people on duty are those the duty
roster (值班表) has on duty for the department at the event's time, each also by SMS to their shift's duty phone
when the shift names one; only when nobody is rostered, the department's standing duty people and duty phone.
Each target is alerted once per case (an EmergencyAlert row is the claim), whatever number of events follow.
"""

from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from cases.models import FINAL_STATUSES
from cases.services.stages import case_urgency_policy
from dispatch.models import Channel, EmergencyAlert, NotificationKind, OutboxMessage, OutboxState
from dispatch.notifications import selectors as who
from dispatch.notifications.services import Draft, notifications_create_many
from grids.duty_selectors import duty_people_for_department
from grids.models import Department


def emergency_alert(*, case, event, department_id: int | None = None) -> int:
    """Alert the shift leads and the duty of the case's lead department (or `department_id`) not yet alerted.

    Call it in the transaction that writes `event`, with the case row locked (a transition or routing holds it;
    intake creates it), so that two alerts of the same target cannot race. Returns the number of targets alerted.
    Writes EmergencyAlert rows, inbox rows with their SMS/email copies, and an SMS to each duty phone.
    """
    if case.status in FINAL_STATUSES or not case_urgency_policy(case).alert:
        return 0
    department_id = department_id or case.lead_department_id
    targets = [None] if department_id is None else [None, department_id]
    done = set(EmergencyAlert.objects.filter(case_id=case.pk).values_list("department_id", flat=True))
    todo = [target for target in targets if target not in done]
    if not todo:
        return 0
    with translation.override(settings.LANGUAGE_CODE):
        title, body = _alert_text(case), _body(case)
    people = who.Recipients([case])
    departments = Department.objects.in_bulk([t for t in todo if t is not None])
    drafts, phones = [], []
    for target in todo:
        if target is None:
            users, phone = people.city_shift_leads(region_path=case.region_path), ""
        else:
            users, numbers = _on_duty(departments[target], at=event.at or timezone.now())
            phone = numbers[0] if numbers else ""
            phones.extend(numbers)
        EmergencyAlert.objects.create(case_id=case.pk, department_id=target, event=event, users=len(users), phone=phone)
        drafts.append(Draft(NotificationKind.EMERGENCY, event, frozenset(users), title, body))
    notifications_create_many(drafts)
    _sms_to_phones(case.pk, phones, title)
    return len(todo)


def _on_duty(department, *, at) -> tuple[set[int], list[str]]:
    """Who is told for the department and which numbers get an SMS of their own: the rostered people and their
    shifts' duty phones (their own phones get the inbox's SMS copy), else the standing duty people and phone."""
    rostered = duty_people_for_department(department_id=department.pk, at=at)
    if rostered:
        return {p.user_id for p in rostered}, [p.shift_phone for p in rostered if p.shift_phone]
    users = set(department.duty_users.filter(is_active=True).values_list("pk", flat=True))
    return users, [department.duty_phone.strip()] if department.duty_phone.strip() else []


def _alert_text(case) -> str:
    """The SMS: short enough for one message, with what and where."""
    values = {
        "number": case.number,
        "category": case.category.name,
        "place": case.address or case.description[:40],
    }
    return _("Emergency: case %(number)s, %(category)s, %(place)s") % values


def _body(case) -> str:
    deadline = timezone.localtime(case.stage_deadline).strftime("%Y-%m-%d %H:%M") if case.stage_deadline else "—"
    return f"{case.description[:200]}\n" + _("Stage deadline: %(deadline)s.") % {"deadline": deadline}


def _sms_to_phones(case_id, phones, text) -> None:
    """An SMS for each duty phone; outbox rows without an inbox row (the phone belongs to a post, not a user).

    One per case and phone (the key): two departments sharing a duty phone, or a retried alert, send one SMS.
    """
    now = timezone.now()
    OutboxMessage.objects.bulk_create(
        [
            OutboxMessage(
                channel=Channel.SMS,
                key=f"emergency:{case_id}:{phone}",
                recipient=phone,
                body=text,
                state=OutboxState.PENDING,
                next_attempt_at=now,
            )
            for phone in dict.fromkeys(phones)
        ],
        ignore_conflicts=True,
    )
