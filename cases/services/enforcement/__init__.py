"""The enforcement chain after its transfer (移送, the case action `transfer_to_enforcement`): 违法确认, 执法协作, the
penalty decision within the discretion standard, 挂牌督办, rectification and its verification, 办结反馈.

Every step locks the chain's row (SELECT … FOR UPDATE), so of two racing steps the second sees the new state and
gets a 409; checks who acts (`check_*`); writes the chain's event row in the same transaction; and, where the step
concerns the source case (confirmed, declined, reported back), writes an event into the source case's timeline and
restarts the case's clock when the transfer had stopped it.
"""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from .common import (
    HOLDING,
    acts_for_body,
    enforcement_actions_for,
    is_leader_over,
    may_list,
    rectifier_of,
)
from .extras import MAX_EVIDENCE_PHOTOS, enforcement_evidence_add, enforcement_party_set, enforcement_sweep
from .steps import (
    discretion_range,
    enforcement_close,
    enforcement_collaborate,
    enforcement_confirm,
    enforcement_decide,
    enforcement_decline,
    enforcement_feedback,
    enforcement_list,
    enforcement_part_give,
    enforcement_penalty_approve,
    enforcement_rectify,
    enforcement_verify,
)

# ---- one entry for the pages and the API ----

STEPS = (
    "confirm",
    "decline",
    "collaborate",
    "decide",
    "approve_penalty",
    "refuse_penalty",
    "list",
    "rectify",
    "verify",
    "feedback",
    "close",
    "party",
)


def enforcement_step(*, actor, enforcement_id, step, fields):
    """Take `step` with the fields it reads (the API's and the pages' one entry; each step checks the rest)."""
    note = fields.get("note", "")
    common = {"enforcement_id": enforcement_id, "actor": actor}
    if step == "confirm":
        return enforcement_confirm(
            **common, offence_code=fields.get("offence_code", ""), legal_basis=fields.get("legal_basis", ""), note=note
        )
    if step == "decline":
        return enforcement_decline(**common, reason=note)
    if step == "collaborate":
        return enforcement_collaborate(**common, department=fields.get("department", ""), request=note)
    if step == "decide":
        if fields.get("fine") is None:
            raise ValidationError({"fine": [_("Give the fine in yuan as a number.")]})
        return enforcement_decide(
            **common, circumstance=fields.get("circumstance") or "", fine=fields["fine"], reason=note
        )
    if step in ("approve_penalty", "refuse_penalty"):
        return enforcement_penalty_approve(**common, approve=step == "approve_penalty", note=note)
    if step == "list":
        return enforcement_list(
            **common,
            responsible=fields.get("department", ""),
            rectification=note,
            deadline=fields.get("deadline"),
            public=fields.get("public", False),
        )
    if step == "rectify":
        return enforcement_rectify(**common, note=note)
    if step == "verify":
        return enforcement_verify(**common, passed=fields.get("passed", True), note=note)
    if step == "feedback":
        return enforcement_feedback(**common, note=note)
    if step == "close":
        return enforcement_close(**common)
    if step == "party":
        return enforcement_party_set(
            **common,
            kind=fields.get("party_kind", ""),
            name=fields.get("party_name", ""),
            credit_code=fields.get("credit_code", ""),
            id_number=fields.get("id_number", ""),
        )
    raise ValidationError({"step": [_("Unknown step “%(step)s”.") % {"step": step}]})


__all__ = [
    "HOLDING",
    "MAX_EVIDENCE_PHOTOS",
    "STEPS",
    "acts_for_body",
    "discretion_range",
    "enforcement_actions_for",
    "enforcement_close",
    "enforcement_collaborate",
    "enforcement_confirm",
    "enforcement_decide",
    "enforcement_decline",
    "enforcement_evidence_add",
    "enforcement_feedback",
    "enforcement_list",
    "enforcement_part_give",
    "enforcement_party_set",
    "enforcement_penalty_approve",
    "enforcement_rectify",
    "enforcement_step",
    "enforcement_sweep",
    "enforcement_verify",
    "is_leader_over",
    "may_list",
    "rectifier_of",
]
