"""The period picker on every assessment page, in headless Chromium: month → quarter → custom range → the period
before, each page keeping what else it shows (unit, indicator, role, region); the dashboard's charts draw."""

import random
from datetime import date
from urllib.parse import urlencode

import pytest
from playwright.sync_api import expect

from assessment.periods import span_containing, span_custom
from tests.assessment.conftest import world  # noqa: F401 - the assessment's test world, used by assessment_data

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FEBRUARY = span_containing("month", date(2026, 2, 1))
QUARTER = span_containing("quarter", date(2026, 2, 10))
CUSTOM = span_custom(date(2026, 2, 3), date(2026, 2, 20))
FIGURE = {"unit": "department", "key": "city-urban-management", "indicator": "close_rate"}
PAGES = {
    "dashboard": ("/assessment/", {}),
    "department": ("/assessment/departments/city-urban-management/", {}),
    "city": ("/assessment/regions/4413/", {}),
    "district": ("/assessment/regions/441302/", {}),
    "posts": ("/assessment/posts/grid_worker/", {}),
    "cases": ("/assessment/cases/", {**FIGURE, "count": "closed"}),
    "explain": ("/assessment/explain/", FIGURE),
    "bulletin": ("/assessment/bulletin/", {}),
    "map": ("/assessment/map/", {"region": "441302"}),
}


@pytest.fixture
def assessment_data(world, settings):  # noqa: F811 - the imported fixture
    """Default schemes (a transactional test before may have flushed them) and a few weeks of cases."""
    settings.ASSESSMENT_LIVE_CACHE_SECONDS = 0
    from assessment.defaults import schemes_seed
    from assessment.models import Scheme, SchemeVersion
    from tests.assessment.histories import histories_write

    schemes_seed(Scheme, SchemeVersion)
    rnd = random.Random(4)
    world.start = world.start.replace(month=1, day=20)
    histories_write(lambda n: rnd.randrange(n) if n > 1 else 0, world, 25)
    return world


def _pick(page, kind, **fields):
    form = page.locator("form[data-period-form]")
    form.locator("select[name=kind]").select_option(kind)
    for name, value in fields.items():
        field = form.locator(f"input[name={name}]")
        expect(field).to_be_visible()
        field.fill(value)
    with page.expect_navigation():
        form.locator("button[type=submit]").click()


def _expect_period(page, span, kept):
    expect(page.locator("[data-period-label]")).to_have_text(span.label)
    for name, value in kept.items():
        assert f"{name}={value}" in page.url, (name, page.url)


@pytest.mark.parametrize("name", list(PAGES))
def test_the_period_picker_works_on_every_assessment_page(browser_session, assessor, assessment_data, name):
    path, kept = PAGES[name]
    session = browser_session(assessor)
    page = session.page
    page.goto(session.url(path + "?" + urlencode({**kept, "period": FEBRUARY.key})))
    _expect_period(page, FEBRUARY, kept)
    form = page.locator("form[data-period-form]")
    # A day inside the period for a month…year; the custom range's fields are hidden until chosen.
    expect(form.locator("input[name=day]")).to_be_visible()
    expect(form.locator("input[name=first]")).to_be_hidden()

    _pick(page, "quarter", day="2026-02-10")
    _expect_period(page, QUARTER, kept)
    assert "kind=quarter" in page.url

    _pick(page, "custom", first="2026-02-03", last="2026-02-20")
    _expect_period(page, CUSTOM, kept)
    expect(form.locator("input[name=day]")).to_be_hidden()

    with page.expect_navigation():
        page.locator("[data-period-prev]").click()
    _expect_period(page, CUSTOM.previous(), kept)
    expect(page.locator("[data-source]")).to_have_attribute("data-source", "live")


def test_the_dashboard_draws_its_trend_ranking_and_score_map(browser_session, assessor, assessment_data, settings):
    settings.ASSESSMENT_MIN_CASES = 1
    session = browser_session(assessor, viewport={"width": 1280, "height": 900})
    page = session.page
    page.goto(session.url("/assessment/?" + urlencode({"period": FEBRUARY.key})))
    for chart in ("#trend-chart", "#ranking-chart", "#category-chart", "#score-map"):
        expect(page.locator(chart)).to_have_attribute("data-drawn", "true")
    expect(page.locator("#score-map canvas, #score-map svg").first).to_be_visible()
