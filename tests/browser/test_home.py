"""All pages in headless Chromium: the home fits the roles, the language switch, keyboard use, small screens."""

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _no_long_polls(monkeypatch, settings):
    """Pages poll the counts instead of long-polling the feed, so no request outlives its test (the live test
    switches the feed back on)."""
    from dispatch.pages import command

    monkeypatch.setattr(command, "feed_available", lambda: False)
    settings.EVENTS_FEED_MAX_WAIT_SECONDS = 2


def test_a_leader_lands_on_a_home_with_the_work_of_their_roles(browser_session, personas, screenshot_dir):
    session = browser_session(personas["leader"], viewport={"width": 1100, "height": 640})
    page = session.page
    assert page.url.rstrip("/") == session.url("")
    links = page.locator(".home-links a")
    expect(links).to_have_count(3)
    expect(links.nth(0)).to_contain_text("指挥中心")
    expect(links.nth(1)).to_have_attribute("href", "/enforcement/")
    expect(links.nth(2)).to_have_attribute("href", "/assessment/")
    expect(page.locator(".roles")).to_contain_text("领导")
    page.screenshot(path=str(screenshot_dir / "home.png"))
    links.nth(0).click()
    expect(page).to_have_url(session.url("/command/"))
    expect(page.locator('.mainnav a[aria-current="page"]')).to_have_text("指挥中心")


def test_a_handler_reaches_the_workspace_and_is_sent_home_from_the_command_centre(browser_session, personas):
    session = browser_session(personas["handler"])
    page = session.page
    expect(page.locator(".home-links a")).to_have_count(2)  # the workspace and the enforcement pages
    page.click('.home-links a[href="/dept/"]')
    expect(page).to_have_url(session.url("/dept/"))
    page.goto(session.url("/command/"))
    expect(page).to_have_url(session.url("/"))
    expect(page.locator(".messages")).to_contain_text("指挥中心")


def test_the_language_switch_keeps_the_user_on_the_page(browser_session, personas):
    session = browser_session(personas["dispatcher"])
    page = session.page
    page.goto(session.url("/command/?queue=to_dispatch"))
    expect(page.locator("#tab-to_dispatch .qtab-label")).to_have_text("待派遣")
    with page.expect_navigation():
        page.select_option("#language-select", "en")
    assert "/command/" in page.url
    expect(page.locator("#tab-to_dispatch .qtab-label")).to_have_text("To dispatch")
    expect(page.locator("#tab-to_dispatch")).to_have_attribute("aria-selected", "true")


def test_the_keyboard_reaches_the_content_first_and_sees_where_it_is(browser_session, personas):
    session = browser_session(personas["dispatcher"])
    page = session.page
    page.goto(session.url("/command/"))
    page.keyboard.press("Tab")
    expect(page.locator(".skip-link")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#main")).to_be_focused()
    page.focus("#tab-all")
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none"  # the focus is visible
    # Every form control of the page has a label a screen reader announces.
    unlabelled = page.evaluate(
        """() => Array.from(document.querySelectorAll('input:not([type=hidden]), select, textarea'))
             .filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label')
                           && !el.closest('label'))
             .map(el => el.name || el.id)"""
    )
    assert unlabelled == []
