"""Write use-cases of people: postings that bind a user and a role to a region subtree or a department."""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from accounts.models import DEPARTMENT_ROLES, Posting, Role, User


def posting_check(*, role: str, region=None, department=None, user: User | None = None, posting_id=None) -> None:
    """Raise ValidationError (field messages) unless the role fits the place and `user` holds no other posting there."""
    if role not in Role.values:
        raise ValidationError({"role": _("Unknown role: %(role)s.") % {"role": role}})
    _check_place(role=role, region=region, department=department)
    if user is not None and user.pk is not None:
        _check_not_posted_twice(user=user, role=role, region=region, department=department, posting_id=posting_id)


def _check_place(*, role, region, department):
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


def _check_not_posted_twice(*, user, role, region, department, posting_id):
    same = Posting.objects.filter(user=user, role=role, region=region, department=department)
    if posting_id is not None:
        same = same.exclude(pk=posting_id)
    if same.exists():
        # The message sits on the place, the field an administrator would change to make the posting new.
        field = "department" if region is None else "region"
        message = _("%(user)s is already posted as %(role)s to %(place)s: change that posting's dates instead.")
        place = region if region is not None else department
        raise ValidationError({field: message % {"user": user, "role": Role(role).label, "place": place}})


@transaction.atomic
def posting_grant(*, user: User, role: str, region=None, department=None) -> Posting:
    """Give `user` the `role` over `region` (handlers: in `department`); a lapsed grant becomes current again."""
    posting_check(role=role, region=region, department=department)
    same = Posting.objects.filter(user=user, role=role, region=region, department=department).order_by("pk")
    posting = same.first()
    if posting is None:
        try:
            with transaction.atomic():
                posting = Posting.objects.create(user=user, role=role, region=region, department=department)
        except IntegrityError:
            # A concurrent grant of the same posting committed first (posting_unique): this grant is that one.
            posting = same.first()
            if posting is None:
                raise
    elif not Posting.objects.current().filter(pk=posting.pk).exists():
        # Granting again what had lapsed makes it current, open-ended.
        posting.valid_from = posting.valid_to = None
        posting.save(update_fields=["valid_from", "valid_to"])
    # The scope is cached on the user object; a new grant must be seen by the next check.
    user.__dict__.pop("_cityops_scope", None)
    return posting
