"""The big screen (/screen/) on a 1920×1080 wall, filled from the demo: every panel shows data, the ticker gets an
event that happens while it is open, nothing scrolls (at 3840×2160 either); the screenshot is docs/screen.png."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from playwright.sync_api import expect

from tests.browser.asgi_server import asgi_server  # noqa: F401 - the fixture
from tests.browser.conftest import BrowserSession

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SCREENSHOT = Path(settings.BASE_DIR) / "docs" / "screen.png"
DEMO_CASES = 600


def _load_demo():
    """The demo as `seed_demo` loads it (each app's part in its own transaction, in app order), on the test's grid."""
    import importlib
    import importlib.util

    from django.apps import apps
    from django.db import transaction

    from grids.services.departments import departments_seed_huizhou

    departments_seed_huizhou()  # the grid itself is the test database's already
    for config in apps.get_app_configs():
        if config.name == "grids" or not importlib.util.find_spec(f"{config.name}.demo"):
            continue
        module = importlib.import_module(f"{config.name}.demo")
        with transaction.atomic():
            if config.name == "devtools":
                module.seed(cases=DEMO_CASES)
            else:
                module.seed()


def _series_points(page, chart_id):
    """How many data points the ECharts chart in #chart_id holds, over all its series."""
    return page.evaluate(
        """(id) => {
            const chart = echarts.getInstanceByDom(document.getElementById(id));
            if (!chart) return 0;
            return chart.getOption().series.reduce((n, s) => n + s.data.filter((v) => (v.value ?? v) > 0).length, 0);
        }""",
        chart_id,
    )


def _fits(page):
    return page.evaluate(
        "() => document.documentElement.scrollHeight <= window.innerHeight"
        " && document.documentElement.scrollWidth <= window.innerWidth"
    )


def test_the_dispatchers_wall_shows_every_panel_filled_and_a_live_event(browser, asgi_server, screenshot_dir):  # noqa: F811
    from accounts.models import User
    from cases.models import Category
    from cases.services.intake import case_report
    from grids.models import Region
    from tests.fixtures.grid import QIAODONG_COMMUNITY

    _load_demo()
    foreign = []
    session = BrowserSession(browser, asgi_server, foreign, viewport={"width": 1920, "height": 1080})
    try:
        page = session.login("dispatcher")
        page.goto(session.url("/command/"))
        expect(page.locator("#screen-link")).to_have_attribute("href", "/screen/")
        page.goto(session.url("/screen/"))
        screen = page.locator("#screen")
        expect(screen).to_have_attribute("data-loads", "1")
        expect(screen).to_have_attribute("data-feed-mode", "live")
        expect(page.locator("#scr-scope")).to_have_text("惠州市")

        # Every panel holds the demo's figures.
        assert _series_points(page, "chart-intake") >= 3  # several channels today
        assert _series_points(page, "chart-lights") >= 3  # red, yellow and green
        assert _series_points(page, "chart-trend") >= 20  # received and closed over the 30 days
        expect(page.locator("#screen-map")).not_to_have_attribute("data-polygons", "0")
        assert int(page.locator("#screen-map").get_attribute("data-polygons") or 0) > 1000  # every community
        assert page.locator("#overdue-rows li a").count() >= 5
        assert page.locator("#ranking-rows li .r-rate").count() >= 3
        assert int(page.locator('[data-light="red"]').inner_text()) > 0

        # A report comes in from the street meanwhile: the stream brings it to the ticker.
        community = Region.objects.get(code=QIAODONG_COMMUNITY)
        point = community.geom.point_on_surface
        case, _created = case_report(
            actor=User.objects.get(username="gridworker"),
            category=Category.objects.get(kind="E", code="0102"),
            description="东湖路口暴露垃圾，大屏演示",
            lon=point.x,
            lat=point.y,
            source="grid_worker",
        )
        expect(page.locator("#ticker-rows li.is-new").first).to_contain_text(case.number)
        # Each overdue case opens in the command centre's panel.
        expect(page.locator("#overdue-rows li a").first).to_have_attribute("href", re.compile(r"^/command/\?case=\d+$"))

        assert _fits(page), "the screen scrolls at 1920×1080"
        page.screenshot(path=str(SCREENSHOT))

        page.set_viewport_size({"width": 3840, "height": 2160})
        expect(screen).to_have_attribute("data-drawn-for", "2160")  # the charts drawn again for the bigger wall
        assert _fits(page), "the screen scrolls at 3840×2160"
        expect(page.locator("#overdue-rows li a").first).to_be_visible()
        page.screenshot(path=str(screenshot_dir / "screen-3840x2160.png"))
    finally:
        session.close()
    assert foreign == []


def test_a_handler_is_sent_home_from_the_screen(browser_session, personas):
    session = browser_session(personas["handler"])
    page = session.page
    page.goto(session.url("/screen/"))
    expect(page).to_have_url(session.url("/"))
    expect(page.locator(".messages")).to_contain_text("大屏")
