"""The public portal's side of a case a resident reported: the follow link, the phone check, the one rating."""

import hashlib
import secrets

from django.db import models
from django.utils.translation import gettext_lazy as _


def token_digest(token: str) -> str:
    """The stored form of a follow token: only its SHA-256 is kept, so the table does not open any case."""
    return hashlib.sha256(token.encode()).hexdigest()


def token_new() -> str:
    """An unguessable follow token (256 bits), URL-safe."""
    return secrets.token_urlsafe(32)


class PublicFollow(models.Model):
    """A portal report's follow link (by token digest), whether its reporter wants SMS updates, their phone check
    (the one pending one-time code, hashed, with its expiry and wrong tries) and when they rated the result."""

    case = models.OneToOneField(
        "cases.Case", on_delete=models.PROTECT, related_name="public_follow", verbose_name=_("case")
    )
    token_digest = models.CharField(max_length=64, unique=True, editable=False)
    wants_updates = models.BooleanField(_("wants SMS updates"), default=False)
    phone_verified_at = models.DateTimeField(_("phone verified"), null=True, blank=True)
    code_digest = models.CharField(max_length=64, blank=True, editable=False)
    code_expires_at = models.DateTimeField(null=True, blank=True, editable=False)
    code_tries = models.PositiveSmallIntegerField(default=0, editable=False)
    rated_at = models.DateTimeField(_("rated"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("public follow link")
        verbose_name_plural = _("public follow links")

    def __str__(self):
        return f"follow {self.case_id}"
