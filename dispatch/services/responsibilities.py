"""Writes to the responsibility list (权责清单) one rule at a time, as an administrator's script sends them."""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from dispatch.models import ResponsibilityRule

RULE_FIELDS = (
    "kind",
    "category",
    "region",
    "lead_department",
    "lead_street_office",
    "dispatch_level",
    "auto_dispatch",
    "active",
    "note",
)


def rule_save(*, rule: ResponsibilityRule | None = None, fields: dict, assisting=None) -> ResponsibilityRule:
    """Create a rule (`rule` None) or change the given fields of one, and set its assisting departments when given.

    Validated as the admin validates it (one lead, the category's kind, one rule per category or kind and region);
    a refusal is a ValidationError naming the field and nothing is written.
    """
    rule = rule or ResponsibilityRule()
    for name, value in fields.items():
        if name not in RULE_FIELDS:
            raise ValueError(f"not a writable rule field: {name}")
        setattr(rule, name, value)
    rule.full_clean()
    if assisting is not None and rule.lead_department_id and rule.lead_department_id in {d.pk for d in assisting}:
        raise ValidationError({"assisting_departments": [_("The lead department cannot also assist.")]})
    try:
        with transaction.atomic():
            rule.save()
            if assisting is not None:
                rule.assisting_departments.set(assisting)
    except IntegrityError:
        # Another request wrote the same category (or kind) and region between the check and the insert.
        raise ValidationError(
            {"region": [_("The list already has a rule for this category (or kind) and region.")]}
        ) from None
    return rule


def rule_delete(*, rule: ResponsibilityRule) -> None:
    """Remove a rule; cases routed by it keep their routing (the link is cleared). Prefer `active` false to keep
    the history readable."""
    rule.delete()
