"""The outbox sends each email and SMS once: one row per notification and channel, a lease longer than the run
that claimed it, runs that stop claiming before their time is up, and the same idempotency key on every attempt."""

from datetime import timedelta

import pytest
from celery.exceptions import SoftTimeLimitExceeded
from django.core import mail
from django.utils import timezone

from accounts.models import Role
from devtools.fake_sms_gateway import FakeSmsGateway
from dispatch.models import Channel, NotificationKind, OutboxMessage, OutboxState
from dispatch.notifications import outbox
from dispatch.notifications.outbox import _claim, outbox_deliver, outbox_lease, outbox_limits
from dispatch.notifications.services import notifications_create
from tests.factories.accounts import user_posted

pytestmark = pytest.mark.django_db

T0 = timezone.make_aware(timezone.datetime(2026, 3, 2, 9, 0))
SENT = []


class KeyedSms:
    """Records (key, to) for every send; raises whatever the test puts in FAULTS for a phone number."""

    FAULTS = {}

    def send(self, *, to, text, key=""):
        SENT.append((key, to))
        fault = self.FAULTS.get(to)
        if fault is not None:
            raise fault


class SlowSms:
    """Each send takes a whole worst-case send on the fake clock the test installs."""

    def send(self, *, to, text, key=""):
        SENT.append((key, to))
        Clock.now += Clock.step


class Clock:
    now, step = 1000.0, 1.0

    @staticmethod
    def monotonic():
        return Clock.now


@pytest.fixture(autouse=True)
def _reset(settings):
    SENT.clear()
    KeyedSms.FAULTS = {}
    settings.SMS_BACKEND = "tests.dispatch.test_outbox_exactly_once.KeyedSms"


def sms(phone, at=T0, key=None):
    extra = {"key": key} if key else {}
    return OutboxMessage.objects.create(
        channel=Channel.SMS, recipient=phone, body="案件已超期", next_attempt_at=at, **extra
    )


def test_a_second_fan_out_of_the_same_notice_writes_no_second_message(cases, personas):
    department = personas["handler_department"]
    user = user_posted(username="p-duty", role=Role.HANDLER, department=department, phone="13800138000")
    event = cases.to("handling").events.latest("id")
    for _ in range(2):
        notifications_create(kind=NotificationKind.URGE, event=event, user_ids={user.pk}, title="催办")
    rows = OutboxMessage.objects.filter(notification__user=user)
    notice = rows.first().notification_id
    assert sorted(rows.values_list("key", flat=True)) == [f"notification:{notice}:email", f"notification:{notice}:sms"]


def test_the_lease_outlasts_the_hard_time_limit_of_the_run_that_claimed_the_row(settings):
    soft, hard = outbox_limits()
    assert soft < hard < outbox_lease().total_seconds()
    sms("13800138000")
    assert len(_claim(T0, 10)) == 1
    assert _claim(T0 + timedelta(seconds=hard), 10) == []  # the claiming run is dead or done by now, still leased
    assert len(_claim(T0 + outbox_lease(), 10)) == 1


def test_a_send_whose_outcome_is_unknown_is_retried_after_the_lease_with_the_same_key(settings):
    """The worker was killed mid-send: the gateway got the message but nobody recorded it."""
    settings.SMS_BACKEND = "dispatch.notifications.sms.HttpSmsBackend"
    row = sms("13800138000")
    with FakeSmsGateway() as gateway:
        settings.SMS_HTTP_URL = gateway.url
        (claimed,) = _claim(T0, 10)
        outbox._send(claimed)  # … and the worker dies before writing the outcome
        assert outbox_deliver(now=T0 + timedelta(seconds=outbox_limits()[1])) == {"sent": 0, "retry": 0, "failed": 0}
        assert outbox_deliver(now=T0 + outbox_lease()) == {"sent": 1, "retry": 0, "failed": 0}
    row.refresh_from_db()
    assert (row.state, row.attempts) == (OutboxState.SENT, 2)
    assert gateway.receipts == {row.key: 2} and list(gateway.sent) == [row.key]  # offered twice, sent once


def test_a_gateway_that_hangs_costs_its_read_time_out_and_the_retry_carries_the_same_key(settings):
    settings.SMS_BACKEND = "dispatch.notifications.sms.HttpSmsBackend"
    settings.SMS_HTTP_TIMEOUT_SECONDS = 0.2
    row = sms("13800138000")
    with FakeSmsGateway(hang=30) as gateway:
        settings.SMS_HTTP_URL = gateway.url
        assert outbox_deliver(now=T0) == {"sent": 0, "retry": 1, "failed": 0}
        row.refresh_from_db()
        assert "did not answer in time" in row.last_error
        gateway.hang = 0
        assert outbox_deliver(now=row.next_attempt_at)["sent"] == 1
    assert gateway.receipts == {row.key: 2} and len(gateway.sent) == 1


def test_a_run_claims_only_what_worst_case_sends_can_finish_before_its_soft_limit(settings, monkeypatch):
    settings.SMS_BACKEND = "tests.dispatch.test_outbox_exactly_once.SlowSms"
    settings.NOTIFY_SEND_SECONDS = Clock.step
    monkeypatch.setattr(outbox.time, "monotonic", Clock.monotonic)
    rows = [sms(f"1380013800{i}") for i in range(6)]
    # 3.5 s of budget: claiming stops 1 s (one send) before it, so the sends at 0, 1 and 2 s start; none after.
    assert outbox_deliver(now=T0, budget=3.5) == {"sent": 3, "retry": 0, "failed": 0}
    left = OutboxMessage.objects.filter(pk__in=[r.pk for r in rows[3:]])
    assert set(left.values_list("state", "attempts", "next_attempt_at")) == {(OutboxState.PENDING, 0, T0)}


def test_at_the_soft_limit_the_row_in_flight_keeps_its_lease_and_the_untried_go_back(settings):
    KeyedSms.FAULTS = {"13800138001": SoftTimeLimitExceeded()}
    first, stuck, untried = (sms(f"1380013800{i}") for i in range(3))
    with pytest.raises(SoftTimeLimitExceeded):
        outbox_deliver(now=T0)
    states = {r.pk: (r.state, r.attempts) for r in OutboxMessage.objects.all()}
    assert states == {
        first.pk: (OutboxState.SENT, 1),
        stuck.pk: (OutboxState.PENDING, 1),  # unknown outcome: left to its lease
        untried.pk: (OutboxState.PENDING, 0),  # handed back, due at once
    }
    assert OutboxMessage.objects.get(pk=stuck.pk).next_attempt_at == T0 + outbox_lease()
    assert OutboxMessage.objects.get(pk=untried.pk).next_attempt_at <= timezone.now()


def test_an_email_keeps_one_message_id_across_attempts():
    row = OutboxMessage.objects.create(
        channel=Channel.EMAIL, key="notification:7:email", recipient="h@example.org", subject="超期", body="b",
        next_attempt_at=T0,
    )  # fmt: skip
    outbox_deliver(now=T0)
    OutboxMessage.objects.filter(pk=row.pk).update(state=OutboxState.PENDING, next_attempt_at=T0)
    outbox_deliver(now=T0)
    ids = {m.message()["Message-ID"] for m in mail.outbox}
    assert len(mail.outbox) == 2 and ids == {"<notification.7.email@localhost>"}
