"""Security events: failed sign-ins, lockouts, refused requests and changes of rights are recorded, and administrators
read them in the admin, where nobody may change or delete them."""

import pytest
from django.conf import settings
from rest_framework.test import APIClient

from accounts.models import Posting, Role, SecurityEvent, SecurityEventKind
from accounts.services import posting_grant
from tests.factories.accounts import TEST_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"


def events(kind):
    return list(SecurityEvent.objects.filter(kind=kind).order_by("pk"))


@pytest.fixture
def admin_client(client):
    admin = UserFactory(username="sysadmin", is_staff=True, is_superuser=True)
    client.force_login(admin)
    client.admin = admin
    return client


def test_a_failed_sign_in_is_recorded_with_the_name_tried_and_the_address(client):
    client.post(LOGIN, {"username": "nobody", "password": "wrong-password"}, REMOTE_ADDR="198.51.100.3")
    (event,) = events(SecurityEventKind.LOGIN_FAILED)
    assert (event.username, event.ip_address, event.path, event.actor) == ("nobody", "198.51.100.3", LOGIN, None)


def test_a_failed_token_request_is_recorded_too():
    APIClient().post("/api/v1/auth/token/", {"username": "nobody", "password": "x"}, format="json")
    (event,) = events(SecurityEventKind.LOGIN_FAILED)
    assert (event.username, event.path) == ("nobody", "/api/v1/auth/token/")


def test_a_lockout_is_recorded_once(client):
    UserFactory(username="liming")
    for _ in range(settings.AXES_FAILURE_LIMIT + 1):
        client.post(LOGIN, {"username": "liming", "password": "wrong-password"})
    (event,) = events(SecurityEventKind.LOCKED_OUT)
    assert event.username == "liming"
    # Every failure is a row; the one refused while locked says so.
    failures = events(SecurityEventKind.LOGIN_FAILED)
    assert len(failures) == settings.AXES_FAILURE_LIMIT + 1
    assert failures[-1].detail == "refused while locked out"


def test_a_workflow_action_refused_with_403_is_recorded(cases, personas):
    case = cases.to("to_register")
    client = APIClient()
    client.force_authenticate(personas["dispatcher"])
    response = client.post(f"/api/v1/cases/{case.pk}/transitions/", {"action": "register"}, format="json")
    assert response.status_code == 403
    (event,) = events(SecurityEventKind.DENIED)
    assert event.actor == personas["dispatcher"]
    assert (event.method, event.path) == ("POST", f"/api/v1/cases/{case.pk}/transitions/")
    assert event.detail == response.json()["detail"]


def test_a_page_refused_with_403_is_recorded(client, personas):
    client.force_login(personas["handler"])
    assert client.get("/command/counts/").status_code == 403
    (event,) = events(SecurityEventKind.DENIED)
    assert (event.actor, event.method, event.path) == (personas["handler"], "GET", "/command/counts/")


def test_answers_other_than_403_are_not_recorded_as_denied(client, personas):
    client.force_login(personas["dispatcher"])
    assert client.get("/command/counts/").status_code == 200
    assert client.get("/no-such-page/").status_code == 404
    assert events(SecurityEventKind.DENIED) == []


def test_a_posting_granted_changed_and_removed_in_the_admin_is_recorded_with_who_did_it(admin_client, huizhou_grid):
    from grids.models import Region

    user = UserFactory(username="liming")
    region = Region.objects.defer("geom").get(code="4413")
    response = admin_client.post(
        "/admin/accounts/posting/add/",
        {"user": user.pk, "role": Role.DISPATCHER, "region": region.pk, "department": "", "valid_from": ""},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    posting = Posting.objects.get(user=user)
    (granted,) = events(SecurityEventKind.POSTING_GRANTED)
    assert (granted.subject, granted.username, granted.actor) == (user, "liming", admin_client.admin)
    assert granted.path == "/admin/accounts/posting/add/"
    assert str(region) in granted.detail

    posting.valid_to = "2030-01-01"
    posting.save()
    (changed,) = events(SecurityEventKind.POSTING_CHANGED)
    assert "2030-01-01" in changed.detail

    admin_client.post(f"/admin/accounts/posting/{posting.pk}/delete/", {"post": "yes"})
    assert not Posting.objects.filter(pk=posting.pk).exists()
    (removed,) = events(SecurityEventKind.POSTING_REMOVED)
    assert (removed.username, removed.actor) == ("liming", admin_client.admin)


def test_a_posting_granted_by_a_service_is_recorded_without_an_actor(huizhou_grid):
    from grids.models import Region

    user = UserFactory(username="liming")
    posting_grant(user=user, role=Role.LEADER, region=Region.objects.defer("geom").get(code="4413"))
    (event,) = events(SecurityEventKind.POSTING_GRANTED)
    assert (event.subject, event.actor, event.ip_address) == (user, None, None)


def test_rights_and_password_changes_of_an_account_are_recorded():
    user = UserFactory(username="liming")
    user.is_staff = True
    user.save()
    user.set_password("Xizhi-lake-at-dawn-7")
    user.save()
    user.full_name = "李明明"
    user.save()
    details = [e.detail for e in events(SecurityEventKind.ACCOUNT_CHANGED)]
    assert details == ["is_staff=True", "password"]


def test_a_signed_in_user_updating_last_login_records_nothing(client):
    UserFactory(username="liming")
    client.post(LOGIN, {"username": "liming", "password": TEST_PASSWORD})
    assert not SecurityEvent.objects.exists()


def test_administrators_read_the_events_in_the_admin_and_cannot_change_them(admin_client):
    event = SecurityEvent.objects.create(kind=SecurityEventKind.DENIED, username="liming", path="/command/counts/")
    listing = admin_client.get("/admin/accounts/securityevent/")
    assert listing.status_code == 200
    assert "/command/counts/" in listing.content.decode()
    assert admin_client.get(f"/admin/accounts/securityevent/{event.pk}/change/").status_code == 200
    assert admin_client.get("/admin/accounts/securityevent/add/").status_code == 403
    admin_client.post(f"/admin/accounts/securityevent/{event.pk}/change/", {"username": "someone"})
    admin_client.post(f"/admin/accounts/securityevent/{event.pk}/delete/", {"post": "yes"})
    event.refresh_from_db()
    assert event.username == "liming"


def test_people_who_are_not_staff_cannot_open_the_events(client, personas):
    client.force_login(personas["dispatcher"])
    response = client.get("/admin/accounts/securityevent/")
    assert response.status_code == 302 and "/admin/login/" in response.url
