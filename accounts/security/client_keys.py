"""Keys of client systems and devices (Open311 clients, sensing sources): stored hashed, shown once, revocable.

A concrete model inherits `ClientKey`; `issue_key()` sets a new key and returns the plain text (the only time it
exists), `find_by_key()` finds the live owner of a key presented by a client, or None.
"""

import hashlib
import secrets

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

KEY_PREFIX_LENGTH = 8


def key_hash(raw: str) -> str:
    """SHA-256 of the key: keys are long random strings, so a plain hash cannot be searched backwards."""
    return hashlib.sha256(raw.encode()).hexdigest()


class ClientKey(models.Model):
    """Abstract: a named client holding one key; revoked keys are kept for the record and never match."""

    name = models.CharField(_("name"), max_length=100)
    key_prefix = models.CharField(
        _("key begins with"),
        max_length=KEY_PREFIX_LENGTH,
        editable=False,
        blank=True,
        help_text=_("To tell keys apart."),
    )
    key_hash = models.CharField(max_length=64, unique=True, editable=False, null=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True, editable=False)

    class Meta:
        abstract = True

    def __str__(self):
        return self.name

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None

    def issue_key(self) -> str:
        """Give the client a new key (the old one stops matching) and return it; save() stores only its hash."""
        raw = secrets.token_urlsafe(32)
        self.key_prefix = raw[:KEY_PREFIX_LENGTH]
        self.key_hash = key_hash(raw)
        return raw

    def revoke(self, *, now=None):
        self.revoked_at = now or timezone.now()
        self.save(update_fields=["revoked_at"])

    @classmethod
    def find_by_key(cls, raw):
        """The live (not revoked) client holding this key, or None; records when it was last used (once a minute)."""
        if not raw or not isinstance(raw, str) or len(raw) > 200:
            return None
        client = cls._default_manager.filter(key_hash=key_hash(raw), revoked_at__isnull=True).first()
        if client is not None:
            now = timezone.now()
            if client.last_used_at is None or (now - client.last_used_at).total_seconds() > 60:
                cls._default_manager.filter(pk=client.pk).update(last_used_at=now)
                client.last_used_at = now
        return client
