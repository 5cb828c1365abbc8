"""The outbox: email through Django's backend, SMS through the gateway, retries with backoff, then failed."""

import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from django.core import mail
from django.utils import timezone

from dispatch.models import Channel, OutboxMessage, OutboxState
from dispatch.notifications.outbox import outbox_backoff, outbox_deliver, outbox_retry
from dispatch.notifications.sms import HttpSmsBackend, LoggingSmsBackend, SmsError, sms_backend

pytestmark = pytest.mark.django_db

T0 = timezone.make_aware(timezone.datetime(2026, 3, 2, 9, 0))
SENT_SMS = []


class FailingSms:
    def send(self, *, to, text):
        raise SmsError("gateway down")


class RecordingSms:
    def send(self, *, to, text):
        SENT_SMS.append((to, text))


def message(channel=Channel.EMAIL, recipient="handler@cityops.example.gov.cn", at=T0):
    return OutboxMessage.objects.create(
        channel=channel, recipient=recipient, subject="超期：E0102", body="案件已超期", next_attempt_at=at
    )


def test_a_due_email_is_sent_through_the_email_backend_once():
    row = message()
    later = message(at=T0 + timedelta(hours=1))
    assert outbox_deliver(now=T0) == {"sent": 1, "retry": 0, "failed": 0}
    assert [(m.subject, m.to) for m in mail.outbox] == [("超期：E0102", ["handler@cityops.example.gov.cn"])]
    row.refresh_from_db()
    assert row.state == OutboxState.SENT and row.sent_at and row.attempts == 1
    assert outbox_deliver(now=T0) == {"sent": 0, "retry": 0, "failed": 0}  # nothing twice, the later one waits
    assert OutboxMessage.objects.get(pk=later.pk).state == OutboxState.PENDING


def test_an_sms_goes_through_the_configured_gateway(settings):
    settings.SMS_BACKEND = "tests.dispatch.test_notifications_outbox.RecordingSms"
    SENT_SMS.clear()
    message(channel=Channel.SMS, recipient="13800138000")
    assert outbox_deliver(now=T0)["sent"] == 1
    assert SENT_SMS == [("13800138000", "案件已超期")]


@pytest.mark.parametrize(
    ("configured", "backend"),
    [
        ("dispatch.sms.LoggingSmsBackend", LoggingSmsBackend),
        ("dispatch.notifications.sms.LoggingSmsBackend", LoggingSmsBackend),
        ("dispatch.sms.HttpSmsBackend", HttpSmsBackend),
    ],
)
def test_a_gateway_configured_under_its_former_path_still_loads(settings, configured, backend):
    settings.SMS_HTTP_URL = "https://sms.example.gov.cn/send"
    settings.SMS_BACKEND = configured
    assert type(sms_backend()) is backend


def test_failures_back_off_exponentially_then_the_message_is_failed(settings):
    settings.SMS_BACKEND = "tests.dispatch.test_notifications_outbox.FailingSms"
    settings.NOTIFY_MAX_ATTEMPTS = 4
    settings.NOTIFY_RETRY_BASE_SECONDS = 60
    row = message(channel=Channel.SMS, recipient="13800138000")
    now, waits = T0, []
    for _attempt in range(3):
        assert outbox_deliver(now=now) == {"sent": 0, "retry": 1, "failed": 0}
        row.refresh_from_db()
        assert row.state == OutboxState.PENDING and "gateway down" in row.last_error
        waits.append(row.next_attempt_at - now)
        assert outbox_deliver(now=row.next_attempt_at - timedelta(seconds=1))["retry"] == 0  # not due yet
        now = row.next_attempt_at
    assert waits == [timedelta(minutes=1), timedelta(minutes=2), timedelta(minutes=4)]
    assert outbox_deliver(now=now) == {"sent": 0, "retry": 0, "failed": 1}
    row.refresh_from_db()
    assert row.state == OutboxState.FAILED and row.attempts == 4
    assert outbox_deliver(now=now + timedelta(days=1))["failed"] == 0  # failed rows are left alone

    # An administrator sends it again: a fresh set of attempts, now.
    settings.SMS_BACKEND = "tests.dispatch.test_notifications_outbox.RecordingSms"
    assert outbox_retry(ids=[row.pk], now=now) == 1
    assert outbox_deliver(now=now)["sent"] == 1


def test_backoff_doubles_from_the_base_and_is_capped_at_a_day(settings):
    settings.NOTIFY_RETRY_BASE_SECONDS = 60
    assert [outbox_backoff(n).total_seconds() for n in (1, 2, 3, 4)] == [60, 120, 240, 480]
    assert outbox_backoff(40) == timedelta(days=1)


def test_a_claimed_message_is_not_sent_again_by_a_second_worker_while_its_lease_runs():
    from dispatch.notifications.outbox import _claim

    message()
    assert len(_claim(T0, 10)) == 1
    assert _claim(T0, 10) == []  # another worker finds nothing due until the lease ends
    assert len(_claim(T0 + timedelta(minutes=6), 10)) == 1


def test_the_admin_lists_failed_messages_and_retries_them(client, django_user_model):
    admin = django_user_model.objects.create_superuser("root", "root@example.org", "pw-not-used-1")
    client.force_login(admin)
    failed = message()
    OutboxMessage.objects.filter(pk=failed.pk).update(state=OutboxState.FAILED, attempts=6, last_error="boom")
    page = client.get("/admin/dispatch/outboxmessage/?state__exact=failed")
    assert page.status_code == 200 and failed.recipient in page.content.decode()
    response = client.post(
        "/admin/dispatch/outboxmessage/", {"action": "retry", "_selected_action": [failed.pk]}, follow=True
    )
    assert response.status_code == 200
    failed.refresh_from_db()
    assert failed.state == OutboxState.PENDING and failed.attempts == 0


@pytest.fixture
def gateway():
    """A local HTTP SMS gateway that answers with the status the test sets, recording what it got."""
    received, answer = [], {"status": 200}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - http.server's name
            length = int(self.headers["Content-Length"])
            received.append((self.headers.get("Authorization"), json.loads(self.rfile.read(length))))
            self.send_response(answer["status"])
            self.end_headers()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/sms", received, answer
    server.shutdown()
    server.server_close()


def test_the_http_gateway_posts_json_with_the_token_and_raises_on_errors(settings, gateway):
    url, received, answer = gateway
    settings.SMS_HTTP_URL, settings.SMS_HTTP_TOKEN = url, "s3cret"
    HttpSmsBackend().send(to="13800138000", text="案件已超期")
    assert received == [("Bearer s3cret", {"to": "13800138000", "text": "案件已超期"})]
    answer["status"] = 503
    with pytest.raises(SmsError, match="503"):
        HttpSmsBackend().send(to="13800138000", text="again")
