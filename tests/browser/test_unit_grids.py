"""多网合一 in headless Chromium: a dispatcher opens the unit grids from the command centre, sees 东湖社区's cells
numbered on the map with two networks' areas over the same cells, flies to the public-order area and picks cells on
the map to get their numbers for the admin."""

import re

import pytest
from playwright.sync_api import expect

from accounts.models import Role
from grids.models import Network
from grids.services.patrol_areas import patrol_area_save, patrol_area_unit_grids, unit_grid_codes_parse
from grids.services.unit_grids import unit_grids_generate
from tests.browser.test_content_security_policy import Watched
from tests.factories.accounts import user_posted
from tests.fixtures.grid import QIAODONG_COMMUNITY

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DESKTOP = {"viewport": {"width": 1440, "height": 1000}}


@pytest.fixture(autouse=True)
def _no_long_polls(monkeypatch, settings):
    from dispatch.pages import command

    monkeypatch.setattr(command, "feed_available", lambda: False)
    settings.EVENTS_FEED_MAX_WAIT_SECONDS = 2


def test_a_dispatcher_reads_two_networks_over_the_same_unit_grids_and_picks_cells(
    browser_session, huizhou_grid, personas, screenshot_dir
):
    unit_grids_generate(community_code=QIAODONG_COMMUNITY, size_m=200)
    community = huizhou_grid.region(QIAODONG_COMMUNITY)
    order_worker = user_posted(username="b-order", role=Role.GRID_WORKER, region=community, full_name="治安员乙")

    def cells(text):
        return patrol_area_unit_grids(community=community, codes=unit_grid_codes_parse(community=community, text=text))

    patrol_area_save(
        code="cm-b", name="东湖城管网格一", network=Network.CITY_MANAGEMENT, community=community,
        unit_grids=cells("001-020"), workers=[personas["grid_worker"]],
    )  # fmt: skip
    patrol_area_save(
        code="po-b", name="东湖治安网格一", network=Network.PUBLIC_ORDER, community=community,
        unit_grids=cells("011-030"), workers=[order_worker],
    )  # fmt: skip

    watched = Watched(browser_session, personas["dispatcher"], **DESKTOP)  # and no Content-Security-Policy violation
    page = watched.open("/command/")
    with page.expect_navigation():
        page.click("#grid-link")
    expect(page).to_have_url(re.compile(r"/command/grid/$"))
    expect(page.locator("#ug-layer")).to_contain_text(QIAODONG_COMMUNITY)
    page.wait_for_function("() => Number(document.querySelector('#ug-map').dataset.cells) > 50")
    expect(page.locator("#network-city_management")).to_contain_text("001-020")
    expect(page.locator("#network-public_order")).to_contain_text("治安员乙")

    # Fly to the public-order area, then pick two cells on the map: their numbers come out as a list.
    page.click("button.ug-show-area[data-area='po-b']")
    expect(page.locator("#ug-map")).to_have_attribute("data-focused", "po-b")
    page.click("button.ug-show-area[data-area='po-b']")
    expect(page.locator("#ug-map")).to_have_attribute("data-focused", "")
    # Click the cells once the map holds still: a click during the zoom animation lands on whichever cell is there.
    expect(page.locator("#ug-map")).not_to_have_attribute("data-moving", "1")
    paths = page.locator("#ug-map path.leaflet-interactive")
    paths.nth(0).click(force=True)
    paths.nth(1).click(force=True)
    expect(page.locator("#ug-picked")).to_have_text(re.compile(r"^\d{3}(-\d{3}|, \d{3})$"))
    page.screenshot(path=str(screenshot_dir / "unit-grids.png"))
    assert watched.violations() == []
