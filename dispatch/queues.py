"""The lists people work from: the command centre's queue tabs and the department workspace's board.

Declared here, below the pages, so that the pages and the exports (which run in a background task) select exactly
the same cases: every list starts from `Case.objects.visible_to(user)` (through `cases.selectors`).
"""

from dataclasses import dataclass

from django.db.models import F, Q
from django.utils.translation import pgettext_lazy

from accounts.models import Role
from accounts.scope import user_scope
from cases.clock import light_q
from cases.models import Case, CaseRequest, Light, RequestKind, RequestState, Status
from cases.models.status import open_q
from cases.selectors import case_list_for_user

# The order of each list (the exports write their rows in it too). The command centre's: the running clock's
# deadline, soonest (or longest past) first; cases without a running clock (suspended, or a stage without a limit)
# after all the others; ties newest first. Its keyset pages follow it exactly (dispatch.pages.selectors), and the
# index case_deadline_id holds the rows in this order. The department board's: nearest deadline first.
COMMAND_LIST_ORDER = (F("stage_deadline").asc(nulls_last=True), F("id").desc())
DEPARTMENT_LIST_ORDER = ("stage_deadline", "id")
# The statuses a department works on: handling and the requests it made from there.
DEPARTMENT_STATUSES = (Status.HANDLING, Status.RETURN_PENDING, Status.SUSPEND_PENDING, Status.SUSPENDED)


def _open_q():
    return open_q()


def _pending_extension():
    # IN (the few pending extension requests) rather than a correlated EXISTS: inside the counts' aggregate
    # PostgreSQL hashes the subquery once instead of probing the requests for every case in handling.
    pending = CaseRequest.objects.filter(kind=RequestKind.EXTENSION, state=RequestState.PENDING)
    return Q(pk__in=pending.values("case_id"))


@dataclass(frozen=True)
class Queue:
    key: str
    label: str
    light: str = ""  # a queue drawn with a light's colour (超期: red)


QUEUES = [
    Queue("all", pgettext_lazy("queue", "All open")),
    Queue("reported", pgettext_lazy("queue", "To accept")),
    Queue("verifying", pgettext_lazy("queue", "To verify")),
    Queue("to_register", pgettext_lazy("queue", "To register")),
    Queue("to_dispatch", pgettext_lazy("queue", "To dispatch")),
    Queue("handling", pgettext_lazy("queue", "Handling")),
    Queue("to_check", pgettext_lazy("queue", "To check")),
    Queue("to_close", pgettext_lazy("queue", "To close")),
    Queue("overdue", pgettext_lazy("queue", "Overdue"), light=Light.RED),
    Queue("approvals", pgettext_lazy("queue", "Approvals")),
    Queue("suspended", pgettext_lazy("queue", "Suspended")),
    Queue("supervised", pgettext_lazy("queue", "Supervision orders")),
]
QUEUE_KEYS = [q.key for q in QUEUES]


def queue_q(key: str, now) -> Q:
    """The filter of one queue tab."""
    by_status = {
        "reported": [Status.REPORTED],
        "verifying": [Status.VERIFYING],
        "to_register": [Status.TO_REGISTER],
        "to_dispatch": [Status.TO_DISPATCH],
        "handling": [Status.HANDLING],
        "to_check": [Status.TO_CHECK, Status.CHECKING],
        "to_close": [Status.TO_CLOSE],
        "suspended": [Status.SUSPENDED],
    }
    if key in by_status:
        return Q(status__in=by_status[key])
    if key == "overdue":
        return _open_q() & light_q(Light.RED, now)
    if key == "approvals":
        pending = [Status.RETURN_PENDING, Status.SUSPEND_PENDING, Status.VOID_PENDING]
        return Q(status__in=pending) | (Q(status=Status.HANDLING) & _pending_extension())
    if key == "supervised":
        return _open_q() & Q(supervised=True)
    return _open_q()


def level_q(level) -> Q:
    """Whose command centre a case is before: the city's when it commands the case (Case.command_level) or the
    case sits in its queue (routed or escalated there, see dispatch.selectors); else the district's."""
    from dispatch.models import CommandLevel

    city = Q(command_level=CommandLevel.CITY) | Q(routing__level=CommandLevel.CITY)
    if level == CommandLevel.CITY:
        return city
    return ~city


def command_list_queryset(*, user, queue: str, filters: dict, level: str = "", now):
    """The command centre's list of one tab: the user's cases, the validated filters, the command level; unordered."""
    qs = case_list_for_user(user=user, filters=filters, now=now).filter(queue_q(queue, now))
    if level:
        qs = qs.filter(level_q(level))
    return qs


def department_list_queryset(*, user):
    """The department workspace's cases: those the user's departments lead, in handling or asking from there."""
    department_ids = user_scope(user).department_ids(Role.HANDLER)
    return Case.objects.visible_to(user).filter(lead_department__in=department_ids, status__in=DEPARTMENT_STATUSES)
