"""One case from the grid worker's phone to close, across the roles, entirely in the browser.

The grid worker reports 暴露垃圾 (E0102) on /m/ at 390×844 with GPS inside 东湖社区 and a photo; the operator accepts
it in /command/; the shift lead registers it there (filing condition, urgency). The seeded responsibility list
auto-dispatches E0102 in 桥东街道 to the 桥东街道 office at registration, so the office's handler reports the fix with
an after-photo in /dept/; the operator sends the 核查 to the grid worker in /command/; the grid worker passes it in
/m/tasks/; the shift lead closes it in /command/. Fixtures only make the people and load the lists; no service call
moves the case.
"""

import re

import pytest
from playwright.sync_api import expect

from cases.models import Case, CaseEvent, FilingCondition, Status
from tests.browser.panel import panel_act
from tests.browser.stories import wait_for_photos
from tests.browser.test_mobile import phone, photo_file, scene_jpeg
from tests.fixtures.grid import QIAODONG_COMMUNITY

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DESKTOP = {"viewport": {"width": 1440, "height": 900}}
QIAODONG_OFFICE = "street-441302001"


@pytest.fixture(autouse=True)
def _no_long_polls(monkeypatch, settings):
    """Pages poll the counts instead of long-polling the feed, so no request outlives the test."""
    from dispatch.pages import command

    monkeypatch.setattr(command, "feed_available", lambda: False)
    settings.EVENTS_FEED_MAX_WAIT_SECONDS = 2


@pytest.fixture
def responsibility_list(huizhou_departments):
    """The demo responsibility list: E0102 in 桥东街道 is dispatched to the street office as soon as it is filed."""
    from dispatch.demo import seed

    seed()


def open_case(session, path, case):
    """Go to the page at `path` and open `case` from its list in the panel."""
    page = session.page
    page.goto(session.url(path))
    page.click(f'.case-row[data-case="{case.pk}"]')
    expect(page.locator("#case-panel")).to_have_attribute("data-case", str(case.pk))
    return page


def test_a_case_walks_from_the_phone_to_close_in_the_browser(
    browser_session, personas, cases, responsibility_list, screenshot_dir
):
    p = personas

    # 1. The grid worker reports from the phone: GPS fix in 东湖社区, category by search, a camera photo.
    worker = phone(browser_session, p["grid_worker"], cases)
    mobile = worker.page
    mobile.goto(worker.url("/m/"))
    expect(mobile.locator("#loc-grid")).to_have_attribute("data-region", QIAODONG_COMMUNITY)
    mobile.fill("#cat-q", "blj")
    mobile.locator("label[for=cat-E0102]").click()
    expect(mobile.locator("#cat-chosen-code")).to_have_text("E0102")
    mobile.set_input_files("#photos", files=[photo_file("before.jpg", width=1600, height=1200, seed=5)])
    expect(mobile.locator("#photo-list li")).to_have_count(1)
    mobile.fill("#address", "桥东街道东湖路 26 号对面")
    mobile.fill("#description", "东湖路人行道旁暴露垃圾一堆，约 1 平方米")
    mobile.click("#report-submit")
    number = mobile.locator("#result .m-case-number")
    expect(number).to_have_text(re.compile(r"^E0102\d{12}$"))
    mobile.evaluate("window.scrollTo(0, 0)")
    mobile.screenshot(path=str(screenshot_dir / "full-loop-1-reported.png"))
    case = Case.objects.get(number=number.inner_text())
    assert (case.status, case.reporter_id, case.region.code) == (
        Status.REPORTED,
        p["grid_worker"].pk,
        QIAODONG_COMMUNITY,
    )

    # 2. The operator accepts it in the command centre.
    operator = browser_session(p["operator"], **DESKTOP)
    panel_act(open_case(operator, "/command/?queue=reported", case), "accept", "to_register")

    # 3. The shift lead files it: filing condition and urgency. The list dispatches it to the 桥东街道 office.
    condition = FilingCondition.objects.filter(category=case.category, active=True).order_by("pk").first()
    lead = browser_session(p["shift_lead"], **DESKTOP)
    page = open_case(lead, "/command/?queue=to_register", case)
    panel_act(page, "register", "handling", filing_condition=str(condition.pk), urgency="urgent")
    case.refresh_from_db()
    assert (case.status, case.urgency, case.lead_department.code) == (Status.HANDLING, "urgent", QIAODONG_OFFICE)

    # 4. The street office's handler reports the fix with an after-photo in the department workspace.
    office = browser_session(p["street_handler"], **DESKTOP)
    dept = open_case(office, "/dept/", case)
    expect(dept.locator('[data-action="feedback"]')).to_have_attribute("open", "")
    dept.fill("#feedback-note", "已安排保洁人员清运，现场恢复整洁")
    after = {"name": "after.jpg", "mimeType": "image/jpeg", "buffer": scene_jpeg(1200, 900, seed=5, rubbish=False)}
    dept.set_input_files("#feedback-photos", files=[after])
    dept.click('[data-action="feedback"] button[type=submit]')
    expect(dept.locator("#case-panel .notice-success")).to_be_visible()
    expect(dept.locator("#case-panel")).to_have_attribute("data-status", "to_check")

    # 5. The operator sends the 核查 to the grid worker.
    page = open_case(operator, "/command/?queue=to_check", case)
    panel_act(page, "request_check", "checking", assignee=p["grid_worker"].username, note="请到现场核查清运情况")

    # 6. The grid worker passes the check from "my tasks", before and after photos side by side.
    mobile.goto(worker.url("/m/tasks/"))
    card = mobile.locator(f".m-task[data-case-number='{case.number}']")
    expect(card.locator(".m-compare-col img")).to_have_count(2)
    card.locator("textarea").fill("现场已清理干净，核查通过")
    card.locator("button[value=true]").click()
    expect(card).to_have_attribute("data-done", "true")
    card.evaluate("el => el.scrollIntoView({block: 'start'})")
    mobile.evaluate("window.scrollBy(0, -48)")
    mobile.screenshot(path=str(screenshot_dir / "full-loop-2-checked.png"))

    # 7. The shift lead closes it.
    page = open_case(lead, "/command/?queue=to_close", case)
    panel_act(page, "close", "closed", note="核查通过，予以结案")
    expect(page.locator('[data-count="to_close"]')).to_have_text("0")
    expect(page.locator(f'.case-row[data-case="{case.pk}"]')).to_have_count(0)
    expect(page.locator("#case-panel .timeline > li")).to_have_count(case.events.count())
    wait_for_photos(page)
    page.screenshot(path=str(screenshot_dir / "full-loop-3-closed.png"))

    case.refresh_from_db()
    assert case.status == Status.CLOSED
    events = list(CaseEvent.objects.filter(case=case).order_by("pk").values_list("action", "actor__username"))
    assert events == [
        ("report", p["grid_worker"].username),
        ("accept", p["operator"].username),
        ("register", p["shift_lead"].username),
        ("dispatch", None),  # the responsibility list, at registration
        ("feedback", p["street_handler"].username),
        ("request_check", p["operator"].username),
        ("check", p["grid_worker"].username),
        ("close", p["shift_lead"].username),
    ]
    assert [ph.kind for ph in case.photos.order_by("pk")] == ["before", "after"]
