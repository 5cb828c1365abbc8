"""Write use-cases of notifications: who is told of a case event, the inbox, and the rows the outbox sends.

Every notification answers one case event. The inbox row is unique per (user, event, kind), so a signal
delivered twice, a retried task or a re-announced timer inserts nothing the second time; the outbox row is
unique per (notification, channel) for the same reason. Texts are written in the platform's language
(settings.LANGUAGE_CODE): they are read by someone other than the person whose request caused them.
"""

import logging
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import Role
from cases.models import CaseEvent, CaseRequest, RequestKind, RequestState, Stage, Status
from cases.workflow import ACTIONS, STAGE_OF, decided_request, opened_request
from dispatch.models import (
    Channel,
    Notification,
    NotificationKind,
    NotificationPreference,
    OutboxMessage,
    OutboxState,
    SupervisionOrder,
)
from dispatch.models.notifications import URGENT_KINDS
from dispatch.notifications import selectors as who
from grids.models import Department

logger = logging.getLogger(__name__)
Kind = NotificationKind


def _local(dt):
    return timezone.localtime(dt).strftime("%Y-%m-%d %H:%M") if dt else "—"


def _load_events(event_ids):
    return CaseEvent.objects.select_related("case__category", "actor").defer("case__point").filter(pk__in=event_ids)


def _load_event(event_id):
    return _load_events([event_id]).first()


# ---- creating notifications ----


@dataclass(frozen=True)
class Draft:
    """One notification to write: `kind` about `event`, to `user_ids`."""

    kind: str
    event: CaseEvent
    user_ids: frozenset
    title: str
    body: str = ""


def notifications_create(*, kind: str, event, user_ids, title: str, body: str = "") -> None:
    """Inbox rows for `user_ids` about `event` (once each) and, for urgent kinds, their email and SMS copies."""
    notifications_create_many([Draft(kind, event, frozenset(user_ids), title, body)])


def notifications_create_many(drafts) -> None:
    """Write many drafts at once: one statement for the inbox rows, one for their email and SMS copies.

    SQL rather than bulk_create because a burst of timers writes tens of thousands of rows, where building
    model instances costs more than the database's work. Existing rows are left alone (ON CONFLICT DO NOTHING
    on the unique constraints), so drafts delivered twice write nothing the second time. The copies follow each
    recipient's channel preferences (NotificationPreference), or the kind's default where they chose nothing.
    """
    rows = [(u, d) for d in drafts for u in sorted(u for u in d.user_ids if u is not None)]
    if not rows:
        return
    now = timezone.now()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            INBOX_SQL.format(inbox=Notification._meta.db_table),
            {
                "user": [u for u, _d in rows],
                "kind": [d.kind for _u, d in rows],
                "case": [d.event.case_id for _u, d in rows],
                "event": [d.event.pk for _u, d in rows],
                "title": [d.title[:200] for _u, d in rows],
                "body": [d.body for _u, d in rows],
                "now": now,
            },
        )
        sent = [d for d in drafts if d.user_ids]
        tables = {
            "inbox": Notification._meta.db_table,
            "outbox": OutboxMessage._meta.db_table,
            "prefs": NotificationPreference._meta.db_table,
            "users": get_user_model()._meta.db_table,
        }
        cursor.execute(
            OUTBOX_SQL.format(**tables),
            {
                "event": [d.event.pk for d in sent],
                "kind": [d.kind for d in sent],
                "urgent": sorted(str(k) for k in URGENT_KINDS),
                "now": now,
                "email": Channel.EMAIL.value,
                "sms": Channel.SMS.value,
                "pending": OutboxState.PENDING.value,
            },
        )


INBOX_SQL = """
INSERT INTO {inbox} (user_id, kind, case_id, event_id, title, body, created_at)
SELECT v.*, %(now)s FROM unnest(
    %(user)s::bigint[], %(kind)s::varchar[], %(case)s::bigint[], %(event)s::bigint[], %(title)s::varchar[],
    %(body)s::text[]
) AS v
ON CONFLICT DO NOTHING
"""

# Email to those with an address, SMS (the title only) to those with a phone, each when the user's preference
# for the kind says so, or, without a preference, when the kind is urgent. The key (one per notification and
# channel, unique) makes a second fan-out of the same drafts insert nothing.
OUTBOX_SQL = """
INSERT INTO {outbox} (notification_id, channel, key, recipient, subject, body, state, attempts, next_attempt_at,
                      last_error, created_at)
SELECT n.id, c.channel, 'notification:' || n.id || ':' || c.channel,
       CASE c.channel WHEN %(email)s THEN u.email ELSE u.phone END,
       CASE c.channel WHEN %(email)s THEN n.title ELSE '' END,
       CASE c.channel WHEN %(email)s THEN n.body ELSE n.title END,
       %(pending)s, 0, %(now)s, '', %(now)s
FROM unnest(%(event)s::bigint[], %(kind)s::varchar[]) AS w(event_id, kind)
JOIN {inbox} n ON n.event_id = w.event_id AND n.kind = w.kind
JOIN {users} u ON u.id = n.user_id
LEFT JOIN {prefs} p ON p.user_id = n.user_id AND p.kind = n.kind
CROSS JOIN (VALUES (%(email)s), (%(sms)s)) AS c(channel)
WHERE CASE c.channel WHEN %(email)s THEN u.email ELSE u.phone END <> ''
  AND coalesce(CASE c.channel WHEN %(email)s THEN p.email ELSE p.sms END, n.kind = ANY(%(urgent)s::varchar[]))
ORDER BY n.id, c.channel
ON CONFLICT DO NOTHING
"""


def notify_safely(function, **kwargs) -> None:
    """Run a notify_* function after commit without letting its failure turn a committed action into a 500."""
    try:
        function(**kwargs)
    except Exception:  # noqa: BLE001 - the action committed; a lost notice is logged, not raised
        logger.exception("notification %s(%.500r) failed", function.__name__, kwargs)


# ---- who is told of a transition ----


def _queue_owners(case, status, people) -> set[int]:
    """Whose queue a case in `status` is (DOMAIN §4): the people who must act next."""
    path = case.region_path
    if status in (Status.VERIFYING, Status.CHECKING):
        return {case.assignee_id} if case.assignee_id else set()
    if status in (Status.REPORTED, Status.TO_CHECK):
        return people.covering(region_path=path, role=Role.OPERATOR)
    if status in (Status.TO_REGISTER, Status.TO_CLOSE, Status.VOID_PENDING):
        return people.covering(region_path=path, role=Role.SHIFT_LEAD)
    if status in (Status.TO_DISPATCH, Status.RETURN_PENDING, Status.SUSPEND_PENDING):
        return people.command(case=case)
    if status == Status.HANDLING:
        return people.department_handlers(department_id=case.lead_department_id)
    return set()


def notify_transition(*, event_id: int) -> None:
    """After a transition: new work for whoever's queue the case entered; the decision for the requester."""
    with translation.override(settings.LANGUAGE_CODE):
        event = _load_event(event_id)
        if event is None:
            return
        _notify_decision(event)
        _notify_command(event)
        _notify_work(event)


def _notify_work(event):
    case, action = event.case, event.action
    decided, opened = decided_request(action), opened_request(action)
    if (decided and not decided[1]) or event.from_status == Status.VOID_PENDING:
        return  # the case goes back where it was; the requester hears the decision
    is_request = opened is not None
    if not is_request and (event.from_status == event.to_status or case.status != event.to_status):
        return  # nothing new, or the case already left that queue (e.g. auto-dispatched right after filing)
    people = who.Recipients([case])
    if action == "request_extension":
        owners = people.command(case=case)
    else:
        owners = _queue_owners(case, event.to_status, people)
    owners.discard(event.actor_id)  # nobody is told what they just did
    values = {"number": case.number, "status": Status(event.to_status).label}
    if is_request:
        values["kind"] = RequestKind(opened).label
        title = _("Request “%(kind)s” on case %(number)s awaits your decision") % values
    elif event.to_status == Status.REPORTED and case.self_handled:
        title = _("Fixed on the spot: case %(number)s awaits your confirmation") % values
    else:
        title = _("New work: case %(number)s is now “%(status)s”") % values
    body = f"{case.category.name} · {case.address or case.description[:60]}"
    if event.note:
        body += f"\n{event.note}"
    notifications_create(kind=Kind.WORK, event=event, user_ids=owners, title=title, body=body)


def _notify_command(event):
    """The command centre's own follow-up: 改派 tells the new and the previous department, 催办 the lead one."""
    spec = ACTIONS.get(event.action)
    follow_up = spec.follow_up if spec is not None else ()
    case = event.case
    values = {"number": case.number}
    body = f"{case.category.name} · {case.address or case.description[:60]}"
    if event.note:
        body += f"\n{event.note}"
    if "notify_previous_department" in follow_up:
        new = Department.objects.filter(code=event.data.get("lead")).first()
        old = Department.objects.filter(code=event.data.get("previous")).first() if event.data.get("previous") else None
        people = who.Recipients([case], departments=[d.pk for d in (new, old) if d is not None])
        values["department"] = new.name if new else "—"
        if new is not None:
            users = people.department_handlers(department_id=new.pk) - {event.actor_id}
            title = _("Case %(number)s was re-dispatched to your department") % values
            notifications_create(kind=Kind.WORK, event=event, user_ids=users, title=title, body=body)
        if old is not None and old != new:
            users = people.department_handlers(department_id=old.pk) - {event.actor_id}
            title = _("Case %(number)s was re-dispatched to %(department)s") % values
            notifications_create(kind=Kind.REDISPATCH, event=event, user_ids=users, title=title, body=body)
    if "notify_lead_department" in follow_up:
        people = who.Recipients([case])
        users = people.department_handlers(department_id=event.department_id or case.lead_department_id)
        users.discard(event.actor_id)
        title = _("The command centre urges case %(number)s") % values
        notifications_create(kind=Kind.URGE, event=event, user_ids=users, title=title, body=body)


def _notify_decision(event):
    decided = decided_request(event.action)
    if decided is None:
        return
    kind, approved = decided
    requester = (
        CaseRequest.objects.filter(case_id=event.case_id, kind=kind, decided_by_id=event.actor_id)
        .exclude(state=RequestState.PENDING)
        .order_by("-decided_at", "-id")
        .values_list("requested_by_id", flat=True)
        .first()
    )
    if requester is None or requester == event.actor_id:
        return
    values = {"kind": RequestKind(kind).label, "number": event.case.number}
    if approved:
        title = _("Your request “%(kind)s” on case %(number)s was approved") % values
    else:
        title = _("Your request “%(kind)s” on case %(number)s was rejected") % values
    notifications_create(kind=Kind.DECISION, event=event, user_ids={requester}, title=title, body=event.note)


# ---- who is told when a stage timer fires ----


def _stage_owners(case, stage, people) -> set[int]:
    """The people working the case's `stage`: for handling the department and its command centre."""
    if stage == Stage.HANDLING:
        owners = people.department_handlers(department_id=case.lead_department_id)
        return owners | people.command(case=case)
    if STAGE_OF.get(case.status) != stage:
        return set()  # the case has moved on since the timer fired
    return _queue_owners(case, case.status, people)


def _escalation_targets(case, notify, propose_supervision, people) -> set[int]:
    from dispatch.models import EscalationTarget as T

    users = set()
    if T.DEPARTMENT_LEADER in notify:
        users |= people.department_leaders(case=case)
    if T.DISTRICT_COMMAND in notify:
        users |= people.district_command(region_path=case.region_path)
    if T.CITY_COMMAND in notify:
        users |= people.city_command(region_path=case.region_path)
    if propose_supervision or not notify:
        # Leaders issue supervision orders; a step that names nobody still reaches leaders and the city centre.
        users |= people.covering(region_path=case.region_path, role=Role.LEADER)
    if not notify:
        users |= people.city_command(region_path=case.region_path)
    return users


def notify_timers(*, marks) -> None:
    """Stage timers fired: warning and overdue to the people working each case, escalations up the ladder.

    `marks` are the dicts of the `timers_fired` signal, a whole sweep batch at a time: their events are read
    in one query, the postings once per role, and every notification and outbox copy written in bulk.
    """
    events = {e.pk: e for e in _load_events([m["event_id"] for m in marks])}
    cases = {e.case_id: e.case for e in events.values()}
    people = who.Recipients(cases.values())
    people.load_levels(cases)
    with translation.override(settings.LANGUAGE_CODE):
        stages = {value: str(label) for value, label in Stage.choices}  # once per batch, not per mark
        drafts = [
            draft
            for mark in marks
            if mark["event_id"] in events
            and (draft := _timer_draft(events[mark["event_id"]], mark, people, stages)) is not None
        ]
    notifications_create_many(drafts)


def _timer_draft(event, mark, people, stages):
    case, level, stage = event.case, mark["level"], mark["stage"]
    notify, propose_supervision = tuple(mark.get("notify") or ()), bool(mark.get("propose_supervision"))
    values = {
        "number": case.number,
        "stage": stages.get(stage, stage),
        "percent": mark.get("percent") or "",
        "deadline": _local(event.stage_deadline or case.stage_deadline),
    }
    body = _("Stage deadline: %(deadline)s.") % values
    if level == "warning":
        kind, users = Kind.WARNING, _stage_owners(case, stage, people)
        title = _("Warning: case %(number)s nears its deadline (%(stage)s)") % values
    elif level == "overdue":
        kind, users = Kind.OVERDUE, _stage_owners(case, stage, people)
        title = _("Overdue: case %(number)s passed its deadline (%(stage)s)") % values
    elif level.startswith("escalation"):
        kind, users = Kind.ESCALATION, _escalation_targets(case, notify, propose_supervision, people)
        title = _("Escalation: case %(number)s has used %(percent)s %% of its limit (%(stage)s)") % values
        if propose_supervision:
            body += "\n" + _("A supervision order (督办) is proposed.")
    else:
        logger.warning("unknown timer level %r for event %s", level, event.pk)
        return None
    return Draft(kind, event, frozenset(users), title, body)


# ---- supervision orders ----


def notify_order(*, order_id: int, event_id: int, kind: str) -> None:
    """An order was issued (to the department and its command centre), replied (to its leader) or went overdue
    (to its leader and the city command centre)."""
    with translation.override(settings.LANGUAGE_CODE):
        event = _load_event(event_id)
        order = SupervisionOrder.objects.filter(pk=order_id).first()
        if event is None or order is None:
            return
        case = event.case
        people = who.Recipients([case])
        values = {"number": case.number, "deadline": _local(order.reply_deadline)}
        if kind == Kind.ORDER:
            users = people.department_handlers(department_id=case.lead_department_id)
            users |= people.command(case=case)
            if order.formal:
                title = _("Formal supervision order (挂牌督办) on case %(number)s") % values
            else:
                title = _("Supervision order (督办) on case %(number)s") % values
            body = order.note + "\n" + _("Reply by %(deadline)s.") % values
        elif kind == Kind.ORDER_REPLY:
            users = {order.issued_by_id}
            title = _("Reply to your supervision order on case %(number)s") % values
            body = order.reply
        elif kind == Kind.ORDER_OVERDUE:
            users = {order.issued_by_id} | people.city_command(region_path=case.region_path)
            title = _("Supervision order on case %(number)s unanswered") % values
            body = _("The reply was due %(deadline)s.") % values
        else:
            raise ValueError(f"not an order notification: {kind}")
        users.discard(event.actor_id)
        notifications_create(kind=kind, event=event, user_ids=users, title=title, body=body)


# ---- the inbox ----


def notification_mark_read(*, user, notification_id: int, now=None) -> Notification | None:
    """Mark one of the user's own notifications read (once); None when it is not theirs."""
    now = now or timezone.now()
    Notification.objects.filter(pk=notification_id, user=user, read_at__isnull=True).update(read_at=now)
    return Notification.objects.filter(pk=notification_id, user=user).first()


def notification_mark_all_read(*, user, now=None) -> int:
    """Mark every unread notification of the user read; returns how many."""
    return Notification.objects.filter(user=user, read_at__isnull=True).update(read_at=now or timezone.now())


def notification_preferences_set(*, user, choices: dict) -> None:
    """Save the user's email/SMS choice per kind ({kind: {"email": bool, "sms": bool}}).

    A choice equal to the kind's default is stored as no row at all, so a later change of the defaults reaches
    everyone who never chose otherwise.
    """
    from dispatch.models.notifications import channel_defaults

    unknown = set(choices) - set(NotificationKind.values)
    if unknown:
        raise ValueError(f"unknown notification kinds: {sorted(unknown)}")
    with transaction.atomic():
        NotificationPreference.objects.filter(user=user, kind__in=list(choices)).delete()
        NotificationPreference.objects.bulk_create(
            NotificationPreference(user=user, kind=kind, email=bool(c["email"]), sms=bool(c["sms"]))
            for kind, c in choices.items()
            if {"email": bool(c["email"]), "sms": bool(c["sms"])} != channel_defaults(kind)
        )
