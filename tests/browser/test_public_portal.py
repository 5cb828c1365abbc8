"""Done-when of the public portal, on a phone (390×844, geolocation inside 东湖社区) in headless Chromium:

a resident reports a problem with a photo, their location as the pin and a category found by its pinyin
initials (bllj: 暴露垃圾), follows the case while the centre closes it (through the services), sees the result's
photo and rates it 不满意; the case then waits in the operator's 回访 queue, and the operator reopens it back to the
department. The Content-Security-Policy refuses nothing on the way.
"""

import re

import pytest
from playwright.sync_api import expect

from cases.models import Case, Source, Status

from .test_content_security_policy import LISTEN
from .test_mobile import PHONE, photo_file

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_resident_reports_follows_and_rates_and_the_operator_reopens_from_the_callback_queue(
    browser_session, operator, cases, screenshot_dir, settings
):
    # Every run reports from 127.0.0.1 into the shared cache: the hourly limit is the unit tests' to check.
    settings.PUBLIC_REPORTS_PER_ADDRESS_HOUR = 10_000
    resident = browser_session(
        viewport=PHONE,
        geolocation={"latitude": cases.lat, "longitude": cases.lon, "accuracy": 10},
        permissions=["geolocation"],
        is_mobile=True,
        has_touch=True,
    )
    page = resident.page
    violations = []  # the Content-Security-Policy must refuse nothing the portal does
    page.expose_function("cspViolation", lambda text: violations.append(text))
    page.add_init_script(LISTEN)
    page.goto(resident.url("/public/report/"))
    page.set_input_files("#id_photo", photo_file("street.jpg"))
    page.click("#use-location")
    expect(page.locator("#id_lon")).not_to_have_value("")
    expect(page.locator(".leaflet-marker-icon")).to_be_visible()
    page.fill("#category-filter", "bllj")
    expect(page.locator("#id_category option[value=E0102]")).not_to_have_attribute("hidden", "")
    page.select_option("#id_category", "E0102")
    page.fill("#id_description", "小区门口垃圾堆了三天没人清")
    page.screenshot(path=str(screenshot_dir / "public-report.png"), full_page=True)
    with page.expect_navigation():
        page.click("#public-report-form button[type=submit]")
    expect(page).to_have_url(re.compile(r"/public/follow/[-_A-Za-z0-9]{40,}/$"))
    case = Case.objects.get(source=Source.PUBLIC)
    expect(page.locator("#case-number")).to_have_text(case.number)
    assert case.region.code.startswith("441302001") and case.category.code == "0102" and case.photos.count() == 1

    # The centre works the case through to closing; the resident comes back to the follow link.
    cases.to("closed", case=case)
    page.reload()
    # report, accept, register, dispatch, feedback, check, close (the request for a check stays inside)
    expect(page.locator("#public-timeline li")).to_have_count(7)
    expect(page.locator(".public-photos img").first).to_be_visible()
    page.check("#rate-dissatisfied")
    page.fill("#id_comment", "垃圾清了又堆起来了")
    page.screenshot(path=str(screenshot_dir / "public-follow-rate.png"), full_page=True)
    with page.expect_navigation():
        page.click("#rating-form button[type=submit]")
    expect(page.locator("#rating-form")).to_have_count(0)
    assert violations == []

    # The operator's 回访 queue has it; the operator reopens it.
    desk = browser_session(operator, viewport={"width": 1280, "height": 900})
    desk.page.goto(desk.url("/command/callbacks/"))
    row = desk.page.locator(f'li[data-case="{case.number}"]')
    expect(row).to_be_visible()
    expect(row.locator(".callback-reason")).to_be_visible()
    row.locator("input[name=note][required]").fill("居民来电：垃圾又堆起来了，请返工")
    desk.page.screenshot(path=str(screenshot_dir / "callback-queue.png"), full_page=True)
    with desk.page.expect_navigation():
        row.locator(".callback-reopen button[type=submit]").click()
    expect(desk.page.locator(f'li[data-case="{case.number}"]')).to_have_count(0)
    case.refresh_from_db()
    assert case.status == Status.HANDLING and case.lead_department == cases.p["handler_department"]
