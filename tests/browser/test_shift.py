"""A command-centre shift in headless Chromium, one signed-in browser per person.

1. The operator takes a 12345 call at the intake desk: the work order and the caller, the place from the gazetteer
   (the grid is located), 无主井盖 (C0114) by its pinyin initials, the earlier report of the same manhole shown as a
   possible duplicate; accepted. The shift lead files it from the case panel.
2. The seeded responsibility list sends C0114 to the city command centre: the 惠城区 dispatcher is not offered the
   dispatch and the API refuses it in words.
3. The city dispatcher dispatches it to 市政园林 with the department picker.
4. 市政园林's handler asks to return it from /dept/ (the cover belongs to the water supply company).
5. The city dispatcher approves the return and 改派s it to the water supply company, with 桥东街道 assisting;
   the company's handler finds it on its board.
6. A gas-pipe burst filed as an emergency on the most recent Friday at 20:00 is due that same night: the shift
   lead's bell rises while the page is open, the inbox lists it and the case panel shows the Friday deadline.
7. 桥东街道 gives its assisting part from /dept/ and the water company's timeline shows it.

Every step is done in the pages (or the API) by the person whose job it is; the emergency is the only case made
through the services, because its Friday evening lies in the past of the server's clock.
"""

import json
import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import Role
from cases.models import AssistPart, Case, CaseEvent, Category, FilingCondition, Status
from dispatch.models import Notification
from tests.browser.panel import panel_act
from tests.browser.stories import scene_jpeg, wait_for_photos
from tests.factories.accounts import user_posted

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DESKTOP = {"viewport": {"width": 1440, "height": 1000}}
GARDENS = "city-municipal-gardens"
WATER = "utility-water-supply"
QIAODONG_OFFICE = "street-441302001"


@pytest.fixture(autouse=True)
def _live_feed(monkeypatch, settings):
    """Pages follow the live event feed (the bell rises with it); a long poll lasts at most 2 s."""
    from dispatch.pages import command

    monkeypatch.setattr(command, "feed_available", lambda: True)
    settings.EVENTS_FEED_MAX_WAIT_SECONDS = 2


@pytest.fixture
def responsibility_list(huizhou_departments):
    from dispatch.demo import seed

    seed()


def most_recent_friday_evening():
    """The latest Friday 20:00 (Asia/Shanghai) that has already passed."""
    now = timezone.localtime()
    friday = (now - timedelta(days=(now.weekday() - 4) % 7)).replace(hour=20, minute=0, second=0, microsecond=0)
    return friday if friday <= now else friday - timedelta(days=7)


def open_case(session, path, case):
    """Go to `path` (a command centre or department page naming the case) and wait for its case panel."""
    page = session.page
    page.goto(session.url(path))
    expect(page.locator("#case-panel")).to_have_attribute("data-case", str(case.pk))
    return page


def open_from_board(session, case, group=None):
    """The department workspace: the case's row on the board (in `group`), clicked open."""
    page = session.page
    page.goto(session.url("/dept/"))
    scope = f'#dept-board [data-group="{group}"] ' if group else "#dept-board "
    page.click(f'{scope}.case-row[data-case="{case.pk}"]')
    expect(page.locator("#case-panel")).to_have_attribute("data-case", str(case.pk))
    return page


def test_a_command_centre_shift(browser_session, cases, personas, huizhou_departments, responsibility_list,
                                screenshot_dir, settings):  # fmt: skip
    p = personas
    manhole = Category.objects.get(kind="C", code="0114")  # 无主井盖: the city command centre dispatches it
    missing_cover = FilingCondition.objects.get(category=manhole, name="井盖缺失")
    gardens = user_posted(username="p-gardens", role=Role.HANDLER, department=huizhou_departments[GARDENS])
    water = user_posted(username="p-water", role=Role.HANDLER, department=huizhou_departments[WATER])
    # A grid worker reported the same open manhole an hour ago; it still waits at the desk.
    earlier = cases.report(
        category=manhole,
        address="惠城区桥东街道东湖路28号旁",
        description="东湖路28号旁人行道井盖缺失，井口裸露",
        now=timezone.now() - timedelta(hours=1),
    )

    # ---- 1. The operator takes the 12345 transfer at the intake desk; the shift lead files it ----
    desk = browser_session(p["operator"], **DESKTOP)
    page = desk.page
    page.goto(desk.url("/command/intake/"))
    page.wait_for_function("() => document.querySelector('#intake-map.leaflet-container') !== null")
    page.select_option("#f-channel", "hotline_12345")
    expect(page.locator("#work-order-field")).to_be_visible()
    page.fill("#f-work-order", "GD202612040512")
    page.fill("#f-contact-name", "李女士")
    page.fill("#f-contact-phone", "13902261588")
    page.check("#f-callback")
    page.fill("#f-place-q", "东湖路28")
    expect(page.locator("#place-results")).to_contain_text("惠城区桥东街道东湖路28号旁")
    page.locator('#place-results input[name="place"]').first.check()
    expect(page.locator("#f-address")).to_have_value("惠城区桥东街道东湖路28号旁")
    expect(page.locator("#intake-grid")).to_contain_text(cases.community.name)
    page.fill("#f-category-q", "wzjg")
    option = page.locator('#category-results input[value="C0114"]')
    expect(option).to_be_attached()
    option.check()
    expect(page.locator("#intake-duplicates")).to_contain_text(earlier.number)
    expect(page.locator("#intake-conditions")).to_contain_text("井盖缺失")
    page.fill("#f-description", "来电反映东湖路28号旁井盖仍未补上，晚上有行人差点踩空")
    page.screenshot(path=str(screenshot_dir / "shift-1-intake.png"), full_page=True)
    with page.expect_navigation():
        page.click("#intake-accept")
    case = Case.objects.get(work_order_number="GD202612040512")
    assert (case.status, case.category, case.source) == (Status.TO_REGISTER, manhole, "hotline_12345")
    assert case.region.code == cases.community.code and case.callback_requested
    expect(page.locator(".messages")).to_contain_text(case.number)

    lead = browser_session(p["shift_lead"], **DESKTOP)
    page = open_case(lead, f"/command/?queue=to_register&case={case.pk}", case)
    expect(page.locator("#register-filing_condition-help")).to_contain_text(missing_cover.filing_text)
    panel_act(page, "register", "to_dispatch", filing_condition=str(missing_cover.pk), urgency="urgent")
    case.refresh_from_db()
    assert (case.command_level, case.filing_condition) == ("city", missing_cover)

    # ---- 2. The 惠城区 dispatcher may look but not dispatch; the API refuses in words ----
    district = browser_session(p["district_dispatcher"], **DESKTOP)
    page = open_case(district, f"/command/?queue=to_dispatch&case={case.pk}", case)
    expect(page.locator("#case-panel .tag-city")).to_be_visible()
    expect(page.locator("#case-panel [data-action]").first).to_be_attached()  # it has actions, just not this one
    expect(page.locator('#case-panel [data-action="dispatch"]')).to_have_count(0)
    expect(page.locator('#case-panel [data-action="redispatch"]')).to_have_count(0)
    page.screenshot(path=str(screenshot_dir / "shift-2-district-not-offered.png"))
    csrf = next(c["value"] for c in district.context.cookies() if c["name"] == settings.CSRF_COOKIE_NAME)
    refused = page.request.post(
        district.url(f"/api/v1/cases/{case.pk}/transitions/"),
        data=json.dumps({"action": "dispatch", "lead_department": GARDENS}),
        headers={"Content-Type": "application/json", "X-CSRFToken": csrf, "Accept-Language": "zh-hans"},
    )
    assert refused.status == 403, refused.text()
    assert "此案件由市指挥中心派遣" in refused.json()["detail"]
    assert Case.objects.get(pk=case.pk).status == Status.TO_DISPATCH

    # ---- 3. The city dispatcher dispatches it to 市政园林, found with the department picker ----
    city = browser_session(p["dispatcher"], **DESKTOP)
    page = open_case(city, f"/command/?queue=to_dispatch&case={case.pk}", case)
    page.locator('#case-panel [data-action="dispatch"]').evaluate("details => { details.open = true; }")
    page.fill("#dispatch-dept-search", "园林")
    expect(page.locator("#dispatch-dept-count")).not_to_be_empty()
    expect(page.locator(f'#dispatch-lead_department option[value="{GARDENS}"]')).not_to_have_attribute("hidden", "")
    panel_act(page, "dispatch", "handling", lead_department=GARDENS, note="请立即设置围挡并补装井盖")
    page.screenshot(path=str(screenshot_dir / "shift-3-dispatched.png"))
    assert Case.objects.get(pk=case.pk).lead_department.code == GARDENS

    # ---- 4. 市政园林 asks to return it ----
    gardens_desk = browser_session(gardens, **DESKTOP)
    page = open_from_board(gardens_desk, case)
    panel_act(page, "request_return", "return_pending", note="现场核实为供水管网阀门井，不属我单位管养，申请退回")
    page.screenshot(path=str(screenshot_dir / "shift-4-return-requested.png"))

    # ---- 5. The city dispatcher approves the return and 改派s it to the water company, 桥东街道 assisting ----
    page = open_case(city, f"/command/?case={case.pk}", case)
    expect(page.locator("#case-panel .requests")).to_contain_text("不属我单位管养")
    panel_act(page, "approve_return", "to_dispatch", note="同意退回")
    form = page.locator('#case-panel [data-action="redispatch"]')
    form.locator("summary").click()
    page.fill("#redispatch-dept-search", "供水")
    page.select_option("#redispatch-lead_department", WATER)
    page.fill("#redispatch-dept-search", "")
    page.select_option("#redispatch-assisting", [QIAODONG_OFFICE])
    panel_act(page, "redispatch", "handling", note="阀门井权属供水公司，改派供水公司处置，桥东街道协助设置围挡")
    event = CaseEvent.objects.filter(case=case, action="redispatch").get()
    assert (event.data["lead"], event.data["previous"], event.actor) == (WATER, GARDENS, p["dispatcher"])
    assert list(Case.objects.get(pk=case.pk).assisting_departments.values_list("code", flat=True)) == [QIAODONG_OFFICE]
    water_desk = browser_session(water, **DESKTOP)
    page = open_from_board(water_desk, case)
    expect(page.locator("#case-panel .timeline .tl-redispatch")).to_contain_text("阀门井权属供水公司")
    expect(page.locator('#case-panel [data-action="feedback"]')).to_be_visible()
    page.screenshot(path=str(screenshot_dir / "shift-5-redispatched.png"))

    # ---- 6. A gas-pipe burst on Friday at 20:00, filed as an emergency, rings the shift lead's bell ----
    page = lead.page
    page.goto(lead.url("/command/"))
    expect(page.locator("#command-centre")).to_have_attribute("data-feed-cursor", re.compile(r"^\d+$"))
    bell = page.locator("#inbox-bell [data-unread]")
    before = Notification.objects.filter(user=p["shift_lead"], read_at__isnull=True).count()
    expect(bell).to_have_text(str(before))
    page.evaluate("() => { window.noPageLoad = true; }")
    friday = most_recent_friday_evening()
    gas = Category.objects.get(kind="E", code="0403")
    emergency = cases.report(
        category=gas,
        urgency="emergency",
        now=friday,
        address="惠城区桥东街道东湖路东湖花园门口",
        description="施工挖断燃气管道，现场有明显燃气味",
    )
    unread = Notification.objects.filter(user=p["shift_lead"], read_at__isnull=True).count()
    assert unread > before
    expect(bell).to_have_text(str(unread))
    expect(page.locator(f'#case-rows .case-row[data-case="{emergency.pk}"]')).to_be_visible()  # the list too
    assert page.evaluate("() => window.noPageLoad") is True  # risen live, without a reload
    page.screenshot(path=str(screenshot_dir / "shift-6-emergency-bell.png"))
    page.click("#inbox-bell")
    item = page.locator('.inbox-item[data-kind="emergency"]')
    expect(item).to_have_count(1)
    expect(item).to_contain_text(emergency.number)
    item.locator(".inbox-title a").click()
    expect(page.locator("#case-panel")).to_have_attribute("data-case", str(emergency.pk))
    expect(page.locator("#case-panel .tag-emergency")).to_be_visible()
    emergency.refresh_from_db()
    deadline = timezone.localtime(emergency.stage_deadline)
    assert deadline.date() == friday.date() and deadline.hour >= 20  # that same Friday night, not Monday
    expect(page.locator("#case-panel .clock-deadline")).to_contain_text(deadline.strftime("%Y-%m-%d %H:%M"))
    page.screenshot(path=str(screenshot_dir / "shift-6-emergency-case.png"))

    # ---- 7. 桥东街道 gives its assisting part; the water company's timeline shows it ----
    street = browser_session(p["street_handler"], **DESKTOP)
    page = open_from_board(street, case, group="assist")
    page.fill("#assist_feedback-note", "已在井口四周设置警示围挡，安排专人看守至供水公司到场")
    page.set_input_files(
        "#assist_feedback-photos",
        [{"name": "fence.jpg", "mimeType": "image/jpeg", "buffer": scene_jpeg(seed=14, kind="after").read()}],
    )
    panel_act(page, "assist_feedback", "handling")
    expect(page.locator(f'#case-panel .part[data-part="{QIAODONG_OFFICE}"] .tag')).to_have_text("已反馈")
    assert AssistPart.objects.get(case=case, department__code=QIAODONG_OFFICE).state == "done"

    page = open_case(water_desk, f"/dept/?case={case.pk}", case)
    entry = page.locator("#case-panel .timeline .tl-assist_feedback")
    expect(entry).to_contain_text("已在井口四周设置警示围挡")
    expect(page.locator(f'#case-panel .part[data-part="{QIAODONG_OFFICE}"] .tag')).to_have_text("已反馈")
    wait_for_photos(page)
    entry.scroll_into_view_if_needed()
    page.screenshot(path=str(screenshot_dir / "shift-7-assist-part.png"))
    assert list(CaseEvent.objects.filter(case=case).order_by("pk").values_list("action", flat=True)) == [
        "report",
        "accept",
        "register",
        "dispatch",
        "request_return",
        "approve_return",
        "redispatch",
        "assist_feedback",
    ]
