"""The inbox in headless Chromium: the bell rises live when a case reaches a dispatcher's queue, the inbox lists
it, a click opens the case in the command centre, and everything is marked read."""

import re

import pytest
from playwright.sync_api import expect

from dispatch.models import Notification

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DESKTOP = {"viewport": {"width": 1280, "height": 860}}


@pytest.fixture(autouse=True)
def _short_long_polls(settings):
    settings.EVENTS_FEED_MAX_WAIT_SECONDS = 2


def test_a_dispatcher_sees_the_bell_rise_opens_the_inbox_and_the_case_and_marks_all_read(
    browser_session, cases, personas, monkeypatch, screenshot_dir
):
    from dispatch.pages import command

    monkeypatch.setattr(command, "feed_available", lambda: True)
    dispatcher = personas["district_dispatcher"]  # the 惠城区 command centre: its cases wait in its queue
    session = browser_session(dispatcher, **DESKTOP)
    page = session.page
    page.goto(session.url("/command/"))
    expect(page.locator("#command-centre")).to_have_attribute("data-feed-cursor", re.compile(r"^\d+$"))
    bell = page.locator("#inbox-bell [data-unread]")
    expect(bell).to_have_text("0")

    # Two cases reach the district's dispatch queue while the page is open: the bell follows the live feed.
    first = cases.to("to_dispatch", case=cases.report(description="人行道旁暴露垃圾，有异味"))
    expect(bell).to_have_text("1")
    second = cases.to("to_dispatch", case=cases.report(description="东湖路口垃圾堆积无人清理"))
    expect(bell).to_have_text("2")
    assert Notification.objects.filter(user=dispatcher, read_at__isnull=True).count() == 2

    page.click("#inbox-bell")
    expect(page).to_have_url(re.compile(r"/inbox/$"))
    items = page.locator(".inbox-item")
    expect(items).to_have_count(2)
    expect(items.first).to_contain_text(second.number)  # newest first
    expect(page.locator(".inbox-item.unread")).to_have_count(2)
    page.screenshot(path=str(screenshot_dir / "inbox.png"))

    # A click opens the case where this dispatcher works on it, and reads the notification.
    page.locator(f"#notification-{Notification.objects.get(user=dispatcher, case=first).pk} .inbox-title a").click()
    expect(page).to_have_url(re.compile(rf"/command/\?case={first.pk}$"))
    expect(page.locator("#case-panel")).to_have_attribute("data-case", str(first.pk))
    expect(bell).to_have_text("1")

    page.goto(session.url("/inbox/?unread=on"))
    expect(page.locator(".inbox-item")).to_have_count(1)
    page.click("text=全部标为已读")  # htmx swaps the list in place; the bell follows
    expect(page.locator(".inbox-item")).to_have_count(0)
    expect(bell).to_have_text("0")
    assert not Notification.objects.filter(user=dispatcher, read_at__isnull=True).exists()
