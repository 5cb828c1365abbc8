"""The transparency page in headless Chromium, as a resident on a phone: no sign-in, the map of recent reports in
~200 m squares, the districts' month, the switch to English — under the Content-Security-Policy."""

import pytest
from playwright.sync_api import expect

from cases.models import Source

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}


def test_a_resident_on_a_phone_reads_the_map_and_the_districts_and_switches_to_english(
    browser_session, cases, personas, settings, screenshot_dir
):
    settings.ASSESSMENT_LIVE_CACHE_SECONDS = 0
    settings.TRANSPARENCY_CACHE_SECONDS = 0
    # The morning's calls: two accepted near each other, one filed and dispatched, one still unaccepted.
    first = cases.act(cases.report(actor=personas["operator"], source=Source.HOTLINE_12345), "operator", "accept")
    cases.act(cases.report(actor=personas["operator"], source=Source.PUBLIC), "operator", "accept")
    cases.to("handling")
    cases.report(actor=personas["operator"], source=Source.HOTLINE_12345, description="未受理的来电 秘密9Q")
    session = browser_session(None, **PHONE)
    page = session.page
    violations = []
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    page.goto(session.url("/public/transparency/"))
    expect(page.locator('.public-nav a[aria-current="page"]')).to_have_attribute("href", "/public/transparency/")
    expect(page.locator("h1")).to_contain_text("信息公开")
    # The map draws squares, not points: one square holds the three taken-up reports of the same spot.
    cells = page.locator("#transparency-map path.transparency-cell")
    expect(cells).to_have_count(1)
    cells.first.hover()
    expect(page.locator(".leaflet-tooltip")).to_contain_text("3")
    # Zoomed out to the whole city, a square would be under a pixel: it becomes a dot.
    page.locator(".leaflet-control-zoom-out").click()
    expect(page.locator("#transparency-map path.transparency-dot")).to_have_count(1)
    expect(cells).to_have_count(0)
    rows = page.locator("#district-table tbody tr")
    expect(rows).to_have_count(5)
    expect(page.locator('#district-table tr[data-code="441302"] td').first).to_have_text("3")
    expect(page.locator("#listings")).to_contain_text("目前没有公开的挂牌督办事项")
    page.screenshot(path=str(screenshot_dir / "transparency-phone.png"), full_page=True)
    body = page.content()
    assert first.number not in body and "秘密9Q" not in body and first.address not in body
    # The page fits the phone: nothing wider than the screen.
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
    page.select_option("#language-select", "en")  # the select submits itself (site.js)
    expect(page.locator("h1")).to_contain_text("Transparency")
    expect(page.locator("#district-table thead")).to_contain_text("Closed on time")
    expect(page.locator("#transparency-map path.transparency-cell")).to_have_count(1)
    assert violations == []
