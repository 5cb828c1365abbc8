"""The home page: the links each person's roles open, role names in the user's language."""

import re

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def links(user, language="en"):
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    body = client.get("/").content.decode()
    home = re.search(r'<nav class="home-links".*?</nav>', body, re.S)
    return (re.findall(r'href="([^"]+)"', home.group(0)) if home else []), body


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("operator", ["/command/", "/enforcement/"]),
        ("dispatcher", ["/command/", "/enforcement/"]),
        ("leader", ["/command/", "/enforcement/", "/assessment/"]),
        ("handler", ["/dept/", "/enforcement/"]),
        ("grid_worker", ["/m/"]),
        ("assessor", ["/assessment/"]),
    ],
)
def test_each_role_gets_the_links_of_its_work(personas, assessor, persona, expected):
    user = assessor if persona == "assessor" else personas[persona]
    assert links(user)[0] == expected


def test_staff_also_get_the_administration(personas):
    user = personas["dispatcher"]
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    assert links(user)[0] == ["/command/", "/enforcement/", "/admin/"]


def test_role_names_are_translated(personas):
    _links, body = links(personas["handler"], language="zh-hans")
    assert "处置单位人员" in body
    _links, body = links(personas["handler"], language="en")
    assert "Department handler" in body


def test_someone_without_a_posting_is_told_so(django_user_model):
    user = django_user_model.objects.create_user("nobody", password="a-long-password-1")
    found, body = links(user)
    assert found == []
    assert "You have no posting yet" in body


def test_the_top_bar_marks_the_current_page(personas):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(personas["dispatcher"])
    body = client.get("/command/").content.decode()
    assert '<a href="/command/" aria-current="page">' in body
