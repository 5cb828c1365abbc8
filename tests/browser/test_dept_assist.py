"""协办 and 吹哨报到 in headless Chromium: the assisting street office gives its part from /dept/ and summons a
department, which reports from its own board."""

import pytest
from playwright.sync_api import expect

from accounts.models import Role
from cases.models import AssistPart, CaseEvent, Summons
from tests.browser.stories import scene_jpeg, wait_for_photos
from tests.factories.accounts import user_posted

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DESKTOP = {"viewport": {"width": 1440, "height": 900}}
STREET = "street-441302001"


@pytest.fixture(autouse=True)
def _no_long_polls(monkeypatch, settings):
    from dispatch.pages import command

    monkeypatch.setattr(command, "feed_available", lambda: False)
    settings.EVENTS_FEED_MAX_WAIT_SECONDS = 2


def test_the_assisting_street_office_gives_its_part_and_summons_a_department_that_reports(
    browser_session, cases, personas, huizhou_departments, screenshot_dir
):
    case = cases.to("to_dispatch", case=cases.report(description="东湖路人行道井盖破损，有行人绊倒风险"))
    case = cases.act(
        case, "dispatcher", "dispatch", lead_department=personas["handler_department"].code,
        assisting_departments=[STREET],
    )  # fmt: skip
    water = user_posted(username="p-water", role=Role.HANDLER, department=huizhou_departments["city-water"])

    session = browser_session(personas["street_handler"], **DESKTOP)
    page = session.page
    page.goto(session.url("/dept/"))
    expect(page.locator('#light-summary [data-count="assist"]')).to_have_text("1")
    page.click(f'[data-group="assist"] .case-row[data-case="{case.pk}"]')
    panel = page.locator("#case-panel")
    expect(panel).to_have_attribute("data-case", str(case.pk))
    expect(panel.locator("[data-action]")).to_have_count(1)  # only its part: the lead's actions are not offered
    expect(page.locator('[data-action="assist_feedback"]')).to_have_attribute("open", "")
    page.fill("#assist_feedback-note", "已安排人员设置警示围挡，配合市政更换井盖")
    page.set_input_files(
        "#assist_feedback-photos",
        [{"name": "part.jpg", "mimeType": "image/jpeg", "buffer": scene_jpeg(seed=7, kind="after").read()}],
    )
    page.click('[data-action="assist_feedback"] button[type=submit]')
    expect(panel.locator(".notice-success")).to_contain_text("协办反馈")
    expect(panel.locator(f'.part[data-part="{STREET}"] .tag')).to_have_text("已反馈")
    expect(page.locator(f'#dept-board [data-group="assist"] .case-row[data-case="{case.pk}"]')).to_have_count(0)
    wait_for_photos(page)
    page.screenshot(path=str(screenshot_dir / "dept-assist.png"))
    part = AssistPart.objects.get(case=case, department__code=STREET)
    assert part.state == "done" and part.answered_by == personas["street_handler"]

    # The street office blows the whistle, finding the water bureau by searching the list.
    page.click("[data-whistle-form] summary")
    page.fill("#whistle-filter", "水务")
    expect(page.locator("#whistle-departments option:not([hidden])")).to_have_count(1)
    page.select_option("#whistle-departments", "city-water")
    page.fill("#whistle-note", "井盖下供水管渗漏，请水务局今日到场")
    page.click("[data-whistle-form] button[type=submit]")
    expect(panel.locator('.summons[data-summons="city-water"] .tag')).to_have_text("待报到")

    # The water bureau sees the case under 吹哨报到 and reports.
    other = browser_session(water, **DESKTOP)
    other.page.goto(other.url("/dept/"))
    other.page.click(f'[data-group="whistle"] .case-row[data-case="{case.pk}"]')
    summons = Summons.objects.get(case=case)
    other.page.fill(f"#summons-{summons.pk}-note", "已派抢修班2人到场")
    other.page.click(".summons-form button[type=submit]")
    expect(other.page.locator('.summons[data-summons="city-water"] .tag')).to_have_text("已报到")
    expect(other.page.locator(f'#dept-board [data-group="whistle"] .case-row[data-case="{case.pk}"]')).to_have_count(0)
    other.page.screenshot(path=str(screenshot_dir / "dept-whistle-report.png"))
    assert list(CaseEvent.objects.filter(case=case).values_list("action", flat=True))[-3:] == [
        "assist_feedback",
        "whistle_blown",
        "whistle_reported",
    ]
