"""Pending requests belong to the stage that raised them."""

from django.db.models import Q

from cases.models import FINAL_STATUSES, CaseRequest, RequestKind, RequestState, Status

HANDLING_GROUP = frozenset({Status.HANDLING, Status.RETURN_PENDING, Status.SUSPEND_PENDING, Status.SUSPENDED})
HANDLING_REQUESTS = (RequestKind.RETURN, RequestKind.EXTENSION, RequestKind.SUSPENSION)


def requests_lapse(*, case, from_status, to_status, now):
    """Requests still pending when their stage ends lapse: the department's requests when the case leaves
    handling (returned, fed back), every request when the case ends. A void request is an overlay: while it
    waits the department's requests wait too, and they are still there if the void is rejected."""
    pending = CaseRequest.objects.filter(case=case, state=RequestState.PENDING)
    if to_status in FINAL_STATUSES:
        lapsing = pending
    elif from_status in HANDLING_GROUP and to_status not in HANDLING_GROUP | {Status.VOID_PENDING}:
        lapsing = pending.filter(Q(kind__in=HANDLING_REQUESTS))
    else:
        return 0
    return lapsing.update(state=RequestState.LAPSED, decided_at=now)
