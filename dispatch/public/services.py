"""Writes of the public portal: a resident's report, the SMS code that checks their phone, the one rating, and
the SMS updates a checked phone gets when its case is accepted and closed."""

import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from cases.models import Source
from cases.services.intake import case_report
from cases.services.satisfaction import case_rate
from dispatch.models import Channel, OutboxMessage, OutboxState, PublicFollow, token_digest, token_new
from huizhou_cityops.errors import ConflictError

# The transitions a resident who asked for updates hears of by SMS.
UPDATE_ACTIONS = ("accept", "close")


def portal_user():
    """The system user that enters the portal's reports (Case.created_by): no password, no posting, never signs in."""
    user_model = get_user_model()
    user, created = user_model.objects.get_or_create(
        username=settings.PUBLIC_PORTAL_USERNAME,
        defaults={"full_name": "公众门户 (public portal)", "is_active": False},
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user


@dataclass(frozen=True)
class Reported:
    case: object
    follow: PublicFollow
    token: str  # shown once: only its digest is stored
    code_sent: bool


def public_report(
    *,
    category,
    description: str,
    lon: float,
    lat: float,
    address: str = "",
    contact_name: str = "",
    contact_phone: str = "",
    wants_updates: bool = False,
    wants_callback: bool = False,
    photos=(),
    now=None,
) -> Reported:
    """A resident's report: the case (located, numbered, in the centre's acceptance queue like any public report),
    its follow link and, when they want updates, an SMS code to their phone. All or nothing."""
    if (wants_updates or wants_callback) and not contact_phone:
        field = "wants_updates" if wants_updates else "wants_callback"
        raise ValidationError({field: [_("Give a phone number to get updates or a call-back.")]})
    token = token_new()
    now = now or timezone.now()
    with transaction.atomic():
        case, _created = case_report(
            actor=portal_user(),
            via_portal=True,
            source=Source.PUBLIC,
            category=category,
            description=description,
            lon=lon,
            lat=lat,
            address=address,
            contact_name=contact_name,
            contact_phone=contact_phone,
            callback_requested=wants_callback,
            photos=photos,
            now=now,
        )
        follow = PublicFollow.objects.create(case=case, token_digest=token_digest(token), wants_updates=wants_updates)
        sent = _code_issue(follow, phone=contact_phone, now=now) if wants_updates else False
    return Reported(case=case, follow=follow, token=token, code_sent=sent)


def follow_by_token(token: str) -> PublicFollow | None:
    """The follow link of a token, or None (a wrong token and a missing one look the same)."""
    if not token or len(token) > 100:
        return None
    return (
        PublicFollow.objects.select_related("case", "case__category").filter(token_digest=token_digest(token)).first()
    )


# ---- the phone's one-time code ----


def _code_hash(follow_id: int, code: str) -> str:
    key = settings.SECRET_KEY.encode()
    return hmac.new(key, f"public-code:{follow_id}:{code}".encode(), hashlib.sha256).hexdigest()


def _code_issue(follow, *, phone, now) -> bool:
    """A new six-digit code for the follow's phone, into the SMS outbox in the caller's transaction."""
    code = f"{secrets.randbelow(10**6):06d}"
    follow.code_digest = _code_hash(follow.pk, code)
    follow.code_expires_at = now + timedelta(minutes=settings.PUBLIC_CODE_TTL_MINUTES)
    follow.code_tries = 0
    follow.save(update_fields=["code_digest", "code_expires_at", "code_tries"])
    with translation.override(settings.LANGUAGE_CODE):
        text = _("Huizhou city services: your code is %(code)s, valid %(minutes)d minutes. Case %(number)s.") % {
            "code": code,
            "minutes": settings.PUBLIC_CODE_TTL_MINUTES,
            "number": follow.case.number,
        }
    _sms(key=f"public-code:{follow.pk}:{uuid.uuid4().hex}", phone=phone, text=text, now=now)
    return True


def public_code_resend(*, follow_id: int, now=None) -> None:
    """A fresh code for a follow link whose reporter wants updates and whose phone is not checked yet."""
    now = now or timezone.now()
    with transaction.atomic():
        follow = PublicFollow.objects.select_for_update().select_related("case").get(pk=follow_id)
        if follow.phone_verified_at is not None:
            raise ConflictError(_("This phone number is already confirmed."), code="verified")
        if not follow.wants_updates or not follow.case.contact_phone:
            raise ConflictError(_("No phone number waits for a code on this report."), code="no_phone")
        _code_issue(follow, phone=follow.case.contact_phone, now=now)


class CodeOutcome:
    OK, WRONG, EXPIRED, SPENT = "ok", "wrong", "expired", "spent"


def public_code_check(*, follow_id: int, code: str, now=None) -> str:
    """Check a code: OK confirms the phone; WRONG counts a try (kept); SPENT after too many tries; EXPIRED."""
    now = now or timezone.now()
    code = (code or "").strip()
    with transaction.atomic():
        follow = PublicFollow.objects.select_for_update().get(pk=follow_id)
        if follow.phone_verified_at is not None:
            return CodeOutcome.OK
        if not follow.code_digest or follow.code_expires_at is None or follow.code_expires_at <= now:
            return CodeOutcome.EXPIRED
        if follow.code_tries >= settings.PUBLIC_CODE_MAX_TRIES:
            return CodeOutcome.SPENT
        if not hmac.compare_digest(follow.code_digest, _code_hash(follow.pk, code)):
            follow.code_tries += 1
            follow.save(update_fields=["code_tries"])
            spent = follow.code_tries >= settings.PUBLIC_CODE_MAX_TRIES
            return CodeOutcome.SPENT if spent else CodeOutcome.WRONG
        follow.phone_verified_at = now
        follow.code_digest, follow.code_expires_at = "", None
        follow.save(update_fields=["phone_verified_at", "code_digest", "code_expires_at"])
        return CodeOutcome.OK


# ---- the rating, once ----


def public_rate(*, follow_id: int, satisfaction: str, comment: str = "", now=None):
    """The reporter rates the closed case's result, once (a conditional update claims the one rating). A 不满意
    puts the case in the centre's 回访 queue (dispatch.pages.callbacks)."""
    now = now or timezone.now()
    with transaction.atomic():
        follow = PublicFollow.objects.get(pk=follow_id)
        if not PublicFollow.objects.filter(pk=follow_id, rated_at__isnull=True).update(rated_at=now):
            raise ConflictError(_("This report was already rated. Thank you."), code="rated")
        return case_rate(case_id=follow.case_id, satisfaction=satisfaction, comment=comment, now=now)


# ---- SMS updates ----


def public_update_for_event(*, case, event) -> None:
    """In the event's transaction: an SMS to a portal reporter with a confirmed phone when their case is accepted
    or closed (one per event: the outbox key)."""
    if case.source != Source.PUBLIC or event.action not in UPDATE_ACTIONS or not case.contact_phone:
        return
    wanted = PublicFollow.objects.filter(case_id=case.pk, wants_updates=True, phone_verified_at__isnull=False)
    if not wanted.exists():
        return
    with translation.override(settings.LANGUAGE_CODE):
        if event.action == "accept":
            text = _("Huizhou city services: your report %(number)s was accepted and is being dealt with.")
        else:
            text = _("Huizhou city services: your report %(number)s is closed. Open your follow link to rate it.")
        text = text % {"number": case.number}
    _sms(key=f"public-update:{event.pk}", phone=case.contact_phone, text=text, now=event.at)


def _sms(*, key, phone, text, now):
    OutboxMessage.objects.bulk_create(
        [
            OutboxMessage(
                channel=Channel.SMS,
                key=key,
                recipient=phone,
                body=text,
                state=OutboxState.PENDING,
                next_attempt_at=now,
            )
        ],
        ignore_conflicts=True,
    )
