"""The SMS gateway interface: one `send(to=, text=, key=)`, chosen by settings.SMS_BACKEND.

`LoggingSmsBackend` (the default) only writes the message to the log, so a development machine or a
deployment without a gateway contract never sends anything. `HttpSmsBackend` posts
`{"to": "...", "text": "...", "id": "<key>"}` as JSON to SMS_HTTP_URL with `Authorization: Bearer SMS_HTTP_TOKEN`
and `Idempotency-Key: <key>`; any answer other than 2xx is an error, and the outbox retries it. The key is the
outbox row's, the same on every attempt: a gateway that honours it sends a retried message once.

The connection gets SMS_HTTP_CONNECT_TIMEOUT_SECONDS to open, then every read SMS_HTTP_TIMEOUT_SECONDS: a gateway
that hangs holds a notify worker for seconds, not minutes. A read time-out is an unknown outcome (the gateway may
have sent the message): it is retried like any failure, with the same key.
"""

import http.client
import inspect
import json
import logging
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

logger = logging.getLogger("cityops.sms")


class SmsError(Exception):
    """The gateway did not accept the message; the outbox will try again later."""


class BaseSmsBackend:
    def send(self, *, to: str, text: str, key: str = "") -> None:
        raise NotImplementedError


class LoggingSmsBackend(BaseSmsBackend):
    """Writes each message to the log instead of sending it."""

    def send(self, *, to: str, text: str, key: str = "") -> None:
        logger.info("SMS to %s [%s]: %s", to, key, text)


class HttpSmsBackend(BaseSmsBackend):
    """Posts each message as JSON to an HTTP gateway (SMS_HTTP_URL, SMS_HTTP_TOKEN), with its idempotency key."""

    def __init__(self):
        self.url = settings.SMS_HTTP_URL
        if not self.url.startswith(("https://", "http://")):
            raise ImproperlyConfigured("SMS_HTTP_URL must be an http(s) URL for the HTTP SMS backend.")
        self.token = settings.SMS_HTTP_TOKEN
        self.connect_timeout = settings.SMS_HTTP_CONNECT_TIMEOUT_SECONDS
        self.read_timeout = settings.SMS_HTTP_TIMEOUT_SECONDS

    def send(self, *, to: str, text: str, key: str = "") -> None:
        headers = {"Content-Type": "application/json; charset=utf-8"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        message = {"to": to, "text": text}
        if key:
            headers["Idempotency-Key"] = key
            message["id"] = key
        status = self._post(json.dumps(message, ensure_ascii=False).encode(), headers)
        if not 200 <= status < 300:
            raise SmsError(f"gateway answered {status}")

    def _post(self, payload: bytes, headers: dict) -> int:
        parts = urlsplit(self.url)
        kind = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
        connection = kind(parts.hostname, parts.port, timeout=self.connect_timeout)
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        try:
            connection.connect()
            # Connected: from now on every socket operation may wait the (longer) read time-out.
            connection.sock.settimeout(self.read_timeout)
            connection.request("POST", path, body=payload, headers=headers)
            response = connection.getresponse()
            response.read()
            return response.status
        except TimeoutError as exc:
            raise SmsError(f"gateway did not answer in time: {exc}") from exc
        except (OSError, http.client.HTTPException) as exc:
            raise SmsError(f"gateway unreachable: {exc}") from exc
        finally:
            connection.close()


# Where the backends lived before notifications became one package: a deployment configured then keeps working.
FORMER_PATHS = {
    "dispatch.sms.LoggingSmsBackend": "dispatch.notifications.sms.LoggingSmsBackend",
    "dispatch.sms.HttpSmsBackend": "dispatch.notifications.sms.HttpSmsBackend",
}


def sms_backend() -> BaseSmsBackend:
    """A new instance of the configured backend."""
    return import_string(FORMER_PATHS.get(settings.SMS_BACKEND, settings.SMS_BACKEND))()


def sms_send(*, to: str, text: str, key: str = "") -> None:
    """Send one SMS through the configured backend; raises on failure (the caller retries with the same key)."""
    backend = sms_backend()
    parameters = inspect.signature(backend.send).parameters
    if key and ("key" in parameters or any(p.kind == p.VAR_KEYWORD for p in parameters.values())):
        backend.send(to=to, text=text, key=key)
    else:  # a backend written before keys existed
        backend.send(to=to, text=text)
