"""What a case shows the public through Open311: open or closed, status notes in public words, public fields only.

Never the reporter, the contact, the events' notes or anyone's name; the description with phone numbers masked.
"""

import re

from django.utils import timezone
from django.utils.translation import gettext as _

from cases.models import FINAL_STATUSES, Stage, Status

# Open311 knows two statuses; the notes say where the case is, in words a resident understands.
_NOTES = {
    Status.REPORTED: lambda: _("Received; waiting to be accepted by the supervision centre."),
    Status.VERIFYING: lambda: _("Received; a grid worker is checking the place."),
    Status.TO_REGISTER: lambda: _("Accepted; being filed as a case."),
    Status.TO_DISPATCH: lambda: _("Filed; being assigned to the responsible department."),
    Status.HANDLING: lambda: _("Being handled by the responsible department."),
    Status.RETURN_PENDING: lambda: _("Being handled; the responsible department is being confirmed."),
    Status.SUSPEND_PENDING: lambda: _("Being handled."),
    Status.SUSPENDED: lambda: _("Handling is postponed; it will resume."),
    Status.TO_CHECK: lambda: _("Handled; waiting for an on-site check."),
    Status.CHECKING: lambda: _("Handled; an on-site check is under way."),
    Status.TO_CLOSE: lambda: _("Handled and checked; about to be closed."),
    Status.VOID_PENDING: lambda: _("Being reviewed."),
    Status.CLOSED: lambda: _("Resolved and closed."),
    Status.SELF_CLOSED: lambda: _("Fixed on the spot."),
    Status.NOT_ACCEPTED: lambda: _("Not accepted: not a city-management problem, or not found on site."),
    Status.NOT_REGISTERED: lambda: _("Not filed as a case."),
    Status.VOIDED: lambda: _("Withdrawn."),
}
# 11-digit mobile numbers and landlines with area code: a description may quote a caller's number.
_PHONE = re.compile(r"(?<!\d)(1\d{2})\d{4}(\d{4})(?!\d)|(?<!\d)(0\d{2,3}-?)\d{7,8}(?!\d)")


def public_status(case) -> str:
    return "closed" if case.status in FINAL_STATUSES else "open"


def public_status_notes(case) -> str:
    if case.status == Status.NOT_ACCEPTED and case.duplicate_of_id:
        return _("Duplicate request: merged into %(number)s.") % {"number": case.duplicate_of.number}
    return str(_NOTES[case.status]())


def _mask(match):
    if match.group(1):
        return f"{match.group(1)}****{match.group(2)}"
    return f"{match.group(3)}********"


def public_description(text: str) -> str:
    return _PHONE.sub(_mask, text or "")


def w3c(moment) -> str | None:
    """ISO 8601 with the offset, in Asia/Shanghai: 2026-12-07T09:30:00+08:00."""
    return timezone.localtime(moment).isoformat(timespec="seconds") if moment else None


def service_code(category) -> str:
    """The kind letter and the code, as in case numbers (E0102): 部件 and 事件 classes share 4-digit codes."""
    return f"{category.kind}{category.code}"


def request_row(case) -> dict:
    """One service request in the specification's field order (JSON object, XML <request>)."""
    expected = case.stage_deadline if case.stage == Stage.HANDLING and case.status not in FINAL_STATUSES else None
    return {
        "service_request_id": case.number,
        "status": public_status(case),
        "status_notes": public_status_notes(case),
        "service_name": case.category.name,
        "service_code": service_code(case.category),
        "description": public_description(case.description),
        "agency_responsible": case.lead_department.name if case.lead_department_id else None,
        "service_notice": None,
        "requested_datetime": w3c(case.created_at),
        "updated_datetime": w3c(case.updated_at),
        "expected_datetime": w3c(expected),
        "address": case.address or None,
        "address_id": None,
        "zipcode": None,
        "lat": round(case.point.y, 6),
        "long": round(case.point.x, 6),
        # media_url is left out: case photos are as private as the case (served only to those in scope), and no
        # public copy of them exists.
    }
