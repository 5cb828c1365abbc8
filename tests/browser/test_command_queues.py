"""The command centre's queues in headless Chromium: the most urgent first, the map flies to the opened case, the
list follows the feed, and a canned phrase goes into a note with one click."""

import pytest
from playwright.sync_api import expect

from cases.models import Case
from dispatch.models import CannedPhrase
from tests.browser.test_command_centre import DESKTOP, a_working_day, open_command_centre

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _no_long_polls(monkeypatch, settings):
    from dispatch.pages import command

    monkeypatch.setattr(command, "feed_available", lambda: False)
    settings.EVENTS_FEED_MAX_WAIT_SECONDS = 2


@pytest.fixture
def story(cases, personas):
    from dispatch.demo import seed as seed_responsibility_list
    from tests.browser.stories import Story

    seed_responsibility_list()
    return Story(cases, personas)


def row_ids(page):
    return [int(x) for x in page.eval_on_selector_all("#case-rows .case-row", "rows => rows.map(r => r.dataset.case)")]


def map_view(page):
    lat, lon, zoom = page.get_attribute("#map", "data-view").split(",")
    return float(lat), float(lon), float(zoom)


def test_opening_a_case_from_the_overdue_queue_flies_the_map_to_it(browser_session, story, personas, screenshot_dir):
    a_working_day(story)
    session, page = open_command_centre(browser_session, personas["dispatcher"], **DESKTOP)
    # The map opens on the dispatcher's whole city, then flies to the cases (zoom 11.25 here; street names show from
    # zoom 11). Wait for it to arrive: a zoom-out click right after the page opened kept the street names only when
    # it fell during that flight; on a busy machine it came after and zoomed out past them (10.25).
    page.wait_for_function("() => Number(document.getElementById('map').dataset.view.split(',')[2]) >= 11")
    # District and street names are on the map, each written at its server-given point inside the polygon.
    expect(page.locator(".leaflet-tooltip.grid-label-street", has_text="桥东街道")).to_be_in_viewport()
    page.screenshot(path=str(screenshot_dir / "command-centre-labels.png"))
    page.click("#tab-overdue")
    page.wait_for_selector('#case-rows[data-query*="queue=overdue"]', state="attached")
    assert len(row_ids(page)) >= 2
    overdue = list(Case.objects.filter(pk__in=row_ids(page)).order_by("stage_deadline").values_list("pk", flat=True))
    assert row_ids(page) == overdue  # the longest overdue on top
    first = Case.objects.get(pk=overdue[0])
    page.click(f'#case-rows .case-row[data-case="{first.pk}"]')
    expect(page.locator("#case-panel")).to_have_attribute("data-case", str(first.pk))
    page.wait_for_function(
        "([lat, lon]) => { const v = (document.getElementById('map').dataset.view || '').split(',').map(Number);"
        " return Math.abs(v[0] - lat) < 0.0005 && Math.abs(v[1] - lon) < 0.0005 && v[2] >= 16; }",
        arg=[first.point.y, first.point.x],
    )
    lat, lon, zoom = map_view(page)
    page.screenshot(path=str(screenshot_dir / "command-centre-overdue-case.png"))
    assert zoom >= 16 and abs(lat - first.point.y) < 0.0005 and abs(lon - first.point.x) < 0.0005
    # The page opened on that case (a link, a reload) shows it on the map at once.
    page.goto(session.url(f"/command/?queue=overdue&case={first.pk}"))
    page.wait_for_function("() => (document.getElementById('map').dataset.view || '').split(',')[2] >= 16")


def test_the_list_refreshes_when_another_user_changes_the_queue(browser_session, story, personas, monkeypatch):
    from dispatch.pages import command

    monkeypatch.setattr(command, "feed_available", lambda: True)
    made = a_working_day(story)
    session, page = open_command_centre(browser_session, personas["dispatcher"], **DESKTOP)
    page.click("#tab-to_dispatch")
    page.wait_for_selector('#case-rows[data-query*="queue=to_dispatch"]', state="attached")
    case = made["manhole"]
    expect(page.locator(f'#case-rows .case-row[data-case="{case.pk}"]')).to_be_visible()
    other = made["parking"]
    page.click(f'#case-rows .case-row[data-case="{other.pk}"]')
    expect(page.locator("#case-panel")).to_have_attribute("data-case", str(other.pk))
    page.wait_for_function("() => document.getElementById('command-centre').dataset.feedCursor !== undefined")
    page.evaluate("() => { window.noPageLoad = true; }")
    story.cases.act(case, "dispatcher", "dispatch", lead_department="city-municipal-gardens")  # someone else
    expect(page.locator(f'#case-rows .case-row[data-case="{case.pk}"]')).to_have_count(0)
    expect(page.locator(f'#case-rows .case-row[data-case="{other.pk}"]')).to_have_attribute("aria-current", "true")
    assert page.evaluate("() => window.noPageLoad") is True
    assert int(page.get_attribute("#command-centre", "data-list-refreshes")) >= 1


def test_the_list_waits_while_the_user_types(browser_session, story, personas, monkeypatch):
    from dispatch.pages import command

    monkeypatch.setattr(command, "feed_available", lambda: True)
    made = a_working_day(story)
    session, page = open_command_centre(browser_session, personas["dispatcher"], **DESKTOP)
    page.click("#tab-to_dispatch")
    page.wait_for_selector('#case-rows[data-query*="queue=to_dispatch"]', state="attached")
    case = made["manhole"]
    expect(page.locator(f'#case-rows .case-row[data-case="{case.pk}"]')).to_be_visible()
    page.wait_for_function("() => document.getElementById('command-centre').dataset.feedCursor !== undefined")
    page.click("#f-q")
    page.keyboard.type("井盖")
    story.cases.act(case, "dispatcher", "dispatch", lead_department="city-municipal-gardens")
    expect(page.locator('[data-count="to_dispatch"]')).to_have_text("3")  # the feed has arrived
    expect(page.locator(f'#case-rows .case-row[data-case="{case.pk}"]')).to_be_visible()  # the list waited
    page.locator("#f-q").blur()
    expect(page.locator(f'#case-rows .case-row[data-case="{case.pk}"]')).to_have_count(0)


def test_a_canned_phrase_goes_into_the_note_at_the_cursor(browser_session, story, personas):
    made = a_working_day(story)
    # The administrator's own phrases, next to the seeded ones.
    CannedPhrase.objects.create(action="refuse", text="重复上报，已有案件在办理中。", position=2)
    phrase = CannedPhrase.objects.create(action="refuse", text="不属于城市管理范围，不予受理。", position=1)
    session, page = open_command_centre(browser_session, personas["operator"], **DESKTOP)
    page.goto(session.url(f"/command/?case={made['rubbish'].pk}"))
    page.click('[data-action="refuse"] summary')
    page.fill("#refuse-note", "经查：")
    page.click(f'[data-action="refuse"] [data-phrase="{phrase.text}"]')
    expect(page.locator("#refuse-note")).to_have_value("经查：" + phrase.text)
    expect(page.locator("#refuse-note")).to_be_focused()
    page.click('[data-action="refuse"] button[type=submit]')
    expect(page.locator("#case-panel .notice-success")).to_be_visible()
    assert Case.objects.get(pk=made["rubbish"].pk).events.latest("id").note == "经查：" + phrase.text


def test_the_dispatch_form_finds_a_department_by_name(browser_session, story, personas, screenshot_dir):
    made = a_working_day(story)
    session, page = open_command_centre(browser_session, personas["dispatcher"], **DESKTOP)
    page.goto(session.url(f"/command/?case={made['manhole'].pk}"))
    page.eval_on_selector('[data-action="dispatch"]', "details => { details.open = true; }")
    page.fill("#dispatch-dept-search", "园林")
    visible = page.eval_on_selector_all(
        "#dispatch-lead_department option[data-search]:not([hidden])", "os => os.map(o => o.textContent)"
    )
    assert visible and all("园林" in text or "★" in text for text in visible)
    expect(page.locator("#dispatch-dept-count")).not_to_be_empty()
    page.screenshot(path=str(screenshot_dir / "command-centre-dispatch-search.png"))
