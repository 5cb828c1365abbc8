"""Pending requests belong to the stage that raised them."""

from cases.models import FINAL_STATUSES, CaseRequest, RequestKind, RequestState, Status

HANDLING_GROUP = frozenset({Status.HANDLING, Status.RETURN_PENDING, Status.SUSPEND_PENDING, Status.SUSPENDED})
HANDLING_REQUESTS = (RequestKind.RETURN, RequestKind.EXTENSION, RequestKind.SUSPENSION)


def lapsing_kinds(*, from_status, to_status) -> frozenset:
    """The kinds of pending request that lapse when a case moves from `from_status` to `to_status`.

    Every request when the case ends; the department's requests when the case leaves handling (returned, fed
    back). A void request is an overlay: while it waits the department's requests wait too, and they are still
    there if the void is rejected.
    """
    if to_status in FINAL_STATUSES:
        return frozenset(RequestKind.values)
    if from_status in HANDLING_GROUP and to_status not in HANDLING_GROUP | {Status.VOID_PENDING}:
        return frozenset(HANDLING_REQUESTS)
    return frozenset()


def requests_lapse(*, case, from_status, to_status, now):
    """Pending requests whose stage ended lapse (`lapsing_kinds`); returns how many."""
    kinds = lapsing_kinds(from_status=from_status, to_status=to_status)
    if not kinds:
        return 0
    pending = CaseRequest.objects.filter(case=case, state=RequestState.PENDING, kind__in=kinds)
    return pending.update(state=RequestState.LAPSED, decided_at=now)
