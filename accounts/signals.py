"""Sign-ins go to the `cityops.auth` log (axes keeps the rows); failures, lockouts and changes of someone's rights
become security events; a new password or a deactivated account loses its API tokens."""

import logging

from axes.signals import user_locked_out
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver

from .models import Posting, SecurityEventKind, User
from .security.clientip import client_ip
from .security.events import security_event_record
from .security.sessions import session_mark_renewed
from .security.tokens import tokens_revoke

log = logging.getLogger("cityops.auth")

# The account fields whose change is a change of what the person may do.
WATCHED_FIELDS = ("password", "is_active", "is_staff", "is_superuser")


def _ip(request):
    return (client_ip(request) or "-") if request is not None else "-"


@receiver(user_logged_in)
def _logged_in(sender, request, user, **kwargs):
    log.info("login user=%s ip=%s", user.get_username(), _ip(request))
    # The sign-in writes the session anyway: it counts as its first renewal (accounts.security.sessions).
    if request is not None and hasattr(request, "session"):
        session_mark_renewed(request.session)


@receiver(user_logged_out)
def _logged_out(sender, request, user, **kwargs):
    log.info("logout user=%s ip=%s", user.get_username() if user else "-", _ip(request))


@receiver(user_login_failed)
def _login_failed(sender, credentials, request=None, **kwargs):
    username = credentials.get("username", "-")
    log.warning("login-failed user=%s ip=%s", username, _ip(request))
    detail = "refused while locked out" if getattr(request, "cityops_locked_before", False) else ""
    security_event_record(
        kind=SecurityEventKind.LOGIN_FAILED, request=request, username=str(username or "-"), detail=detail
    )


@receiver(user_locked_out)
def _locked_out(sender, request, username, ip_address, **kwargs):
    if getattr(request, "cityops_locked_before", False):
        return  # a further failure while locked: recorded as a failed sign-in, the lockout is already on record
    log.warning("locked-out user=%s ip=%s", username, ip_address)
    security_event_record(kind=SecurityEventKind.LOCKED_OUT, request=request, username=str(username or "-"))


@receiver(pre_save, sender=User)
def _remember_account(sender, instance, raw=False, update_fields=None, **kwargs):
    if raw or instance.pk is None:
        return
    if update_fields is not None and not set(update_fields) & set(WATCHED_FIELDS):
        return  # the sign-in's own `last_login` update, say: nothing to compare
    instance._security_before = User.objects.filter(pk=instance.pk).values(*WATCHED_FIELDS).first()


@receiver(post_save, sender=User)
def _account_changed(sender, instance, created, raw=False, **kwargs):
    before = instance.__dict__.pop("_security_before", None)
    if raw or created or before is None:
        return
    changed = [f for f in WATCHED_FIELDS if getattr(instance, f) != before[f]]
    if not changed:
        return
    if "password" in changed or not instance.is_active:
        # Sessions end by themselves (their hash includes the password's); tokens must be deleted.
        tokens_revoke(user=instance)
    detail = ", ".join(f if f == "password" else f"{f}={getattr(instance, f)}" for f in changed)
    security_event_record(kind=SecurityEventKind.ACCOUNT_CHANGED, subject=instance, detail=detail)


@receiver(post_save, sender=Posting)
def _posting_saved(sender, instance, created, raw=False, **kwargs):
    if raw:
        return
    kind = SecurityEventKind.POSTING_GRANTED if created else SecurityEventKind.POSTING_CHANGED
    security_event_record(kind=kind, subject=instance.user, detail=_posting_text(instance))


@receiver(post_delete, sender=Posting)
def _posting_removed(sender, instance, **kwargs):
    # By name only: when the user is being deleted with their postings, a reference to them could not be kept.
    security_event_record(
        kind=SecurityEventKind.POSTING_REMOVED, username=instance.user.get_username(), detail=_posting_text(instance)
    )


def _posting_text(posting):
    place = posting.region if posting.region_id else posting.department
    text = f"{posting.get_role_display()} · {place}"
    if posting.valid_from or posting.valid_to:
        text += f" · {posting.valid_from or '…'} – {posting.valid_to or '…'}"
    return text
