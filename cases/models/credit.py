"""Management credit (管理征信): the parties of confirmed violations, a business by its unified social credit code,
a person by a salted hash of the ID number (only a masked form is kept readable)."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class PartyKind(models.TextChoices):
    BUSINESS = "business", _("Business")
    INDIVIDUAL = "individual", _("Individual")


class Party(models.Model):
    """A party (当事人) in the credit register."""

    kind = models.CharField(_("kind"), max_length=10, choices=PartyKind.choices)
    name = models.CharField(_("name"), max_length=100)
    credit_code = models.CharField(_("unified social credit code"), max_length=18, blank=True)
    # HMAC-SHA256 of the ID number under settings.CREDIT_ID_SALT: the person is found again, the number not kept.
    id_hash = models.CharField(max_length=64, blank=True, editable=False)
    id_masked = models.CharField(_("ID number (masked)"), max_length=20, blank=True)
    created_at = models.DateTimeField(_("registered at"), auto_now_add=True)

    class Meta:
        verbose_name = _("party")
        verbose_name_plural = _("parties")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["credit_code"], condition=~Q(credit_code=""), name="party_credit_code"),
            models.UniqueConstraint(fields=["id_hash"], condition=~Q(id_hash=""), name="party_id_hash"),
            models.CheckConstraint(
                name="party_identified",
                condition=(Q(kind="business") & ~Q(credit_code="")) | (Q(kind="individual") & ~Q(id_hash="")),
            ),
        ]

    def __str__(self):
        return f"{self.name} ({self.credit_code or self.id_masked})"
