"""The command centre in headless Chromium: counts, tabs, the map without tiles, the panel's forms and errors."""

import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from cases.models import Case, CaseEvent, Status
from dispatch.pages.selectors import command_queue_counts
from tests.browser.stories import Story, wait_for_photos

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


def a_working_day(story):
    """Cases in every queue and light, as a command centre sees them mid-morning."""
    s = story
    made = {
        "parking": s.walk(s.report("E0505", "机动车长时间占用人行道停放，影响行人通行", "441302002004"), "to_dispatch"),
        "flooding": s.aged("E0406", "暴雨后路口积水约20厘米，车辆涉水通行", "441302001003", "to_dispatch", used=0.9),
        "building": s.aged("E0101", "居民楼顶加建彩钢瓦棚，疑似违法建设", "441302003002", "to_dispatch", used=3),
        "manhole": s.walk(s.report("C0114", "无主井盖破损下沉，存在安全隐患", "441302001011"), "to_dispatch"),
        "ads": s.report("E0201", "电线杆上张贴大量小广告", "441302001001", by="grid_worker"),
        "rubbish": s.report("E0102", "路口暴露垃圾堆放，有异味", "441302001005"),
        "rubbish_again": s.report("E0102", "菜园墩路口垃圾堆积无人清理", "441302001005"),
        "aircon": s.walk(s.report("E0513", "空调室外机安装过低，滴水影响行人", "441302002001"), "to_register"),
        "smoke": s.aged("E0116", "餐馆油烟直排，周边居民投诉", "441302001003", "handling", used=0.9),
        "wreck": s.aged("E0107", "废弃车辆长期占用公共停车位", "441302003004", "handling", used=2.5),
        "street_rubbish": s.walk(s.report("E0102", "绿化带内暴露垃圾", "441302001011"), "handling"),
        "dust": s.walk(s.report("E0302", "工地未覆盖裸土，扬尘严重", "441302001001"), "to_check"),
        "done": s.walk(s.report("E0101", "临街商铺违规搭建雨棚", "441302001001"), "to_close"),
    }
    s.cases.act(made["smoke"], "handler", "request_extension", note="需协调餐馆加装油烟净化器", hours=8)
    from dispatch.services.orders import order_issue

    order_issue(case_id=made["wreck"].pk, actor=s.p["leader"], note="该车辆已超期未处置，请今日内拖移", reply_hours=4)
    return made


def open_command_centre(browser_session, user, **options):
    session = browser_session(user, **(options or DESKTOP))
    page = session.page
    page.goto(session.url("/command/"))
    page.wait_for_function("() => document.getElementById('map').dataset.markers !== undefined")
    return session, page


def test_a_dispatcher_sees_the_counts_and_dispatches_a_case_with_the_form(
    browser_session, story, personas, screenshot_dir
):
    made = a_working_day(story)
    dispatcher = personas["dispatcher"]
    counts = command_queue_counts(user=dispatcher, now=timezone.now())
    session, page = open_command_centre(browser_session, dispatcher)
    for key in ("all", "to_dispatch", "handling", "overdue", "approvals", "supervised"):
        expect(page.locator(f'[data-count="{key}"]')).to_have_text(str(counts[key]))
    assert counts["to_dispatch"] == 4 and counts["supervised"] == 1

    page.click("#tab-to_dispatch")
    expect(page.locator("#tab-to_dispatch")).to_have_attribute("aria-selected", "true")
    expect(page.locator(".case-row")).to_have_count(4)
    case = made["parking"]
    page.click(f'.case-row[data-case="{case.pk}"]')
    panel = page.locator("#case-panel")
    expect(panel).to_have_attribute("data-case", str(case.pk))
    expect(page.locator("#panel-title")).to_be_focused()
    # The responsibility list proposes the traffic police; the form starts with that proposal.
    expect(page.locator("#dispatch-lead_department")).to_have_value("city-traffic-police")
    expect(panel.locator("[data-action]")).to_have_count(2)  # dispatch, request void: exactly what is allowed
    wait_for_photos(page)
    page.screenshot(path=str(screenshot_dir / "command-centre.png"))

    page.select_option("#dispatch-lead_department", "city-urban-management")
    page.fill("#dispatch-note", "交警支队与城管联合处置")
    page.click('[data-action="dispatch"] button[type=submit]')
    expect(panel.locator(".notice-success")).to_contain_text("已完成：派遣")
    expect(panel.locator(".panel-title-row .status")).to_have_text("处置中")
    expect(page.locator('[data-count="to_dispatch"]')).to_have_text("3")
    expect(page.locator(".case-row")).to_have_count(3)
    case.refresh_from_db()
    assert (case.status, case.lead_department.code) == (Status.HANDLING, "city-urban-management")
    wait_for_photos(page)
    page.screenshot(path=str(screenshot_dir / "command-centre-dispatched.png"))


def test_the_map_shows_grids_and_clustered_markers_without_any_tile_server(browser_session, story, personas):
    made = a_working_day(story)
    session, page = open_command_centre(browser_session, personas["shift_lead"])
    open_cases = Case.objects.open().count()
    expect(page.locator("#map")).to_have_attribute("data-markers", str(open_cases))
    assert page.locator(".leaflet-tile").count() == 0
    page.wait_for_function("() => document.querySelectorAll('#map path.leaflet-interactive').length > 0")  # 惠城区
    # The markers are drawn again when the map zooms to the cases: wait for them, do not count mid-animation.
    expect(page.locator("#map .cluster, #map .case-marker")).not_to_have_count(0)
    page.check('input[name="grid-level"][value="street"]')
    page.wait_for_function("() => document.querySelectorAll('#map path').length > 5")
    # The list is the keyboard and screen-reader way to the same cases: every marker's case is in it.
    page.click("#tab-to_close")
    expect(page.locator("#map")).to_have_attribute("data-markers", "1")
    expect(page.locator(f'.case-row[data-case="{made["done"].pk}"]')).to_be_visible()


def test_a_city_wide_view_counts_every_case_per_area_and_a_count_zooms_in(
    browser_session, story, personas, monkeypatch
):
    """More cases in view than markers are sent: the map shows them all as counts; clicking one zooms into it."""
    monkeypatch.setattr("dispatch.pages.command.MAP_MARKERS", 3)
    a_working_day(story)
    session, page = open_command_centre(browser_session, personas["shift_lead"])
    open_cases = Case.objects.open().count()
    page.wait_for_function("() => Number(document.getElementById('map').dataset.cells || 0) > 0")
    counted = sum(int(text) for text in page.locator("#map .cluster").all_inner_texts())
    assert counted == open_cases
    expect(page.locator("#map-status")).to_contain_text(str(open_cases))
    zoom_before = float(page.locator("#map").get_attribute("data-view").split(",")[2])
    page.locator("#map .cluster").first.click()
    page.wait_for_function(
        "(z) => Number(document.getElementById('map').dataset.view.split(',')[2]) > z", arg=zoom_before
    )


def test_a_shift_lead_sees_a_validation_error_in_the_page(browser_session, story, personas):
    made = a_working_day(story)
    session, page = open_command_centre(browser_session, personas["shift_lead"])
    case = made["aircon"]
    page.goto(session.url(f"/command/?queue=to_register&case={case.pk}"))
    form = page.locator('[data-action="register"]')
    form.locator("button[type=submit]").click()
    error = page.locator("#register-filing_condition-err")
    expect(error).to_be_visible()
    expect(error).not_to_be_empty()
    expect(page.locator("#register-filing_condition")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#register-filing_condition")).to_be_focused()
    assert Case.objects.get(pk=case.pk).status == Status.TO_REGISTER
    page.select_option("#register-filing_condition", index=1)
    page.locator('[data-action="register"] button[type=submit]').click()
    expect(page.locator("#case-panel .notice-success")).to_be_visible()
    assert Case.objects.get(pk=case.pk).status == Status.TO_DISPATCH


def test_an_action_on_a_case_someone_else_just_moved_says_so(browser_session, story, personas):
    made = a_working_day(story)
    session, page = open_command_centre(browser_session, personas["operator"])
    case = made["ads"]
    page.goto(session.url(f"/command/?queue=reported&case={case.pk}"))
    expect(page.locator('[data-action="accept"]')).to_be_visible()
    story.cases.act(case, "operator", "accept")  # a colleague was quicker
    page.locator('[data-action="accept"] button[type=submit]').click()
    notice = page.locator("#case-panel .notice-conflict")
    expect(notice).to_be_visible()
    expect(notice).to_contain_text("他人")
    expect(page.locator("#case-panel")).to_have_attribute("data-status", "to_register")


def test_the_queue_tabs_work_with_the_keyboard(browser_session, story, personas):
    a_working_day(story)
    session, page = open_command_centre(browser_session, personas["dispatcher"])
    page.focus("#tab-all")
    page.keyboard.press("ArrowRight")
    expect(page.locator("#tab-reported")).to_be_focused()
    page.keyboard.press("End")
    expect(page.locator("#tab-supervised")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#tab-supervised")).to_have_attribute("aria-selected", "true")
    expect(page.locator("#tab-all")).to_have_attribute("tabindex", "-1")
    expect(page.locator(".case-row")).to_have_count(1)
    page.keyboard.press("Tab")  # out of the tab list, into the search of its panel
    expect(page.locator("#f-q")).to_be_focused()
    page.fill("#f-q", "不存在的地址")
    page.keyboard.press("Enter")
    expect(page.locator(".case-list .empty")).to_be_visible()


def test_the_live_feed_updates_counts_and_the_open_case(browser_session, story, personas, monkeypatch):
    from dispatch.pages import command

    monkeypatch.setattr(command, "feed_available", lambda: True)
    made = a_working_day(story)
    case = made["manhole"]
    session, page = open_command_centre(browser_session, personas["dispatcher"])
    page.goto(session.url(f"/command/?case={case.pk}"))
    expect(page.locator('[data-count="to_dispatch"]')).to_have_text("4")
    expect(page.locator("#command-centre")).to_have_attribute("data-feed-cursor", re.compile(r"^\d+$"))
    story.cases.act(case, "dispatcher", "dispatch", lead_department="city-municipal-gardens")
    expect(page.locator('[data-count="to_dispatch"]')).to_have_text("3")
    expect(page.locator("#counts-live")).to_contain_text("待派遣")
    expect(page.locator("#case-panel")).to_have_attribute("data-status", "handling")  # reloaded, no page load
    # The user's own action comes back through the feed too; the panel already shows it and keeps its message.
    page.click('[data-action="request_void"] summary')
    page.fill("#request_void-note", "重复上报")
    page.evaluate(  # every request that would replace the panel, from now on
        """() => {
            window.panelRequests = [];
            document.body.addEventListener("htmx:beforeRequest", (event) => {
                const { target, requestConfig } = event.detail;
                if (target && target.id === "case-panel") window.panelRequests.push(requestConfig.verb);
            });
        }"""
    )
    page.click('[data-action="request_void"] button[type=submit]')
    expect(page.locator("#case-panel .notice-success")).to_be_visible()
    own = CaseEvent.objects.filter(case=case).latest("id").id
    page.wait_for_function("id => Number(document.getElementById('command-centre').dataset.feedCursor) >= id", arg=own)
    assert page.evaluate("window.panelRequests") == ["post"]  # the feed did not reload the panel over the message
    expect(page.locator("#case-panel .notice-success")).to_be_visible()
