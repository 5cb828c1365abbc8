"""Management credit (管理征信): registering a chain's party — a business by its unified social credit code, a
person by the salted hash of the ID number — and who may read the register."""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from accounts.models import Role
from accounts.scope import user_scope
from cases.credit import id_hash, id_mask, id_valid, uscc_normal, uscc_valid
from cases.models import Party, PartyKind
from grids.models import Department, DepartmentKind


def may_read_credit(user) -> bool:
    """The register is for leaders and the handlers of law-enforcement units (and administrators), no one else."""
    scope = user_scope(user)
    if scope.everything or Role.LEADER in scope.roles:
        return True
    departments = scope.department_ids(Role.HANDLER)
    return bool(departments) and Department.objects.filter(pk__in=departments, kind=DepartmentKind.ENFORCEMENT).exists()


def party_register(*, kind, name, credit_code="", id_number="") -> Party:
    """The party with this code (business) or ID number (person), registered now if new; 400 on a bad identifier."""
    name = str(name or "").strip()
    if not name or len(name) > 100:
        raise ValidationError({"party_name": [_("Give the party's name (at most 100 characters).")]})
    if kind == PartyKind.BUSINESS:
        code = uscc_normal(credit_code)
        if not uscc_valid(code):
            raise ValidationError(
                {"credit_code": [_("This is not a valid unified social credit code (18 characters, check character).")]}
            )
        lookup, defaults = {"credit_code": code}, {"kind": kind, "name": name}
    elif kind == PartyKind.INDIVIDUAL:
        if not id_valid(id_number):
            raise ValidationError(
                {"id_number": [_("This is not a valid resident ID number (18 characters, check digit).")]}
            )
        lookup = {"id_hash": id_hash(id_number)}
        defaults = {"kind": kind, "name": name, "id_masked": id_mask(id_number)}
    else:
        raise ValidationError({"party_kind": [_("Choose a business or an individual.")]})
    try:
        with transaction.atomic():
            party, _created = Party.objects.get_or_create(**lookup, defaults=defaults)
    except IntegrityError:  # registered by a concurrent request meanwhile
        party = Party.objects.get(**lookup)
    return party
