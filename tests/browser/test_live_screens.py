"""A command-centre screen under the production server type (gunicorn + uvicorn workers) follows the live stream:
a case filed elsewhere appears in its list and counts without a reload."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.asgi_server import asgi_server  # noqa: F401 - the fixture
from tests.browser.conftest import BrowserSession
from tests.browser.stories import Story

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_dispatchers_screen_receives_a_new_case_live(browser, asgi_server, cases, personas, screenshot_dir):  # noqa: F811
    from dispatch.demo import seed as seed_responsibility_list

    seed_responsibility_list()
    story = Story(cases, personas)
    story.walk(story.report("E0505", "机动车长时间占用人行道停放，影响行人通行", "441302002004"), "to_dispatch")
    dispatcher = personas["dispatcher"]
    dispatcher.set_password("a-browser-test-password")
    dispatcher.save(update_fields=["password"])
    foreign = []
    session = BrowserSession(browser, asgi_server, foreign, viewport={"width": 1440, "height": 900})
    try:
        page = session.login(dispatcher.username, "a-browser-test-password")
        page.goto(session.url("/command/?queue=to_dispatch"))
        centre = page.locator("#command-centre")
        expect(centre).to_have_attribute("data-feed-mode", "live")
        expect(page.locator('[data-count="to_dispatch"]')).to_have_text("1")
        expect(page.locator("#case-rows .case-row")).to_have_count(1)

        # Filed at the phone and the desk, meanwhile: the stream brings it, the screen refetches list and counts.
        case = story.walk(story.report("C0114", "无主井盖破损下沉，存在安全隐患", "441302001011"), "to_dispatch")
        expect(page.locator('[data-count="to_dispatch"]')).to_have_text("2")
        expect(page.locator("#case-rows .case-row")).to_have_count(2)
        expect(page.locator("#case-rows")).to_contain_text(case.number)
        expect(page.locator("#counts-live")).to_contain_text(re.compile("待派遣"))
        expect(centre).to_have_attribute("data-feed-mode", "live")  # no fallback to polling on the way
        page.screenshot(path=str(screenshot_dir / "command-centre-live.png"))
    finally:
        session.close()
    assert foreign == []


def test_a_tab_count_changes_on_a_second_screen_when_another_user_acts(browser, asgi_server, cases, personas):  # noqa: F811
    """Two command-centre screens (the city's and a district's) follow the stream; an operator accepts a report
    elsewhere: both tabs change without a reload, and neither screen asks for the counts itself."""
    from dispatch.demo import seed as seed_responsibility_list

    seed_responsibility_list()
    story = Story(cases, personas)
    case = story.report("E0505", "机动车长时间占用人行道停放，影响行人通行", "441302002004")
    foreign, sessions, asked = [], [], []
    try:
        pages = []
        for persona in ("dispatcher", "district_dispatcher"):
            user = personas[persona]
            user.set_password("a-browser-test-password")
            user.save(update_fields=["password"])
            session = BrowserSession(browser, asgi_server, foreign, viewport={"width": 1440, "height": 900})
            sessions.append(session)
            page = session.login(user.username, "a-browser-test-password")
            page.on("request", lambda request: asked.append(request.url) if "/command/counts/" in request.url else 0)
            page.goto(session.url("/command/"))
            expect(page.locator("#command-centre")).to_have_attribute("data-feed-mode", "live")
            expect(page.locator('[data-count="reported"]')).to_have_text("1")
            pages.append(page)
        story.walk(case, "to_register")
        for page in pages:
            expect(page.locator('[data-count="reported"]')).to_have_text("0")
            expect(page.locator('[data-count="to_register"]')).to_have_text("1")
            expect(page.locator("#counts-live")).to_contain_text(re.compile("待立案|To register"))
            assert page.evaluate("performance.getEntriesByType('navigation').length") == 1  # no reload
    finally:
        for session in sessions:
            session.close()
    assert foreign == []
    assert asked == []
