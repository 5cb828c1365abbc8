"""The enforcement chain through its API and its pages: the same steps, the same refusals, bad input answered with
field messages (400) and nothing half-written, the chain visible from both ends."""

import pytest
from django.test import Client
from rest_framework.test import APIClient

from accounts.models import Role
from cases.models import Category, EnforcementCase, EnforcementState, FilingCondition, PenaltyDecision
from grids.models import Department
from tests.factories.accounts import user_posted

pytestmark = pytest.mark.django_db


def api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def browser(user):
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def enforcer(personas):
    body = Department.objects.get(code="city-urban-enforcement")
    return user_posted(username="p-enforcer", role=Role.HANDLER, department=body)


@pytest.fixture
def chain(cases, personas):
    category = Category.objects.get(kind="E", code="0501")
    cases.category, cases.condition = category, FilingCondition.objects.filter(category=category).first()
    case = cases.to("handling", case=cases.report(category=category, description="流动摊贩占道经营"))
    response = api(personas["handler"]).post(
        f"/api/v1/cases/{case.pk}/transitions/",
        {
            "action": "transfer_to_enforcement",
            "note": "多次劝离无效",
            "enforcement_body": "city-urban-enforcement",
            "violation": "占道经营",
        },
        format="json",
    )
    assert response.status_code == 200, response.content
    return EnforcementCase.objects.get(source=case)


def step(user, chain, **body):
    return api(user).post(f"/api/v1/enforcement/{chain.pk}/steps/", body, format="json")


def test_the_api_walks_confirmation_and_a_decision_and_refuses_bad_input_with_field_messages(chain, enforcer, personas):
    assert step(personas["dispatcher"], chain, step="confirm", offence_code="ZDJY").status_code == 403
    assert step(personas["outsider"], chain, step="confirm", offence_code="ZDJY").status_code == 404
    bad = step(enforcer, chain, step="confirm", offence_code="NOPE")
    assert bad.status_code == 400 and "offence_code" in bad.json()
    ok = step(enforcer, chain, step="confirm", offence_code="ZDJY")
    assert ok.status_code == 200, ok.content
    assert ok.json()["state"] == EnforcementState.CONFIRMED
    assert set(ok.json()["allowed_steps"]) == {"collaborate", "decide", "party"}
    assert step(enforcer, chain, step="confirm", offence_code="ZDJY").status_code == 409
    outside = step(enforcer, chain, step="decide", circumstance="minor", fine="300")
    assert outside.status_code == 400 and "reason" in outside.json()
    assert not PenaltyDecision.objects.exists()  # nothing half-written
    standards = api(enforcer).get("/api/v1/discretion-standards/?offence_code=ZDJY").json()
    general = next(s for s in standards if s["circumstance"] == "general")
    decided = step(enforcer, chain, step="decide", circumstance="general", fine=general["fine_max"])
    assert decided.status_code == 200 and decided.json()["state"] == EnforcementState.DECIDED
    listed = api(personas["dispatcher"]).get("/api/v1/enforcement/").json()["results"]
    assert [row["number"] for row in listed] == [chain.number]
    assert api(personas["outsider"]).get("/api/v1/enforcement/").json()["results"] == []


def test_a_collaborating_department_gives_its_part_through_the_api(chain, enforcer, personas):
    step(enforcer, chain, step="confirm", offence_code="ZDJY")
    asked = step(enforcer, chain, step="collaborate", department="street-441302001", note="协助劝离")
    task = asked.json()["tasks"][0]
    empty = api(personas["street_handler"]).post(f"/api/v1/enforcement-parts/{task['id']}/give/", {"feedback": " "})
    assert empty.status_code == 400
    given = api(personas["street_handler"]).post(
        f"/api/v1/enforcement-parts/{task['id']}/give/", {"feedback": "已劝离"}
    )
    assert given.status_code == 200 and given.json()["state"] == "done"


def test_the_pages_show_the_chain_from_both_ends_and_take_a_step(chain, enforcer, personas):
    page = browser(enforcer).get(f"/enforcement/{chain.pk}/")
    assert page.status_code == 200 and chain.source.number in page.content.decode()
    panel = browser(personas["dispatcher"]).get(f"/command/cases/{chain.source_id}/")
    assert chain.number in panel.content.decode()
    bad = browser(enforcer).post(f"/enforcement/{chain.pk}/steps/decline/", {"note": ""})
    assert bad.status_code == 400 and 'class="errorlist" role="alert"' in bad.content.decode()
    done = browser(enforcer).post(f"/enforcement/{chain.pk}/steps/confirm/", {"offence_code": "ZDJY"})
    assert done.status_code == 302
    chain.refresh_from_db()
    assert chain.state == EnforcementState.CONFIRMED
    assert browser(personas["grid_worker"]).get("/enforcement/").status_code == 302  # sent home
    assert browser(personas["outsider"]).get(f"/enforcement/{chain.pk}/").status_code == 404
    listing_page = browser(personas["dispatcher"]).get("/enforcement/listings/")
    assert listing_page.status_code == 200


def test_the_body_adds_evidence_photos_checked_like_case_photos_and_both_ends_show_them(chain, enforcer, settings):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from cases.models import CaseEvent, CasePhoto
    from tests.fixtures.cases import jpeg_upload

    before = CasePhoto.objects.count()
    bad = SimpleUploadedFile("x.jpg", b"not a photo", content_type="image/jpeg")
    refused = browser(enforcer).post(f"/enforcement/{chain.pk}/evidence/", {"photos": [bad], "note": "现场"})
    assert refused.status_code == 400 and CasePhoto.objects.count() == before
    added = browser(enforcer).post(f"/enforcement/{chain.pk}/evidence/", {"photos": [jpeg_upload()], "note": "现场"})
    assert added.status_code == 302
    photo = CasePhoto.objects.latest("id")
    assert photo.case_id == chain.source_id and chain.evidence.filter(pk=photo.pk).exists()
    assert CaseEvent.objects.filter(case_id=chain.source_id, action="enforcement_evidence").exists()
