"""The department workspace in headless Chromium: cases by light, feedback with after-photos, requests, closing."""

import pytest
from playwright.sync_api import expect

from cases.models import Case, CaseRequest, Status
from tests.browser.stories import Story, scene_jpeg, wait_for_photos

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DESKTOP = {"viewport": {"width": 1440, "height": 900}}


@pytest.fixture(autouse=True)
def _no_long_polls(monkeypatch, settings):
    """Pages poll the counts instead of long-polling the feed, so no request outlives its test (the live test
    switches the feed back on)."""
    from dispatch.pages import command

    monkeypatch.setattr(command, "feed_available", lambda: False)
    settings.EVENTS_FEED_MAX_WAIT_SECONDS = 2


@pytest.fixture
def story(cases, personas):
    from dispatch.demo import seed as seed_responsibility_list

    seed_responsibility_list()
    return Story(cases, personas)


def jpeg_bytes(seed):
    """An after-photo made in memory: the street scene, cleaned up."""
    return scene_jpeg(seed=seed, kind="after", size=(800, 600)).read()


def the_departments_day(story):
    """The city bureau's cases: overdue, in warning, on time, and one suspended (clock stopped)."""
    s = story
    made = {
        "wreck": s.aged("E0107", "废弃车辆长期占用公共停车位", "441302003004", "handling", used=2.5),
        "building": s.aged("E0101", "居民楼顶加建彩钢瓦棚", "441302003002", "handling", used=1.4),
        "smoke": s.aged("E0116", "餐馆油烟直排，周边居民投诉", "441302001003", "handling", used=0.9),
        "stall": s.walk(s.report("E0101", "东湖路临街商铺违规搭建雨棚", "441302001001"), "handling"),
        "aircon": s.walk(s.report("E0513", "空调室外机安装过低，滴水影响行人", "441302002001"), "handling"),
        "dust": s.walk(s.report("E0302", "工地未覆盖裸土，扬尘严重", "441302003004"), "handling"),
        "parking": s.walk(s.report("E0505", "车辆占用消防通道", "441302002004"), "handling"),
    }
    s.cases.act(made["dust"], "handler", "request_suspension", note="需等待工地围挡审批")
    s.cases.act(made["dust"], "dispatcher", "approve_suspension")
    from dispatch.services.orders import order_issue

    order_issue(case_id=made["wreck"].pk, actor=s.p["leader"], note="该车辆已超期未处置，请今日内拖移", reply_hours=4)
    return made


def open_workspace(browser_session, user):
    session = browser_session(user, **DESKTOP)
    session.page.goto(session.url("/dept/"))
    return session, session.page


def test_a_handler_reports_the_fix_with_a_photo_and_a_shift_lead_closes(
    browser_session, story, personas, screenshot_dir
):
    made = the_departments_day(story)
    session, page = open_workspace(browser_session, personas["handler"])
    for group, count in (("red", 2), ("yellow", 1), ("green", 3), ("stopped", 1)):
        expect(page.locator(f'#light-summary [data-count="{group}"]')).to_have_text(str(count))
        expect(page.locator(f'[data-group="{group}"] .case-row')).to_have_count(count)
    case = made["stall"]
    page.click(f'.case-row[data-case="{case.pk}"]')
    panel = page.locator("#case-panel")
    expect(panel).to_have_attribute("data-case", str(case.pk))
    expect(panel.locator("[data-action]")).to_have_count(5)  # with the transfer to enforcement (移送)
    expect(page.locator('[data-action="feedback"]')).to_have_attribute("open", "")
    page.fill("#feedback-note", "已拆除违规雨棚，现场清理完毕")
    page.set_input_files(
        "#feedback-photos",
        [
            {"name": "after-1.jpg", "mimeType": "image/jpeg", "buffer": jpeg_bytes(1)},
            {"name": "after-2.jpg", "mimeType": "image/jpeg", "buffer": jpeg_bytes(2)},
        ],
    )
    wait_for_photos(page)
    page.screenshot(path=str(screenshot_dir / "dept-workspace.png"))
    page.click('[data-action="feedback"] button[type=submit]')
    expect(panel.locator(".notice-success")).to_contain_text("已完成：处置反馈")
    expect(panel.locator(".panel-title-row .status")).to_have_text("待核查")
    expect(panel.locator(".photo-set").filter(has_text="处置后").locator("img")).to_have_count(2)
    expect(page.locator(f'#dept-board .case-row[data-case="{case.pk}"]')).to_have_count(0)
    case.refresh_from_db()
    assert case.status == Status.TO_CHECK and case.photos.filter(kind="after").count() == 2

    # The centre sends the check, the grid worker passes it (services), the shift lead closes in the browser.
    story.walk(case, "to_close")
    lead = browser_session(personas["shift_lead"], **DESKTOP)
    lead.page.goto(lead.url("/command/?queue=to_close"))
    lead.page.click(f'.case-row[data-case="{case.pk}"]')
    expect(lead.page.locator('[data-action="close"]')).to_be_visible()
    lead.page.fill("#close-note", "核查通过，予以结案")
    lead.page.click('[data-action="close"] button[type=submit]')
    expect(lead.page.locator("#case-panel .notice-success")).to_contain_text("已完成：结案")
    expect(lead.page.locator("#case-panel .panel-title-row .status")).to_have_text("已结案")
    expect(lead.page.locator("#case-panel .timeline > li")).to_have_count(Case.objects.get(pk=case.pk).events.count())
    assert Case.objects.get(pk=case.pk).status == Status.CLOSED
    wait_for_photos(lead.page)
    lead.page.screenshot(path=str(screenshot_dir / "command-centre-closed.png"))


def test_feedback_without_a_photo_shows_the_error_in_the_page(browser_session, story, personas):
    made = the_departments_day(story)
    session, page = open_workspace(browser_session, personas["handler"])
    case = made["aircon"]
    page.click(f'.case-row[data-case="{case.pk}"]')
    page.fill("#feedback-note", "已处理")
    page.click('[data-action="feedback"] button[type=submit]')
    error = page.locator("#feedback-photos-err")
    expect(error).to_contain_text("照片")
    expect(page.locator("#feedback-photos")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#feedback-note")).to_have_value("已处理")  # what was typed is kept
    assert Case.objects.get(pk=case.pk).status == Status.HANDLING


def test_a_handler_asks_for_an_extension_and_replies_to_a_supervision_order(
    browser_session, story, personas, screenshot_dir
):
    made = the_departments_day(story)
    session, page = open_workspace(browser_session, personas["handler"])
    case = made["smoke"]
    page.click(f'.case-row[data-case="{case.pk}"]')
    page.click('[data-action="request_extension"] summary')
    page.fill("#request_extension-hours", "8")
    page.fill("#request_extension-note", "需协调餐馆加装油烟净化器")
    page.click('[data-action="request_extension"] button[type=submit]')
    expect(page.locator("#case-panel .requests")).to_contain_text("8")
    request = CaseRequest.objects.get(case=case, kind="extension")
    assert request.state == "pending" and request.hours == 8

    wreck = made["wreck"]
    page.click(f'.case-row[data-case="{wreck.pk}"]')
    expect(page.locator("#case-panel .orders")).to_contain_text("今日内拖移")
    page.locator("#case-panel .order-form textarea").fill("已联系拖车公司，今日16时前拖离")
    page.locator("#case-panel .order-form button[type=submit]").click()
    expect(page.locator("#case-panel .order-reply")).to_contain_text("今日16时前拖离")
    assert wreck.supervision_orders.get().state == "replied"
    wait_for_photos(page)
    page.screenshot(path=str(screenshot_dir / "dept-workspace-order.png"))


def test_the_workspace_is_usable_on_a_phone(browser_session, story, personas):
    made = the_departments_day(story)
    session = browser_session(personas["handler"], viewport={"width": 390, "height": 844})
    page = session.page
    page.goto(session.url("/dept/"))
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.click(f'.case-row[data-case="{made["parking"].pk}"]')
    expect(page.locator("#feedback-note")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
