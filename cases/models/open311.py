"""Open311 GeoReport v2 client systems (holding an api_key) and the service requests each of them posted."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.security.client_keys import ClientKey


class Open311Client(ClientKey):
    """A system that posts service requests through Open311 (a government service platform, an app) with its key."""

    # Each client enters its reports as its own user, so every case's history names the system it came from.
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="open311_client",
        editable=False,
        verbose_name=_("reports entered as"),
    )
    contact = models.CharField(_("contact"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("Open311 client")
        verbose_name_plural = _("Open311 clients")
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["name"], name="open311_client_unique_name")]


class Open311Request(models.Model):
    """A case created through Open311: which client posted it, and the token the client may look it up by."""

    client = models.ForeignKey(
        Open311Client, on_delete=models.PROTECT, related_name="requests", verbose_name=_("client")
    )
    case = models.OneToOneField(
        "cases.Case", on_delete=models.PROTECT, related_name="open311_request", verbose_name=_("case")
    )
    token = models.CharField(_("token"), max_length=40, unique=True)
    device_id = models.CharField(_("device id"), max_length=100, blank=True)
    created_at = models.DateTimeField(_("received"))

    class Meta:
        verbose_name = _("Open311 request")
        verbose_name_plural = _("Open311 requests")
        ordering = ["-created_at"]

    def __str__(self):
        return self.token
