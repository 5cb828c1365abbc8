"""An Open311 client system posts a resident's report over raw HTTP; the operator on shift finds it in the command
centre's 待受理 queue, accepts it in the panel, and the client reads the new status back in both formats."""

import json
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET

import pytest
from django.core.cache import cache
from playwright.sync_api import expect

from cases.models import Case, Source, Status
from cases.open311.services import open311_client_create
from tests.browser.panel import panel_act

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _no_long_polls(monkeypatch, settings):
    from dispatch.pages import command

    monkeypatch.setattr(command, "feed_available", lambda: False)
    settings.EVENTS_FEED_MAX_WAIT_SECONDS = 2


def _http(url, data=None):
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    with urllib.request.urlopen(urllib.request.Request(url, data=body), timeout=30) as answer:  # noqa: S310
        return answer.status, answer.headers["Content-Type"], answer.read()


def test_a_request_from_the_12345_platform_is_accepted_by_the_operator_and_its_status_read_back(
    browser_session, cases, personas, live_server
):
    cache.clear()
    _client, key = open311_client_create(name="12345 政务服务平台")
    base = f"{live_server.url}/open311/v2"
    status, content_type, body = _http(
        f"{base}/requests.xml",
        {
            "api_key": key, "jurisdiction_id": "huizhou.gov.cn", "service_code": "E0102",
            "lat": f"{cases.lat:.6f}", "long": f"{cases.lon:.6f}", "address_string": "惠城区桥东街道东湖路",
            "description": "东湖路公交站旁垃圾堆放多日", "first_name": "张", "phone": "13900001111",
        },
    )  # fmt: skip
    assert status == 200 and content_type.startswith("text/xml")
    root = ET.fromstring(body)  # noqa: S314 - our own server's answer
    number = root.findtext("request/service_request_id")
    case = Case.objects.get(number=number)
    assert case.source == Source.OTHER_SYSTEM and case.status == Status.REPORTED

    session = browser_session(personas["operator"], viewport={"width": 1400, "height": 900})
    page = session.page
    page.goto(session.url("/command/?queue=reported"))
    row = page.locator(f'.case-row[data-case="{case.pk}"]')
    expect(row).to_be_visible()
    expect(row).to_contain_text(number)
    page.goto(session.url(f"/command/?queue=reported&case={case.pk}"))
    expect(page.locator("#case-panel")).to_contain_text("13900001111")  # the desk may call the resident back
    panel_act(page, "accept", "to_register")

    status, content_type, body = _http(f"{base}/requests/{number}.json")
    (request,) = json.loads(body)
    assert status == 200 and content_type.startswith("application/json")
    assert request["status"] == "open" and request["service_request_id"] == number
    assert request["status_notes"] == "已受理，正在立案。"  # public words, in the default language
    assert "13900001111" not in body.decode() and "张" not in body.decode()
    _status, _type, body = _http(f"{base}/requests.xml?service_request_id={number}")
    root = ET.fromstring(body)  # noqa: S314
    assert [r.findtext("service_request_id") for r in root.findall("request")] == [number]
