"""The administration of sensing sources: a new source's key is shown once (only its hash is stored), "issue a new
key" replaces it and "revoke" refuses it."""

import re

import pytest
from django.contrib.messages import get_messages
from django.core.cache import cache
from django.test import Client

from accounts.security.client_keys import key_hash
from cases.models import SensingSource
from tests.factories.accounts import UserFactory
from tests.factories.sensing import detection, sensing_post, sensing_source

KEY = re.compile(r"copy it now\): (\S+)$")


@pytest.fixture
def admin_client(db):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(UserFactory(username="p-admin", is_superuser=True, is_staff=True))
    return client


def _keys(response):
    return [KEY.search(str(m)).group(1) for m in get_messages(response.wsgi_request) if KEY.search(str(m))]


def test_a_new_source_shows_its_key_once_and_keeps_only_its_hash(admin_client, cases, personas):
    cache.clear()
    form = {
        "name": "桥东街道 东湖路口摄像头",
        "kind": "camera",
        "owner": personas["handler_department"].pk,
        "point": "",
        "rate_limit": 600,
        "thresholds-TOTAL_FORMS": 1,
        "thresholds-INITIAL_FORMS": 0,
        "thresholds-0-category": cases.category.pk,
        "thresholds-0-threshold": "0.75",
    }
    response = admin_client.post("/admin/cases/sensingsource/add/", form)
    assert response.status_code == 302, response.content.decode()[:2000]
    [raw] = _keys(response)
    source = SensingSource.objects.get()
    assert source.key_hash == key_hash(raw) and raw not in (source.key_hash, source.key_prefix)
    assert source.thresholds.get().threshold == pytest.approx(0.75)
    assert sensing_post(raw, detection(event_id="a", lon=cases.lon, lat=cases.lat)).status_code == 202
    # The page the form leads to shows it; no page after that does.
    assert raw in admin_client.get(response["Location"]).content.decode()
    assert raw not in admin_client.get(f"/admin/cases/sensingsource/{source.pk}/change/").content.decode()


def test_issuing_a_new_key_retires_the_old_one_and_revoking_refuses_it(admin_client, cases, personas):
    cache.clear()
    source, old = sensing_source(owner=personas["handler_department"])
    changelist = "/admin/cases/sensingsource/"
    response = admin_client.post(changelist, {"action": "issue_new_key", "_selected_action": [source.pk]})
    [new] = _keys(response)
    assert sensing_post(old, detection(event_id="a", lon=cases.lon, lat=cases.lat)).status_code == 401
    assert sensing_post(new, detection(event_id="b", lon=cases.lon, lat=cases.lat)).status_code == 202
    admin_client.post(changelist, {"action": "revoke_key", "_selected_action": [source.pk]})
    assert sensing_post(new, detection(event_id="c", lon=cases.lon, lat=cases.lat)).status_code == 401
    source.refresh_from_db()
    assert source.revoked
