"""Writes of Open311: client systems with their keys, and a POSTed service request becoming a reported case."""

import secrets

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Role, User
from accounts.scope import Scope
from cases.models import Open311Client, Open311Request, Source
from cases.selectors import case_duplicate_candidates
from cases.services.intake import case_report
from grids.models import Facility, Level, Region


@transaction.atomic
def open311_client_create(*, name: str, contact: str = "") -> tuple[Open311Client, str]:
    """A client system and its first key (returned: the only time it exists in plain text).

    Each client gets its own user, without a usable password and without postings: it cannot sign in, is told of
    nothing and is not assessed as an operator; its reports' histories name the client.
    """
    name = name.strip()
    if not name:
        raise ValidationError({"name": [_("Give the client system a name.")]})
    if Open311Client.objects.filter(name=name).exists():
        raise ValidationError({"name": [_("An Open311 client named “%(name)s” exists already.") % {"name": name}]})
    user = User(username=f"open311-{secrets.token_hex(4)}", full_name=name[:60])
    user.set_unusable_password()
    user.save()
    client = Open311Client(name=name, contact=contact, user=user)
    raw = client.issue_key()
    client.save()
    return client, raw


def open311_client_key_issue(*, client: Open311Client) -> str:
    """A new key for the client (the old one stops working; a revoked client is live again); returns it."""
    raw = client.issue_key()
    client.revoked_at = None
    client.save(update_fields=["key_prefix", "key_hash", "revoked_at"])
    return raw


def _desk_scope(user):
    """The client's user may enter reports from other systems anywhere in the city, as the centre's desk does.

    Only for this request, in memory: a posting would make it an operator the notifications tell of every new case
    and the assessment scores.
    """
    cities = Region.objects.filter(level=Level.CITY).values_list("path", flat=True)
    user._cityops_scope = Scope(region_roles={path: {Role.OPERATOR} for path in cities})
    return user


def open311_facility(code: str):
    """The facility an address_id or a facility_code attribute names, or None."""
    code = (code or "").strip()
    return Facility.objects.filter(code=code).only("code", "point", "class_code").first() if code else None


def open311_request_post(
    *,
    client: Open311Client,
    category,
    lon: float,
    lat: float,
    description: str,
    address: str = "",
    facility: str = "",
    contact_name: str = "",
    contact_phone: str = "",
    device_id: str = "",
    now=None,
) -> tuple[Open311Request, list]:
    """The request as a reported case from another system (source other_system) in the supervision centre's queue,
    located by its point, with the token the client may look it up by; also the open cases it may duplicate.

    One transaction: a refused report (outside every grid, a facility that is not there) leaves nothing behind.
    Raises ValidationError with the intake's messages.
    """
    now = now or timezone.now()
    user = _desk_scope(client.user)
    with transaction.atomic():
        case, _created = case_report(
            actor=user,
            category=category,
            description=description,
            lon=lon,
            lat=lat,
            source=Source.OTHER_SYSTEM,
            address=address,
            contact_name=contact_name,
            contact_phone=contact_phone,
            facility=facility,
            now=now,
        )
        request = Open311Request.objects.create(
            client=client, case=case, token=secrets.token_hex(16), device_id=device_id, created_at=now
        )
    duplicates = case_duplicate_candidates(case=case, user=user, now=now)
    return request, duplicates
