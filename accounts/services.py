"""Write use-cases of people: postings that bind a user and a role to a region subtree or a department."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import DEPARTMENT_ROLES, Posting, Role, User


def posting_check(*, role: str, region=None, department=None) -> None:
    """Raise ValidationError (with field messages) unless the role fits a region or a department as given."""
    if role not in Role.values:
        raise ValidationError({"role": _("Unknown role: %(role)s.") % {"role": role}})
    errors = {}
    if role in DEPARTMENT_ROLES:
        if department is None:
            errors["department"] = _("A department handler must be posted to a department.")
        if region is not None:
            errors["region"] = _("A department handler works for a department, not over a region.")
    else:
        if region is None:
            errors["region"] = _("This role works over a region subtree: choose a region.")
        if department is not None:
            errors["department"] = _("Only department handlers are posted to a department.")
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def posting_grant(*, user: User, role: str, region=None, department=None) -> Posting:
    """Give `user` the `role` over `region` (handlers: in `department`); a lapsed grant becomes current again."""
    posting_check(role=role, region=region, department=department)
    posting, created = Posting.objects.get_or_create(user=user, role=role, region=region, department=department)
    if not created and not Posting.objects.current().filter(pk=posting.pk).exists():
        # Granting again what had lapsed makes it current, open-ended.
        posting.valid_from = posting.valid_to = None
        posting.save(update_fields=["valid_from", "valid_to"])
    # The scope is cached on the user object; a new grant must be seen by the next check.
    user.__dict__.pop("_cityops_scope", None)
    return posting
