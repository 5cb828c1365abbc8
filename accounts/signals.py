"""Every login, logout and failed login goes to the `cityops.auth` log (axes keeps the rows)."""

import logging

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

log = logging.getLogger("cityops.auth")


def _ip(request):
    return request.META.get("REMOTE_ADDR", "-") if request is not None else "-"


@receiver(user_logged_in)
def _logged_in(sender, request, user, **kwargs):
    log.info("login user=%s ip=%s", user.get_username(), _ip(request))


@receiver(user_logged_out)
def _logged_out(sender, request, user, **kwargs):
    log.info("logout user=%s ip=%s", user.get_username() if user else "-", _ip(request))


@receiver(user_login_failed)
def _login_failed(sender, credentials, request=None, **kwargs):
    log.warning("login-failed user=%s ip=%s", credentials.get("username", "-"), _ip(request))
