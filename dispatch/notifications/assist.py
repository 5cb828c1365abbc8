"""Who is told of 协办 and 吹哨报到: assisting departments of their part, the lead of a part given, summoned
departments of a whistle, the street office of reports and of overdue ones. Written like the rest of the inbox
(dispatch.notifications.services): once per (user, event, kind), in the platform's language, after commit.
"""

from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import Posting, Role
from cases.models import AssistPart, CaseEvent, Summons, Whistle
from dispatch.models import NotificationKind as Kind

from .services import notifications_create, notify_safely

__all__ = ["notify_assist", "notify_safely", "notify_whistle"]


def handlers_of(department_ids) -> set[int]:
    """The active handlers currently posted in any of `department_ids`."""
    postings = Posting.objects.current().filter(role=Role.HANDLER, user__is_active=True)
    postings = postings.filter(department_id__in=department_ids)
    return set(postings.values_list("user_id", flat=True))


def _event(event_id):
    return CaseEvent.objects.select_related("case__category", "department").filter(pk=event_id).first()


def _local(dt):
    return timezone.localtime(dt).strftime("%Y-%m-%d %H:%M")


def notify_assist(*, event_id: int) -> None:
    """A dispatch with assisting departments (their handlers get the work) or a part given (the lead is told)."""
    with translation.override(settings.LANGUAGE_CODE):
        event = _event(event_id)
        if event is None:
            return
        case = event.case
        values = {"number": case.number}
        if event.action == "assist_feedback":
            users = handlers_of([case.lead_department_id]) if case.lead_department_id else set()
            values["department"] = event.department.name if event.department else ""
            title = _("%(department)s gave its assisting part on case %(number)s") % values
            body = event.note
        else:
            parts = AssistPart.objects.open().filter(case=case, opened_at=event.at)
            users = handlers_of(list(parts.values_list("department_id", flat=True)))
            title = _("New work: assist with case %(number)s (协办)") % values
            body = f"{case.category.name} · {case.address or case.description[:60]}"
        users.discard(event.actor_id)
        notifications_create(kind=Kind.WORK, event=event, user_ids=users, title=title, body=body)


def notify_whistle(*, kind: str, event_id: int, whistle_id: int | None = None, summons_id: int | None = None) -> None:
    """A whistle blown (to the summoned departments), a report given or overdue (to the street office)."""
    with translation.override(settings.LANGUAGE_CODE):
        event = _event(event_id)
        if event is None:
            return
        case = event.case
        values = {"number": case.number}
        if kind == "blown":
            whistle = Whistle.objects.filter(pk=whistle_id).first()
            summoned = Summons.objects.filter(whistle_id=whistle_id)
            if whistle is None:
                return
            users = handlers_of(list(summoned.values_list("department_id", flat=True)))
            deadline = summoned.values_list("deadline", flat=True).first()
            title = _("Whistle (吹哨) on case %(number)s: report (报到) to the street office") % values
            body = whistle.note + "\n" + _("Report by %(deadline)s.") % {"deadline": _local(deadline)}
            notice = Kind.WORK
        else:
            summons = Summons.objects.select_related("whistle", "department").filter(pk=summons_id).first()
            if summons is None:
                return
            values["department"] = summons.department.name
            users = handlers_of([summons.whistle.department_id]) | {summons.whistle.blown_by_id}
            if kind == "reported":
                title = _("%(department)s reported (报到) to the whistle on case %(number)s") % values
                body, notice = summons.note, Kind.WORK
            else:
                users |= handlers_of([summons.department_id])
                title = _("%(department)s has not reported (报到) to the whistle on case %(number)s") % values
                body = _("The report was due %(deadline)s.") % {"deadline": _local(summons.deadline)}
                notice = Kind.OVERDUE
        users.discard(event.actor_id)
        notifications_create(kind=notice, event=event, user_ids=users, title=title, body=body)
