"""A grid worker's patrol on the phone (390×844, geolocation granted in 东湖社区): 上岗, positions recorded while
the connection is lost, delivered when it returns; the command centre's map shows the worker on patrol."""

import pytest
from playwright.sync_api import expect

from grids.models import PatrolSession, TrackPoint
from tests.fixtures.grid import QIAODONG_COMMUNITY

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}


def test_a_patrol_recorded_offline_reaches_the_command_centre(
    browser_session, grid_worker, dispatcher, huizhou_grid, settings
):
    settings.PATROL_TRACK_SECONDS = 1  # a fix a second, so a few arrive at once
    start = huizhou_grid.point_in(QIAODONG_COMMUNITY)
    session = browser_session(
        grid_worker,
        viewport=PHONE,
        geolocation={"latitude": start.y, "longitude": start.x, "accuracy": 8},
        permissions=["geolocation"],
        is_mobile=True,
        has_touch=True,
    )
    page = session.page
    page.goto(session.url("/m/patrols/"))
    card = page.locator("#patrol")
    page.click("#patrol-start")
    expect(page.locator("#patrol-status")).to_have_attribute("data-state", "on")
    page.wait_for_function("() => document.getElementById('patrol').dataset.recorded === '1'")
    expect(page.locator("#patrol-waiting")).to_be_hidden()  # the start and the first fix went up
    assert PatrolSession.objects.get(user=grid_worker).points == 1

    session.context.set_offline(True)
    for step in range(1, 4):  # walking east along the street, about 30 m a step
        session.context.set_geolocation({"latitude": start.y, "longitude": start.x + 0.0003 * step, "accuracy": 8})
        page.wait_for_function(f"() => document.getElementById('patrol').dataset.recorded === '{step + 1}'")
    expect(page.locator("#patrol-waiting")).to_have_attribute("data-waiting", "3")
    assert TrackPoint.objects.filter(user=grid_worker).count() == 1

    session.context.set_offline(False)
    expect(page.locator("#patrol-waiting")).to_be_hidden()
    expect(card).to_have_attribute("data-on-duty", "true")
    patrol = PatrolSession.objects.get(user=grid_worker)
    assert patrol.points == 4 and patrol.ended_at is None
    assert patrol.last_point.x == pytest.approx(start.x + 0.0009, abs=1e-6)
    assert 80 < patrol.distance_m < 100  # three steps of about 30.7 m

    centre = browser_session(dispatcher).page
    centre.goto(session.url("/command/"))
    expect(centre.locator("#map")).to_have_attribute("data-patrols", "1")
    expect(centre.locator(".patrol-marker")).to_have_count(1)
