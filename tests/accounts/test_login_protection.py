"""Login protection: lockout with cool-off, idle sessions, password validators, and an audit trail of sign-ins."""

import logging
from datetime import timedelta
from unittest import mock

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db.models import F
from django.utils import timezone

from tests.factories.accounts import TEST_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"


@pytest.fixture
def user():
    return UserFactory(username="liming", full_name="李明")


def sign_in(client, username, password, **headers):
    return client.post(LOGIN, {"username": username, "password": password}, headers=headers)


def lock_out(client, username, **headers):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        response = sign_in(client, username, "wrong-password", **headers)
    return response


def test_correct_password_signs_in(client, user):
    response = sign_in(client, "liming", TEST_PASSWORD)
    assert response.status_code == 302
    assert client.get("/").status_code == 200


def test_failures_below_the_limit_leave_the_account_open(client, user):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert sign_in(client, "liming", "wrong-password").status_code == 200
    assert sign_in(client, "liming", TEST_PASSWORD).status_code == 302


def test_reaching_the_failure_limit_locks_even_the_right_password_out(client, user):
    assert lock_out(client, "liming").status_code == 429
    response = sign_in(client, "liming", TEST_PASSWORD)
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_lockout_ends_after_the_cool_off(client, user):
    lock_out(client, "liming")
    AccessAttempt.objects.update(attempt_time=F("attempt_time") - settings.AXES_COOLOFF_TIME - timedelta(seconds=1))
    assert sign_in(client, "liming", TEST_PASSWORD).status_code == 302


def test_lockout_of_one_username_does_not_lock_another(client, user):
    UserFactory(username="wangfang")
    lock_out(client, "liming")
    assert sign_in(client, "wangfang", TEST_PASSWORD).status_code == 302


def test_locked_out_page_is_in_chinese_by_default(client, user):
    response = lock_out(client, "liming")
    body = response.content.decode()
    assert "账户已锁定" in body
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    assert f"请在 {minutes} 分钟后重试" in body


def test_locked_out_page_follows_the_browser_language(client, user):
    response = lock_out(client, "liming", accept_language="en")
    body = response.content.decode()
    assert "Account locked" in body
    assert f"Try again in {int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)} minutes" in body


def test_idle_session_is_signed_out_after_the_limit(client, user):
    sign_in(client, "liming", TEST_PASSWORD)
    idle = timedelta(seconds=settings.SESSION_COOKIE_AGE + 60)
    with mock.patch("django.utils.timezone.now", return_value=timezone.now() + idle):
        response = client.get("/")
    assert response.status_code == 302
    assert response.url.startswith(settings.LOGIN_URL) or response.url.startswith(LOGIN)


def test_activity_keeps_the_session_alive_past_the_limit(client, user):
    sign_in(client, "liming", TEST_PASSWORD)
    start, step = timezone.now(), timedelta(seconds=settings.SESSION_COOKIE_AGE * 2 // 3)
    for i in range(1, 4):
        # Each request inside the idle limit renews the session (accounts.security.sessions).
        with mock.patch("django.utils.timezone.now", return_value=start + step * i):
            assert client.get("/").status_code == 200


def test_the_session_is_written_at_most_once_per_renewal_period(client, user):
    from django.contrib.sessions.models import Session

    sign_in(client, "liming", TEST_PASSWORD)
    (row,) = Session.objects.all()
    signed_in_until = row.expire_date
    soon = timedelta(seconds=settings.SESSION_RENEW_SECONDS // 2)
    with mock.patch("django.utils.timezone.now", return_value=timezone.now() + soon):
        assert client.get("/").status_code == 200
    assert Session.objects.get().expire_date == signed_in_until  # not written again
    later = timedelta(seconds=settings.SESSION_RENEW_SECONDS + 1)
    with mock.patch("django.utils.timezone.now", return_value=timezone.now() + later):
        assert client.get("/").status_code == 200
    assert Session.objects.get().expire_date >= signed_in_until + later


@pytest.mark.parametrize("password", ["cityops", "1234567890", "password123", "liming2024"])
def test_password_validators_reject_weak_passwords(user, password):
    with pytest.raises(ValidationError):
        validate_password(password, user=user)


def test_password_validators_accept_a_strong_password(user):
    validate_password("Xizhi-lake-at-dawn-7", user=user)


def test_sign_in_sign_out_and_failure_are_logged(client, user, caplog):
    with caplog.at_level(logging.INFO, logger="cityops.auth"):
        sign_in(client, "liming", "wrong-password")
        sign_in(client, "liming", TEST_PASSWORD)
        client.post("/accounts/logout/")
    messages = [r.getMessage() for r in caplog.records if r.name == "cityops.auth"]
    assert messages == [
        "login-failed user=liming ip=127.0.0.1",
        "login user=liming ip=127.0.0.1",
        "logout user=liming ip=127.0.0.1",
    ]


def test_axes_keeps_access_and_failure_rows(client, user):
    sign_in(client, "liming", "wrong-password")
    sign_in(client, "liming", TEST_PASSWORD)
    client.post("/accounts/logout/")
    assert AccessFailureLog.objects.filter(username="liming", locked_out=False).count() == 1
    log = AccessLog.objects.get(username="liming")
    assert log.logout_time is not None
    # A successful sign-in clears the failures counted against the lockout (AXES_RESET_ON_SUCCESS).
    assert not AccessAttempt.objects.filter(username="liming").exists()


def test_a_lockout_is_recorded_as_such(client, user):
    lock_out(client, "liming")
    assert AccessFailureLog.objects.filter(username="liming", locked_out=True).exists()
