"""Case photos leave the server only through the scoped /photos/ID/ views, never under MEDIA_URL.

In the default mode the view streams the file; with PHOTO_SERVING="x-accel" it checks the scope and hands the
sending to nginx with an X-Accel-Redirect into an internal location (docs/deploy.md).
"""

import importlib
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.files.storage import default_storage
from django.test import Client
from django.urls import clear_url_caches, reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests.fixtures.cases import jpeg_upload

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


def client_for(user):
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def photo(cases):
    photo = cases.report(photos=[jpeg_upload()]).photos.get()
    assert default_storage.exists(photo.image.name) and default_storage.exists(photo.thumbnail.name)
    return photo


@pytest.fixture
def urls_under(settings):
    """`urls_under(debug=...)`: the URL configuration built again as it is built with DEBUG on or off."""
    module = importlib.import_module(settings.ROOT_URLCONF)

    def rebuild(*, debug):
        settings.DEBUG = debug
        importlib.reload(module)
        clear_url_caches()

    yield rebuild
    rebuild(debug=False)


@pytest.mark.parametrize("debug", [True, False], ids=["development", "production"])
def test_media_urls_never_serve_a_case_photo(photo, personas, settings, urls_under, debug):
    urls_under(debug=debug)
    operator = client_for(personas["operator"])
    for name in (photo.image.name, photo.thumbnail.name):
        assert operator.get(settings.MEDIA_URL + name).status_code == 404
        assert Client().get(settings.MEDIA_URL + name).status_code == 404
    assert operator.get(reverse("case-photo", args=[photo.pk])).status_code == 200


def test_by_default_the_view_streams_the_stored_file_to_those_who_see_the_case(photo, personas):
    response = client_for(personas["operator"]).get(reverse("case-photo", args=[photo.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    with default_storage.open(photo.image.name, "rb") as stored:
        assert b"".join(response.streaming_content) == stored.read()
    assert "X-Accel-Redirect" not in response
    assert response["Cache-Control"] == "private, max-age=86400"


def test_with_x_accel_the_view_checks_the_scope_and_lets_nginx_send_the_file(photo, personas, settings):
    settings.PHOTO_SERVING = "x-accel"
    settings.PHOTO_ACCEL_PREFIX = "/internal-photos/"
    operator = client_for(personas["operator"])

    response = operator.get(reverse("case-photo", args=[photo.pk]))
    assert response.status_code == 200 and response.content == b""
    assert response["X-Accel-Redirect"] == "/internal-photos/" + photo.image.name
    assert response["Content-Type"] == "image/jpeg" and response["Cache-Control"] == "private, max-age=86400"
    thumbnail = operator.get(reverse("case-photo-thumbnail", args=[photo.pk]))
    assert thumbnail["X-Accel-Redirect"] == "/internal-photos/" + photo.thumbnail.name

    refused = client_for(personas["outsider"]).get(reverse("case-photo", args=[photo.pk]))
    assert refused.status_code == 404 and "X-Accel-Redirect" not in refused
    anonymous = Client().get(reverse("case-photo", args=[photo.pk]))
    assert anonymous.status_code == 302 and "X-Accel-Redirect" not in anonymous


def test_the_api_gives_the_scoped_photo_urls_and_its_token_opens_them(photo, personas):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=personas['operator']).key}")
    (listed,) = client.get(f"/api/v1/cases/{photo.case_id}/").json()["photos"]
    assert listed["url"] == f"http://testserver/photos/{photo.pk}/"
    assert listed["thumbnail_url"] == f"http://testserver/photos/{photo.pk}/thumbnail/"
    assert client.get(listed["thumbnail_url"]).status_code == 200

    outsider = APIClient(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=personas['outsider']).key}")
    assert outsider.get(listed["url"]).status_code == 404
    forged = APIClient(HTTP_AUTHORIZATION="Token not-a-token")
    assert forged.get(listed["url"]).status_code == 302


def test_an_unknown_serving_mode_stops_the_start():
    env = {**os.environ, "PHOTO_SERVING": "public", "DJANGO_SETTINGS_MODULE": "huizhou_cityops.settings.base"}
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode != 0
    assert "PHOTO_SERVING must be 'django' or 'x-accel', not 'public'" in result.stderr
