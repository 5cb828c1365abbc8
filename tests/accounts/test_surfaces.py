"""The work pages are declared once (accounts.surfaces): a page is offered exactly to those it opens for."""

import pytest
from django.test import Client

from accounts.models import Role
from accounts.surfaces import SURFACES
from tests.factories.accounts import UserFactory

pytestmark = pytest.mark.django_db

PERSONAS = ["grid_worker", "operator", "shift_lead", "dispatcher", "handler", "leader", "assessor", "outsider"]


def offered(client):
    return [s.path for s in SURFACES if f'href="{s.path}"' in client.get("/").content.decode()]


def opens(client, path):
    """200 for a page the user works on; home (302) or 403 for one that is not theirs."""
    status = client.get(path).status_code
    assert status in (200, 302, 403), (path, status)
    return status == 200


@pytest.mark.parametrize("persona", PERSONAS)
def test_each_page_is_offered_exactly_to_those_it_opens_for(personas, assessor, persona):
    user = assessor if persona == "assessor" else personas[persona]
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    assert offered(client) == [s.path for s in SURFACES if opens(client, s.path)]


def test_the_declared_roles_are_the_ones_each_page_names():
    by_key = {s.key: s.roles for s in SURFACES}
    assert by_key == {
        "command": {Role.OPERATOR, Role.SHIFT_LEAD, Role.DISPATCHER, Role.LEADER},
        "dept": {Role.HANDLER},
        "mobile": {Role.GRID_WORKER},
        "enforcement": {Role.OPERATOR, Role.SHIFT_LEAD, Role.DISPATCHER, Role.LEADER, Role.HANDLER},
        "assessment": {Role.ASSESSOR, Role.LEADER},
    }


def test_a_superuser_is_offered_every_page_and_opens_all_but_the_grid_workers_own(huizhou_grid):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(UserFactory(username="root", is_superuser=True, is_staff=True))
    assert offered(client) == [s.path for s in SURFACES]
    assert [s.path for s in SURFACES if opens(client, s.path)] == [
        "/command/",
        "/dept/",
        "/enforcement/",
        "/assessment/",
    ]
