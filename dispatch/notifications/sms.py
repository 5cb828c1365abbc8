"""The SMS gateway interface: one `send(to=, text=)`, chosen by settings.SMS_BACKEND.

`LoggingSmsBackend` (the default) only writes the message to the log, so a development machine or a
deployment without a gateway contract never sends anything. `HttpSmsBackend` posts
`{"to": "...", "text": "..."}` as JSON to SMS_HTTP_URL with `Authorization: Bearer SMS_HTTP_TOKEN`; any
answer other than 2xx is an error, and the outbox retries it.
"""

import json
import logging
import urllib.error
import urllib.request

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

logger = logging.getLogger("cityops.sms")


class SmsError(Exception):
    """The gateway did not accept the message; the outbox will try again later."""


class BaseSmsBackend:
    def send(self, *, to: str, text: str) -> None:
        raise NotImplementedError


class LoggingSmsBackend(BaseSmsBackend):
    """Writes each message to the log instead of sending it."""

    def send(self, *, to: str, text: str) -> None:
        logger.info("SMS to %s: %s", to, text)


class HttpSmsBackend(BaseSmsBackend):
    """Posts each message as JSON to an HTTP gateway (SMS_HTTP_URL, SMS_HTTP_TOKEN)."""

    def __init__(self):
        self.url = settings.SMS_HTTP_URL
        if not self.url.startswith(("https://", "http://")):
            raise ImproperlyConfigured("SMS_HTTP_URL must be an http(s) URL for the HTTP SMS backend.")
        self.token = settings.SMS_HTTP_TOKEN
        self.timeout = settings.SMS_HTTP_TIMEOUT_SECONDS

    def send(self, *, to: str, text: str) -> None:
        headers = {"Content-Type": "application/json; charset=utf-8"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        payload = json.dumps({"to": to, "text": text}, ensure_ascii=False).encode()
        request = urllib.request.Request(self.url, data=payload, headers=headers, method="POST")  # noqa: S310
        try:
            # The scheme was checked in __init__: only http(s) reaches urlopen.
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                status = response.status
        except urllib.error.HTTPError as exc:
            raise SmsError(f"gateway answered {exc.code}") from exc
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            raise SmsError(f"gateway unreachable: {exc}") from exc
        if not 200 <= status < 300:
            raise SmsError(f"gateway answered {status}")


# Where the backends lived before notifications became one package: a deployment configured then keeps working.
FORMER_PATHS = {
    "dispatch.sms.LoggingSmsBackend": "dispatch.notifications.sms.LoggingSmsBackend",
    "dispatch.sms.HttpSmsBackend": "dispatch.notifications.sms.HttpSmsBackend",
}


def sms_backend() -> BaseSmsBackend:
    """A new instance of the configured backend."""
    return import_string(FORMER_PATHS.get(settings.SMS_BACKEND, settings.SMS_BACKEND))()


def sms_send(*, to: str, text: str) -> None:
    """Send one SMS through the configured backend; raises on failure (the caller retries)."""
    sms_backend().send(to=to, text=text)
