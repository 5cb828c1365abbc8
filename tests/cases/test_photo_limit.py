"""The photo limit is settings.CASE_PHOTOS_MAX everywhere: API, page forms and the phone's config.

A report saved on a phone under a higher limit is answered with a specific 400 that names the current limit, so
the phone can ask the grid worker to remove photos and send it again; nothing is created until it fits.
"""

import json
import re

import pytest
from django.test import Client
from rest_framework.test import APIClient

from cases.models import Case, Status
from tests.fixtures.cases import jpeg_upload

pytestmark = pytest.mark.django_db


def report(user, cases, count, key="waited-offline-1"):
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(user)
    payload = {
        "category": "E0102",
        "description": "东湖路口暴露垃圾",
        "lon": cases.lon,
        "lat": cases.lat,
        "photos": [jpeg_upload(f"{i}.jpg", colour=(10 * i, 90, 60)) for i in range(count)],
    }
    return client.post("/api/v1/cases/", payload, format="multipart", HTTP_IDEMPOTENCY_KEY=key)


def test_a_report_saved_under_a_higher_limit_gets_a_400_that_names_the_new_limit(cases, personas, settings):
    settings.CASE_PHOTOS_MAX = 3
    before = Case.objects.count()
    response = report(personas["grid_worker"], cases, 5)
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "too_many_photos" and body["max_photos"] == 3
    assert body["photos"] == ["5 photos attached; at most 3 are accepted. Remove 2 and send again."]
    assert Case.objects.count() == before


def test_the_same_report_with_photos_removed_is_accepted_under_its_key(cases, personas, settings):
    settings.CASE_PHOTOS_MAX = 3
    assert report(personas["grid_worker"], cases, 5).status_code == 400
    response = report(personas["grid_worker"], cases, 3)
    assert response.status_code == 201, response.content
    assert len(response.json()["photos"]) == 3
    assert Case.objects.get(pk=response.json()["id"]).idempotency_key == "waited-offline-1"


def test_a_raised_limit_applies_without_a_restart(cases, personas, settings):
    settings.CASE_PHOTOS_MAX = 7
    response = report(personas["grid_worker"], cases, 7)
    assert response.status_code == 201, response.content


def test_the_message_is_translated(cases, personas, settings):
    settings.CASE_PHOTOS_MAX = 2
    client = APIClient(HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.force_authenticate(personas["grid_worker"])
    payload = {"category": "E0102", "description": "x", "lon": cases.lon, "lat": cases.lat}
    payload["photos"] = [jpeg_upload(f"{i}.jpg") for i in range(3)]
    body = client.post("/api/v1/cases/", payload, format="multipart").json()
    assert body["photos"] == ["附了 3 张照片，最多只收 2 张。请删去 1 张后重新发送。"]


def test_a_transition_with_too_many_photos_is_refused_by_the_same_limit(cases, personas, settings):
    settings.CASE_PHOTOS_MAX = 2
    case = cases.to("handling")
    client = APIClient()
    client.force_authenticate(personas["handler"])
    payload = {"action": "feedback", "note": "已处理", "photos": [jpeg_upload(f"{i}.jpg") for i in range(3)]}
    response = client.post(f"/api/v1/cases/{case.pk}/transitions/", payload, format="multipart")
    assert response.status_code == 400 and "photos" in response.json()
    assert Case.objects.get(pk=case.pk).status == Status.HANDLING


def test_the_phone_and_the_action_form_learn_the_limit_from_the_setting(cases, personas, settings):
    settings.CASE_PHOTOS_MAX = 4
    phone = Client(HTTP_ACCEPT_LANGUAGE="en")
    phone.force_login(personas["grid_worker"])
    html = phone.get("/m/").content.decode()
    config = json.loads(re.search(r'<script id="m-config" type="application/json">(.*?)</script>', html, re.S)[1])
    assert config["maxPhotos"] == 4
    assert "Up to 4 photos" in html and "0/4" in html
    strings = json.loads(re.search(r'<script id="m-strings" type="application/json">(.*?)</script>', html, re.S)[1])
    assert "{extra}" in strings["too_many_queued"]

    case = cases.to("handling")
    page = Client(HTTP_ACCEPT_LANGUAGE="en")
    page.force_login(personas["handler"])
    panel = page.get(f"/dept/cases/{case.pk}/", HTTP_HX_REQUEST="true").content.decode()
    assert 'data-max-files="4"' in panel and "After photos (up to 4)" in panel
    assert 'data-too-many="Attach at most 4 photos."' in panel
    url = f"/dept/cases/{case.pk}/actions/feedback/"
    photos = [jpeg_upload(f"{i}.jpg") for i in range(5)]
    response = page.post(url, {"note": "已处理", "photos": photos}, HTTP_HX_REQUEST="true")
    assert response.status_code == 422 and "Attach at most 4 photos." in response.content.decode()
