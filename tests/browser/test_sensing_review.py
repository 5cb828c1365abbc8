"""待核实 in headless Chromium: a camera posts a detection below its threshold to the live server, the operator on
shift finds it from the command centre, looks at the snapshot and confirms it; the case is accepted and waits to be
filed, and the queue is empty again."""

import httpx
import pytest
from django.core.cache import cache
from playwright.sync_api import expect

from cases.models import Case, SensingEvent, Source, Status
from cases.services.sensing_queue import sensing_process
from tests.factories.sensing import detection, sensing_source

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DESKTOP = {"viewport": {"width": 1440, "height": 1000}}


@pytest.fixture(autouse=True)
def _no_long_polls(monkeypatch, settings):
    """The command centre polls its counts instead of long-polling the feed, so no request outlives the test."""
    from dispatch.pages import command

    monkeypatch.setattr(command, "feed_available", lambda: False)
    settings.EVENTS_FEED_MAX_WAIT_SECONDS = 2


def test_an_operator_confirms_a_detection_below_threshold_from_the_queue(
    browser_session, live_server, cases, personas, screenshot_dir
):
    cache.clear()
    _source, key = sensing_source(owner=personas["handler_department"], classes=(("E0102", "0.8"),))
    body = detection(event_id="qd-cam-017-30001", lon=cases.lon, lat=cases.lat, confidence=0.62)
    posted = httpx.post(f"{live_server.url}/api/v1/sensing/events/", json=body, headers={"X-Api-Key": key})
    assert posted.status_code == 202 and posted.json()["state"] == "pending"
    # The worker's step (run here, as the followup worker would) puts it in 待核实; the source reads that back.
    assert sensing_process() == {"pending": 1}
    answer = httpx.get(f"{live_server.url}/api/v1/sensing/events/{body['event_id']}/", headers={"X-Api-Key": key})
    assert answer.json()["state"] == "processed" and answer.json()["outcome"] == "pending"

    session = browser_session(personas["operator"], **DESKTOP)
    page = session.page
    page.goto(session.url("/command/"))
    expect(page.locator('#sensing-link [data-count="sensing"]')).to_have_text("1")
    with page.expect_navigation():
        page.click("#sensing-link")
    row = page.locator(f'#sensing-table tr[data-external="{body["event_id"]}"]')
    expect(row).to_be_visible()
    expect(row).to_contain_text("0.62")
    page.screenshot(path=str(screenshot_dir / "sensing-review-queue.png"), full_page=True)

    with page.expect_navigation():
        row.locator("button[name=confirm]").click()
    case = Case.objects.get(source=Source.SENSOR)
    expect(page.locator(".messages")).to_contain_text(case.number)
    expect(page.locator("#sensing-empty")).to_be_visible()
    assert case.status == Status.TO_REGISTER
    assert SensingEvent.objects.get(external_id=body["event_id"]).case == case

    # The case now waits in the shift lead's 待立案 tab of the command centre.
    page.goto(session.url("/command/?queue=to_register"))
    expect(page.locator("#case-list")).to_contain_text(case.number)
