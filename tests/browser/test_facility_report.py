"""A grid worker reports a broken manhole cover on the phone, picking the cover from the facilities near the pin;
the case names it and the facility's page lists the case."""

import re

import pytest
from playwright.sync_api import expect

from cases.models import Case
from tests.browser.test_mobile import phone, pick_category
from tests.factories.facilities import facility_at, offset
from tests.fixtures.grid import QIAODONG_COMMUNITY

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_grid_worker_reports_a_broken_cover_picking_it_from_the_facilities_nearby(
    browser_session, grid_worker, cases, catalogue, huizhou_departments, screenshot_dir
):
    lon, lat = offset(cases.lon, cases.lat, east_m=6)
    near = facility_at(lon=lon, lat=lat, code="HZ-WS-0007", class_code="0101", owner="utility-water-supply")
    lon, lat = offset(cases.lon, cases.lat, north_m=22)
    facility_at(lon=lon, lat=lat, code="HZ-WS-0008", class_code="0101", owner="utility-water-supply")
    facility_at(lon=cases.lon, lat=cases.lat, code="HZ-LAMP-1", class_code="0118")  # another class: not offered

    session = phone(browser_session, grid_worker, cases)
    page = session.page
    page.goto(session.url("/m/"))
    expect(page.locator("#loc-grid")).to_have_attribute("data-region", QIAODONG_COMMUNITY)
    expect(page.locator("#facility-box")).to_be_hidden()  # no category yet
    pick_category(page, "0101", "C0101")
    options = page.locator("#facility-list label")
    expect(options).to_have_count(3)  # the two covers, nearest first, and "not in the list"
    expect(options.nth(0)).to_contain_text("HZ-WS-0007")
    expect(options.nth(1)).to_contain_text("HZ-WS-0008")
    options.nth(0).click()
    expect(page.locator("#facility-code")).to_have_value("HZ-WS-0007")
    page.fill("#description", "上水井盖破损下陷，车辆经过有异响")
    page.locator("#facility-box").scroll_into_view_if_needed()
    page.screenshot(path=str(screenshot_dir / "facility-1-picked.png"))
    page.click("#report-submit")
    number = page.locator("#result .m-case-number")
    expect(number).to_have_text(re.compile(r"^C0101\d{12}$"))

    case = Case.objects.select_related("facility").get(number=number.inner_text())
    assert case.facility == near
    page.goto(session.url(f"/facilities/{near.code}/"))
    expect(page.locator(".facility-case")).to_have_count(1)
    expect(page.locator(".facility-case .case-number")).to_have_text(case.number)
    expect(page.locator(".facility-owner")).to_have_text("惠州市供水有限公司")
    page.screenshot(path=str(screenshot_dir / "facility-2-page.png"))
