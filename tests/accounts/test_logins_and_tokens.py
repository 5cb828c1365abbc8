"""Lockout per account and per client address behind trusted proxies, the token endpoint's lockout answer, tokens
that expire and are revoked, and sessions that end with a password change."""

import os
import subprocess
import sys
from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import F
from django.test import RequestFactory
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts.security.clientip import client_ip
from tests.factories.accounts import TEST_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"
TOKEN = "/api/v1/auth/token/"
PROXY = "10.0.0.5"


@pytest.fixture
def behind_proxy(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/24"]


def sign_in(client, username, password, client_address=None, remote=PROXY):
    """A sign-in through the reverse proxy, which appends the address it received from to X-Forwarded-For."""
    extra = {"REMOTE_ADDR": remote}
    if client_address is not None:
        extra["HTTP_X_FORWARDED_FOR"] = client_address
    return client.post(LOGIN, {"username": username, "password": password}, **extra)


def ask_token(username, password, **extra):
    return APIClient().post(TOKEN, {"username": username, "password": password}, format="json", **extra)


def request_from(remote, forwarded=None):
    meta = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **meta)


# The client address


def test_without_trusted_proxies_x_forwarded_for_is_ignored(settings):
    settings.TRUSTED_PROXIES = []
    assert client_ip(request_from("203.0.113.9", "198.51.100.1")) == "203.0.113.9"


def test_behind_a_trusted_proxy_the_address_it_received_from_is_the_client(behind_proxy):
    assert client_ip(request_from(PROXY, "198.51.100.7")) == "198.51.100.7"


def test_an_address_the_client_wrote_itself_is_not_believed(behind_proxy):
    # The client sent "X-Forwarded-For: 192.0.2.1"; our proxy appended the address it really came from.
    assert client_ip(request_from(PROXY, "192.0.2.1, 198.51.100.7")) == "198.51.100.7"


def test_a_chain_of_trusted_proxies_is_walked_to_the_first_untrusted_hop(behind_proxy):
    assert client_ip(request_from(PROXY, "192.0.2.1, 198.51.100.7, 10.0.0.9")) == "198.51.100.7"


def test_a_request_not_from_a_trusted_proxy_keeps_its_own_address(behind_proxy):
    assert client_ip(request_from("198.51.100.50", "10.0.0.1")) == "198.51.100.50"


def test_garbage_in_the_chain_stops_at_the_last_trusted_hop(behind_proxy):
    assert client_ip(request_from(PROXY, "198.51.100.7, not-an-address")) == PROXY


def test_a_bad_trusted_proxy_entry_stops_the_start():
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=settings.BASE_DIR,
        env={**os.environ, "TRUSTED_PROXIES": "10.0.0.0/33"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "10.0.0.0/33" in result.stderr


# Lockout behind the proxy


def test_one_attacker_behind_the_proxy_does_not_lock_out_everyone(client, behind_proxy):
    """The attacker's address is locked; other people coming through the same proxy still sign in."""
    UserFactory(username="liming")
    UserFactory(username="wangfang")
    for n in range(settings.AXES_ADDRESS_FAILURE_LIMIT):
        sign_in(client, f"guess{n}", "wrong-password", client_address="198.51.100.66")
    assert sign_in(client, "liming", TEST_PASSWORD, client_address="198.51.100.66").status_code == 429
    assert sign_in(client, "wangfang", TEST_PASSWORD, client_address="198.51.100.20").status_code == 302
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"198.51.100.66"}


def test_an_account_is_locked_from_every_address(client, behind_proxy):
    UserFactory(username="liming")
    for n in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, "liming", "wrong-password", client_address=f"198.51.100.{n + 1}")
    assert sign_in(client, "liming", TEST_PASSWORD, client_address="198.51.100.99").status_code == 429


def test_an_address_below_its_limit_may_still_try_other_accounts(client, behind_proxy):
    UserFactory(username="wangfang")
    for n in range(settings.AXES_ADDRESS_FAILURE_LIMIT - 1):
        sign_in(client, f"guess{n}", "wrong-password", client_address="198.51.100.66")
    assert sign_in(client, "wangfang", TEST_PASSWORD, client_address="198.51.100.66").status_code == 302


def test_a_forged_header_without_a_trusted_proxy_cannot_dodge_the_address_lock(client, settings):
    settings.TRUSTED_PROXIES = []
    for n in range(settings.AXES_ADDRESS_FAILURE_LIMIT):
        # A new made-up X-Forwarded-For each time: ignored, every failure counts against the real address.
        sign_in(client, f"guess{n}", "wrong-password", client_address=f"192.0.2.{n}", remote="198.51.100.66")
    UserFactory(username="liming")
    assert sign_in(client, "liming", TEST_PASSWORD, remote="198.51.100.66").status_code == 429


# The token endpoint


def test_the_token_endpoint_answers_a_locked_account_with_429_and_the_lockout_message():
    UserFactory(username="liming")
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert ask_token("liming", "wrong-password").status_code == 400
    # The failure that reaches the limit already says so, and so does the right password afterwards.
    for password in ("wrong-password", TEST_PASSWORD):
        response = ask_token("liming", password, HTTP_ACCEPT_LANGUAGE="en")
        assert response.status_code == 429
        minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
        assert response.json() == {
            "detail": f"Too many failed sign-in attempts. Try again in {minutes} minutes.",
            "code": "locked_out",
        }
        assert response["Retry-After"] == str(int(settings.AXES_COOLOFF_TIME.total_seconds()))
    assert not Token.objects.exists()


def test_the_token_endpoint_speaks_chinese_by_default():
    UserFactory(username="liming")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        response = ask_token("liming", "wrong-password")
    assert response.status_code == 429
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    assert response.json()["detail"] == f"登录失败次数过多，请在 {minutes} 分钟后重试。"


def test_a_wrong_password_below_the_limit_is_a_400_with_the_reason():
    UserFactory(username="liming")
    response = ask_token("liming", "wrong-password")
    assert response.status_code == 400
    assert "non_field_errors" in response.json()


# Tokens expire and are revoked


def issued_token(user):
    response = ask_token(user.username, TEST_PASSWORD)
    assert response.status_code == 200, response.content
    return response.json()


def api_with(key):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def test_a_token_works_until_its_lifetime_is_over():
    user = UserFactory(username="liming")
    body = issued_token(user)
    assert api_with(body["token"]).get("/api/v1/cases/").status_code == 200
    token = Token.objects.get(key=body["token"])
    assert body["expires_at"].startswith((token.created + settings.API_TOKEN_LIFETIME).strftime("%Y-%m-%dT%H:%M"))
    Token.objects.filter(pk=token.pk).update(created=F("created") - settings.API_TOKEN_LIFETIME)
    response = api_with(body["token"]).get("/api/v1/cases/")
    assert response.status_code == 401
    assert response.json()["detail"] == "令牌已过期，请重新获取。"
    english = api_with(body["token"]).get("/api/v1/cases/", HTTP_ACCEPT_LANGUAGE="en")
    assert english.json()["detail"] == "Token has expired: ask for a new one."


def test_asking_again_after_expiry_gives_a_new_token_and_before_it_the_same_one():
    user = UserFactory(username="liming")
    first = issued_token(user)["token"]
    assert issued_token(user)["token"] == first
    Token.objects.update(created=F("created") - settings.API_TOKEN_LIFETIME - timedelta(seconds=1))
    second = issued_token(user)["token"]
    assert second != first
    assert api_with(second).get("/api/v1/cases/").status_code == 200


def test_the_token_lifetime_is_a_setting(settings):
    settings.API_TOKEN_LIFETIME = timedelta(minutes=5)
    user = UserFactory(username="liming")
    key = issued_token(user)["token"]
    Token.objects.update(created=F("created") - timedelta(minutes=5, seconds=1))
    assert api_with(key).get("/api/v1/cases/").status_code == 401


def test_a_password_change_revokes_the_token():
    user = UserFactory(username="liming")
    key = issued_token(user)["token"]
    user.set_password("Xizhi-lake-at-dawn-7")
    user.save()
    assert not Token.objects.filter(user=user).exists()
    assert api_with(key).get("/api/v1/cases/").status_code == 401


def test_deactivation_revokes_the_token():
    user = UserFactory(username="liming")
    key = issued_token(user)["token"]
    user.is_active = False
    user.save(update_fields=["is_active"])
    assert not Token.objects.filter(user=user).exists()
    assert api_with(key).get("/api/v1/cases/").status_code == 401


def test_an_unknown_token_and_a_token_of_an_inactive_account_are_refused():
    user = UserFactory(username="liming")
    key = issued_token(user)["token"]
    unknown = api_with("0" * 40).get("/api/v1/cases/", HTTP_ACCEPT_LANGUAGE="en")
    assert unknown.status_code == 401 and unknown.json()["detail"] == "Invalid token."
    # A deactivation that bypassed the account services (a bulk update) leaves the token: the user is still refused.
    type(user).objects.filter(pk=user.pk).update(is_active=False)
    inactive = api_with(key).get("/api/v1/cases/", HTTP_ACCEPT_LANGUAGE="en")
    assert inactive.status_code == 401 and inactive.json()["detail"] == "User inactive or deleted."


def test_other_account_changes_keep_the_token():
    user = UserFactory(username="liming")
    key = issued_token(user)["token"]
    user.full_name = "李明明"
    user.save()
    assert api_with(key).get("/api/v1/cases/").status_code == 200


# Sessions


def test_a_password_change_ends_the_other_sessions(client):
    user = UserFactory(username="liming")
    assert client.post(LOGIN, {"username": "liming", "password": TEST_PASSWORD}).status_code == 302
    assert client.get("/").status_code == 200
    user.set_password("Xizhi-lake-at-dawn-7")
    user.save()
    response = client.get("/")
    assert response.status_code == 302 and response.url.startswith(LOGIN)


def test_deactivation_ends_the_session(client):
    user = UserFactory(username="liming")
    client.post(LOGIN, {"username": "liming", "password": TEST_PASSWORD})
    user.is_active = False
    user.save()
    response = client.get("/")
    assert response.status_code == 302 and response.url.startswith(LOGIN)
