"""A resident's report through /public/report/: it enters the centre like any public report, bad input is refused
in words with nothing written, and the follow page shows only what the public may see."""

import re

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile

from cases.models import Case, CaseEvent, CasePhoto, PhotoKind, Source, Status
from dispatch.models import PublicFollow
from dispatch.public import services
from tests.fixtures.cases import jpeg_upload

pytestmark = pytest.mark.django_db


def test_a_report_becomes_a_public_case_in_the_acceptance_queue_entered_by_the_portal_user(portal, resident, phone):
    response, case, token = portal.report(resident, contact_name="王女士", contact_phone=phone, wants_callback="on")
    assert response.status_code == 302
    assert case.source == Source.PUBLIC and case.status == Status.REPORTED
    assert case.created_by.username == settings.PUBLIC_PORTAL_USERNAME
    assert not case.created_by.has_usable_password() and not case.created_by.is_active
    assert case.region.code.startswith("441302")  # located by the server
    assert case.callback_requested and case.contact_phone == phone and case.contact_name == "王女士"
    assert CasePhoto.objects.filter(case=case, kind=PhotoKind.BEFORE).count() == 1
    report = CaseEvent.objects.get(case=case, action="report")
    assert report.actor_role == "public"
    # Only the digest of the token is kept.
    follow = PublicFollow.objects.get(case=case)
    assert follow.token_digest != token and len(token) >= 40
    page = resident.get(f"/public/follow/{token}/")
    assert page.status_code == 200
    assert case.number in page.content.decode()


def test_a_wrong_follow_token_is_not_found(resident):
    assert resident.get("/public/follow/not-a-token/").status_code == 404


@pytest.mark.parametrize(
    ("field", "value", "words"),
    [
        ("category", "Z9999", "Choose the kind of problem"),
        ("description", "   ", "Describe the problem"),
        ("lon", "", "Put a pin on the map"),
        ("contact_phone", "12345", "11-digit mobile number"),
        ("lon", "170.0", "outside every grid"),
    ],
)
def test_bad_input_is_refused_in_words_and_nothing_is_written(portal, resident, field, value, words):
    before = (Case.objects.count(), PublicFollow.objects.count(), CasePhoto.objects.count())
    response, case, _token = portal.report(resident, **{field: value})
    assert response.status_code == 400
    assert words in response.content.decode()
    assert case is None
    assert (Case.objects.count(), PublicFollow.objects.count(), CasePhoto.objects.count()) == before


def test_a_large_photo_is_refused_in_words(portal, resident, settings):
    settings.PHOTO_MAX_BYTES = 2000
    big = jpeg_upload(size=(800, 600), colour=(10, 200, 30))
    response, case, _token = portal.report(resident, photo=big)
    assert response.status_code == 400
    assert "too large" in response.content.decode()
    assert case is None


def test_a_file_that_is_not_an_image_is_refused_in_words(portal, resident):
    text = SimpleUploadedFile("notes.jpg", b"this is not a photo at all", content_type="image/jpeg")
    response, case, _token = portal.report(resident, photo=text)
    assert response.status_code == 400
    assert "not an image" in response.content.decode()
    assert case is None


def test_a_failure_after_the_case_was_made_leaves_nothing_half_written(portal, resident, phone, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("SMS outbox unavailable")

    monkeypatch.setattr(services, "_code_issue", broken)
    before = (Case.objects.count(), CaseEvent.objects.count(), PublicFollow.objects.count())
    with pytest.raises(RuntimeError):
        portal.report(resident, contact_phone=phone, wants_updates="on")
    assert (Case.objects.count(), CaseEvent.objects.count(), PublicFollow.objects.count()) == before


def test_the_follow_page_shows_public_words_only_no_notes_names_or_reporter_data(portal, resident, phone, cases):
    _response, case, token = portal.report(resident, contact_name="李秘密", contact_phone=phone)
    case = cases.to("handling", case=case)
    cases.act(case, "handler", "feedback", note="INTERNAL-NOTE-FEEDBACK", photos=[jpeg_upload(colour=(1, 2, 3))])
    closed = cases.to("closed", case=Case.objects.get(pk=case.pk))
    page = resident.get(f"/public/follow/{token}/").content.decode()
    assert "Closed" in page
    secrets = ["李秘密", phone, "INTERNAL-NOTE-FEEDBACK"]
    secrets += [str(p) for p in cases.p.values()]
    secrets += [p.username for key, p in cases.p.items() if key != "handler_department"]
    secrets += [cases.p["handler_department"].name]
    for secret in secrets:
        assert secret not in page, secret
    # Nor the phone's last four digits as a number of their own (a masked "139****1234"); within a longer run of
    # digits (a timestamp's microseconds, an id) they are something else.
    assert not re.search(rf"(?<!\d){phone[-4:]}(?!\d)", page)
    # The photos of the result are shown; the reporter's own "before" photo is not served by the follow link.
    after = CasePhoto.objects.filter(case=closed, kind=PhotoKind.AFTER).first()
    before = CasePhoto.objects.filter(case=closed, kind=PhotoKind.BEFORE).first()
    assert f"/public/follow/{token}/photos/{after.pk}/" in page
    assert resident.get(f"/public/follow/{token}/photos/{after.pk}/").status_code == 200
    assert resident.get(f"/public/follow/{token}/photos/{before.pk}/").status_code == 404
    # Another case's photo is not reachable through this token.
    other = cases.report(photos=[jpeg_upload()])
    photo = CasePhoto.objects.filter(case=other).first()
    assert resident.get(f"/public/follow/{token}/photos/{photo.pk}/").status_code == 404


def test_outcome_photos_wait_until_the_case_is_closed(portal, resident, cases):
    _response, case, token = portal.report(resident)
    case = cases.to("to_check", case=case)
    after = CasePhoto.objects.filter(case=case, kind=PhotoKind.AFTER).first()
    assert resident.get(f"/public/follow/{token}/photos/{after.pk}/").status_code == 404


def test_the_portal_forms_need_their_csrf_token(portal, address):
    from django.test import Client

    strict = Client(REMOTE_ADDR=address, HTTP_ACCEPT_LANGUAGE="en", enforce_csrf_checks=True)
    before = Case.objects.count()
    assert strict.post("/public/report/", portal.form()).status_code == 403
    assert Case.objects.count() == before
    page = strict.get("/public/report/").content.decode()
    assert 'name="csrfmiddlewaretoken"' in page and "<script>" not in page  # no inline script (CSP)
