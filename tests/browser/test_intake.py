"""The intake desk in headless Chromium: a 12345 call found in the gazetteer, the category by pinyin initials, the
possible duplicate shown, accepted and filed in one step, and the case waiting in the command centre's queue."""

import re

import pytest
from django.test import Client
from playwright.sync_api import expect

from accounts.models import Role
from cases.models import Case, FilingCondition, Status
from grids.models import Region
from tests.factories.accounts import PostingFactory, user_posted
from tests.fixtures.grid import CITY

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DESKTOP = {"viewport": {"width": 1440, "height": 1000}}


@pytest.fixture(autouse=True)
def _no_long_polls(monkeypatch, settings):
    """The command centre polls its counts instead of long-polling the feed, so no request outlives the test."""
    from dispatch.pages import command

    monkeypatch.setattr(command, "feed_available", lambda: False)
    settings.EVENTS_FEED_MAX_WAIT_SECONDS = 2


@pytest.fixture
def desk_operator(huizhou_grid):
    """An operator of the city supervision centre who also holds the shift lead's post (so may file)."""
    city = Region.objects.defer("geom").get(code=CITY)
    user = user_posted(username="desk-operator", role=Role.OPERATOR, region=city, first_name="王芳")
    PostingFactory(user=user, role=Role.SHIFT_LEAD, region=city)
    return user


def test_an_operator_takes_a_12345_call_sees_the_duplicate_and_files_it(
    browser_session, cases, personas, desk_operator, screenshot_dir
):
    earlier = cases.report(address="惠城区桥东街道东湖路12号", description="东湖路12号门口垃圾堆积")
    condition = FilingCondition.objects.filter(category=cases.category, active=True).order_by("position", "id")[0]
    session = browser_session(desk_operator, **DESKTOP)
    page = session.page
    page.goto(session.url("/command/"))
    with page.expect_navigation():
        page.click("#intake-link")
    expect(page).to_have_url(re.compile(r"/command/intake/$"))
    page.wait_for_function("() => document.querySelector('#intake-map.leaflet-container') !== null")

    # The caller and the 12345 work order.
    page.select_option("#f-channel", "hotline_12345")
    expect(page.locator("#work-order-field")).to_be_visible()
    page.fill("#f-work-order", "GD202612060088")
    page.fill("#f-contact-name", "陈先生")
    page.fill("#f-contact-phone", "13826681234")
    page.check("#f-callback")

    # The place from the gazetteer: a known address of an earlier case; the grid is located.
    page.fill("#f-place-q", "东湖路12")
    place = page.locator('#place-results input[name="place"]').first
    expect(place).to_be_attached()
    expect(page.locator("#place-results")).to_contain_text("东湖路12号")
    place.check()
    expect(page.locator("#f-lon")).not_to_have_value("")
    expect(page.locator("#f-address")).to_have_value("惠城区桥东街道东湖路12号")
    expect(page.locator("#intake-grid")).to_contain_text(cases.community.name)

    # The category by its pinyin initials: the possible duplicate and the filing conditions appear.
    page.fill("#f-category-q", "blj")
    option = page.locator('#category-results input[value="E0102"]')
    expect(option).to_be_attached()
    option.check()
    expect(page.locator("#intake-duplicates")).to_contain_text(earlier.number)
    expect(page.locator(f'#intake-duplicates a[href$="?case={earlier.pk}"]')).to_be_visible()
    expect(page.locator("#intake-conditions")).to_contain_text(condition.name)
    page.locator(f'#intake-conditions input[value="{condition.pk}"]').check()
    page.fill("#f-description", "来电反映东湖路12号门口垃圾又堆了起来，气味很大")
    page.screenshot(path=str(screenshot_dir / "command-intake.png"), full_page=True)

    with page.expect_navigation():
        page.click("#intake-file")
    case = Case.objects.get(work_order_number="GD202612060088")
    assert case.status == Status.TO_DISPATCH and case.filing_condition == condition
    assert list(case.events.values_list("action", flat=True))[:3] == ["report", "accept", "register"]
    assert case.callback_requested and case.contact_phone == "13826681234"
    # Back in the command centre: the new case is in its queue and open in the panel.
    expect(page).to_have_url(re.compile(rf"/command/\?queue=to_dispatch&case={case.pk}$"))
    expect(page.locator(".messages")).to_contain_text(case.number)
    expect(page.locator("#case-list")).to_contain_text(case.number)
    expect(page.locator("#case-panel")).to_contain_text("13826681234")


def test_the_form_works_without_javascript(browser_session, cases, personas, settings):
    session = browser_session(None, java_script_enabled=False, **DESKTOP)
    client = Client()
    client.force_login(personas["operator"])
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    session.context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": session.url("/")}])
    page = session.page
    page.goto(session.url("/command/intake/"))
    page.fill("#f-work-order", "GD202612060099")
    page.fill("#f-place-q", cases.community.name[:4])
    page.fill("#f-category-q", "blj")
    with page.expect_navigation():
        page.click("#intake-check-button")
    page.locator("#place-results input[name=place]").first.check()
    page.locator('#category-results input[value="E0102"]').check()
    page.fill("#f-description", "窗口来访反映垃圾堆放")
    with page.expect_navigation():
        page.click("#intake-check-button")
    expect(page.locator("#intake-grid")).to_contain_text(cases.community.name)
    page.fill("#f-description", "窗口来访反映垃圾堆放")
    with page.expect_navigation():
        page.click("#intake-accept")
    case = Case.objects.get(work_order_number="GD202612060099")
    assert case.status == Status.TO_REGISTER
    expect(page.locator(".messages")).to_contain_text(case.number)
