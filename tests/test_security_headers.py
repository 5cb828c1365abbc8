"""Headers and privacy: the Content-Security-Policy on every answer, no inline script in the templates, no-store on
what signed-in people read, and the public's phone numbers whole only for those who call back."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from rest_framework.test import APIClient

from huizhou_cityops.headers import content_security_policy, tile_origin

PHONE, MASKED = "13812345678", "138****5678"
TEMPLATES = Path(settings.BASE_DIR) / "templates"


def signed_in(user):
    client = APIClient()
    client.force_login(user)
    return client


@pytest.fixture
def phoned_case(cases, personas):
    """A public report with a phone number, dispatched to the handler's department."""
    case = cases.report(actor=personas["operator"], source="public", contact_phone=PHONE)
    return cases.to("handling", case=case)


# The policy


def test_our_pages_get_the_strict_policy(client):
    policy = client.get("/accounts/login/")["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["object-src"] == "'none'"
    assert directives["frame-ancestors"] == "'none'"
    assert "unsafe" not in policy


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("persona", "path"),
    [
        ("dispatcher", "/command/"),
        ("handler", "/dept/"),
        ("grid_worker", "/m/"),
        ("dispatcher", "/"),
        ("dispatcher", "/api/v1/cases/"),
    ],
)
def test_every_page_and_api_answer_carries_the_policy(personas, persona, path):
    response = signed_in(personas[persona]).get(path)
    assert response.status_code == 200
    assert response["Content-Security-Policy"] == content_security_policy(path)
    assert "'unsafe-inline'" not in response["Content-Security-Policy"]


def test_only_the_admin_and_the_api_docs_allow_their_inline_scripts():
    assert "script-src 'self' 'unsafe-inline'" in content_security_policy("/admin/grids/region/1/change/")
    assert "script-src 'self' 'unsafe-inline'" in content_security_policy("/api/docs/")
    assert "script-src 'self';" in content_security_policy("/command/")


def test_the_tile_server_is_allowed_for_images(settings):
    settings.LEAFLET_TILE_URL = "https://{s}.tiles.example.gov.cn/{z}/{x}/{y}.png"
    assert tile_origin(settings.LEAFLET_TILE_URL) == "https://*.tiles.example.gov.cn"
    assert "img-src 'self' data: blob: https://*.tiles.example.gov.cn;" in content_security_policy("/command/")
    settings.LEAFLET_TILE_URL = ""
    assert "img-src 'self' data: blob:;" in content_security_policy("/command/")


@pytest.mark.parametrize("template", sorted(TEMPLATES.rglob("*.html")), ids=lambda p: str(p.relative_to(TEMPLATES)))
def test_templates_have_no_inline_script_or_event_handler(template):
    text = template.read_text()
    for tag in re.findall(r"<script\b[^>]*>", text):
        assert "src=" in tag or 'type="application/json"' in tag, f"inline script: {tag}"
    assert not re.search(r"\son[a-z]+\s*=", text), "an on…= handler attribute"
    assert not re.search(r"\sstyle\s*=", text), "a style attribute"


# no-store


@pytest.mark.django_db
def test_answers_with_personal_data_are_not_stored(phoned_case, personas, assessor):
    dispatcher, handler = signed_in(personas["dispatcher"]), signed_in(personas["handler"])
    answers = {
        "case detail (API)": dispatcher.get(f"/api/v1/cases/{phoned_case.pk}/"),
        "case list (API)": dispatcher.get("/api/v1/cases/"),
        "command-centre panel": dispatcher.get(f"/command/cases/{phoned_case.pk}/"),
        "command-centre list": dispatcher.get("/command/cases/"),
        "department panel": handler.get(f"/dept/cases/{phoned_case.pk}/"),
        "department page": handler.get("/dept/"),
        "assessment export": signed_in(assessor).get("/assessment/export.csv"),
    }
    for name, response in answers.items():
        assert response.status_code == 200, name
        assert "no-store" in response["Cache-Control"], name


@pytest.mark.django_db
def test_a_token_caller_gets_no_store_too(phoned_case, personas):
    from rest_framework.authtoken.models import Token

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=personas['dispatcher']).key}")
    assert client.get(f"/api/v1/cases/{phoned_case.pk}/")["Cache-Control"] == "no-store"


# Phone numbers


@pytest.mark.django_db
def test_the_operator_who_calls_back_sees_the_whole_number(phoned_case, personas):
    operator = signed_in(personas["operator"])
    assert operator.get(f"/api/v1/cases/{phoned_case.pk}/").json()["contact"]["phone"] == PHONE
    assert PHONE in operator.get(f"/command/cases/{phoned_case.pk}/").content.decode()


@pytest.mark.django_db
def test_no_list_panel_or_export_shows_the_whole_number_to_roles_that_do_not_call_back(phoned_case, personas, assessor):
    # Leaders read the command centre but do not call reporters back (dispatchers do, and see the number).
    leader, handler = signed_in(personas["leader"]), signed_in(personas["handler"])
    answers = {
        "case detail (API)": leader.get(f"/api/v1/cases/{phoned_case.pk}/"),
        "case list (API)": leader.get("/api/v1/cases/"),
        "command-centre panel": leader.get(f"/command/cases/{phoned_case.pk}/"),
        "command-centre list": leader.get("/command/cases/"),
        "department panel": handler.get(f"/dept/cases/{phoned_case.pk}/"),
        "department page": handler.get("/dept/"),
        "department board": handler.get("/dept/board/?format=json"),
        "grid worker's tasks": signed_in(personas["grid_worker"]).get("/m/tasks/"),
        "assessment export (CSV)": signed_in(assessor).get("/assessment/export.csv"),
        "assessment cases": signed_in(assessor).get("/assessment/"),
    }
    for name, response in answers.items():
        assert response.status_code == 200, name
        assert PHONE not in response.content.decode(), name
    assert MASKED in answers["command-centre panel"].content.decode()
    assert answers["case detail (API)"].json()["contact"]["phone"] == MASKED
    assert signed_in(personas["dispatcher"]).get(f"/api/v1/cases/{phoned_case.pk}/").json()["contact"]["phone"] == PHONE
