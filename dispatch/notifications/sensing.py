"""The administrators are told when a sensing source floods the intake (more events than its limit a minute)."""

from datetime import UTC, datetime

from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from cases.models import SensingSource
from dispatch.models import Channel, OutboxMessage, OutboxState


def sensing_administrators():
    """Who is told of a flooding source: the active superusers with an email address."""
    users = get_user_model().objects.filter(is_superuser=True, is_active=True).exclude(email="")
    return list(users.values_list("email", flat=True).distinct())


def notify_sensing_flood(*, source_id: int, window: int, limit: int, period: int) -> int:
    """An email to each administrator, once per source and rate window (the key: a repeated signal writes
    nothing); returns the rows written."""
    source = SensingSource.objects.select_related("owner").filter(pk=source_id).first()
    if source is None:
        return 0
    began = timezone.localtime(datetime.fromtimestamp(window * period, tz=UTC))
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("Sensing source “%(name)s” is flooding the intake") % {"name": source.name}
        body = _(
            "Since %(began)s the source “%(name)s” (%(owner)s, key %(prefix)s…) has posted more than %(limit)d "
            "events a minute; the rest of this minute is refused (429). Check the device or its platform, "
            "raise its limit, or revoke its key in the administration."
        ) % {
            "began": began.strftime("%Y-%m-%d %H:%M"),
            "name": source.name,
            "owner": source.owner.name,
            "prefix": source.key_prefix,
            "limit": limit,
        }
    now = timezone.now()
    rows = OutboxMessage.objects.bulk_create(
        [
            OutboxMessage(
                channel=Channel.EMAIL,
                key=f"sensing-flood:{source_id}:{window}:{email}"[:100],
                recipient=email,
                subject=subject[:200],
                body=body,
                state=OutboxState.PENDING,
                next_attempt_at=now,
            )
            for email in sensing_administrators()
        ],
        ignore_conflicts=True,
    )
    return len(rows)
