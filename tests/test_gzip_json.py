"""JSON answers are gzipped for clients that accept it; pages and streams are not."""

import gzip
import json

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def test_a_json_answer_is_gzipped_and_reads_back_the_same(personas):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(personas["dispatcher"])
    url = "/command/map/grids/?level=district&bbox=113.8,22.5,115.5,24.1"
    plain = client.get(url)
    packed = client.get(url, HTTP_ACCEPT_ENCODING="gzip, deflate")
    assert "Content-Encoding" not in plain
    assert packed["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in packed["Vary"]
    assert len(packed.content) * 3 < len(plain.content)
    assert json.loads(gzip.decompress(packed.content)) == json.loads(plain.content)


def test_pages_are_not_gzipped(personas):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(personas["dispatcher"])
    response = client.get("/command/", HTTP_ACCEPT_ENCODING="gzip")
    assert response.status_code == 200
    assert "Content-Encoding" not in response
