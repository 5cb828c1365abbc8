"""What a follow link shows: the public timeline and the outcome photos. Never notes, names or reporter data."""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from cases.models import FINAL_STATUSES, RATE_EVENT, CaseEvent, CasePhoto, PhotoKind, Satisfaction, Status

# The public words of each step a resident may see, by action. Steps not named here (requests, extensions,
# orders, timers, call-backs, internal checks) stay inside the centre: the timeline does not show them.
PUBLIC_WORDS = {
    "report": _("Your report was received by the supervision centre."),
    "accept": _("Accepted: the report is a matter for the city's services."),
    "refuse": _("Not accepted: the report is not a matter for the city's services."),
    "verify": _("A city inspector looked at the place."),
    "merge": _("Joined with an earlier report of the same problem."),
    "register": _("Filed as a case."),
    "refuse_registration": _("Not filed as a case."),
    "dispatch": _("Sent to the responsible department."),
    "redispatch": _("Sent to another department."),
    "approve_suspension": _("Work paused: it waits on something outside the department's hands."),
    "resume": _("Work resumed."),
    "feedback": _("The department reported the work done."),
    "check": _("A city inspector checked the work on site."),
    "close": _("Closed: the problem is dealt with."),
    "approve_void": _("Withdrawn by the supervision centre."),
    "reopen": _("Reopened: the department works on it again."),
    "transfer_to_enforcement": _("Passed to the law-enforcement authority."),
    "enforcement_confirmed": _("The law-enforcement authority confirmed a violation."),
    "enforcement_feedback": _("The law-enforcement authority reported its result."),
    "self_close": _("Fixed on the spot."),
}
# What a resident reads as the state of their report.
PUBLIC_STATE = {
    Status.REPORTED: pgettext_lazy("public state", "Received"),
    Status.VERIFYING: pgettext_lazy("public state", "Being looked at"),
    Status.CLOSED: pgettext_lazy("public state", "Closed"),
    Status.NOT_ACCEPTED: pgettext_lazy("public state", "Not accepted"),
    Status.NOT_REGISTERED: pgettext_lazy("public state", "Not filed"),
    Status.VOIDED: pgettext_lazy("public state", "Withdrawn"),
    Status.SELF_CLOSED: pgettext_lazy("public state", "Closed"),
}
IN_HAND = pgettext_lazy("public state", "Being dealt with")


@dataclass(frozen=True)
class PublicStep:
    at: object
    words: str


def public_state(case) -> str:
    return str(PUBLIC_STATE.get(case.status, IN_HAND))


def public_timeline(case) -> list[PublicStep]:
    """The steps a resident may see, oldest first: the time and the public words, nothing else."""
    events = CaseEvent.objects.filter(case=case).order_by("id").values_list("action", "at", "data")
    steps = []
    for action, at, data in events:
        if action == RATE_EVENT:
            label = Satisfaction(data.get("satisfaction")).label if data.get("satisfaction") else ""
            steps.append(PublicStep(at, str(_("You rated the result: %(rating)s")) % {"rating": label}))
        elif action in PUBLIC_WORDS:
            steps.append(PublicStep(at, str(PUBLIC_WORDS[action])))
    return steps


def public_outcome_photos(case):
    """The photos of the result (after the work, and the on-site check), once the case is closed."""
    if case.status not in FINAL_STATUSES:
        return CasePhoto.objects.none()
    return CasePhoto.objects.filter(case=case, kind__in=(PhotoKind.AFTER, PhotoKind.VERIFICATION)).order_by("id")


def public_outcome_photo(case, photo_id):
    return public_outcome_photos(case).filter(pk=photo_id).only("image", "thumbnail").first()
