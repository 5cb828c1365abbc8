"""An assessor's month-end look at the enforcement work, in headless Chromium: October's supervision orders and two
enforcement chains were played through the services; on the dashboard the assessor picks the 执法与督办评价 scheme,
finds the detachment's 违法确认及时率 in the ranking, opens the cases behind it and the detachment's page."""

from datetime import date

import pytest
from playwright.sync_api import expect

from assessment.periods import span_containing
from cases.models import EnforcementCase
from tests.assessment.test_orders_and_enforcement_month import play_october

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

OCTOBER = span_containing("month", date(2026, 10, 1))
DESKTOP = {"viewport": {"width": 1440, "height": 1000}}


def test_an_assessor_reads_the_enforcement_scheme_and_the_cases_behind_a_figure(
    browser_session, cases, personas, assessor, settings
):
    settings.ASSESSMENT_LIVE_CACHE_SECONDS = 0
    from assessment.defaults import schemes_seed
    from assessment.models import Scheme, SchemeVersion

    schemes_seed(Scheme, SchemeVersion)  # a transactional test before may have flushed them
    body, _street = play_october(cases, personas)
    sources = list(EnforcementCase.objects.order_by("pk").values_list("source__number", flat=True))

    session = browser_session(assessor, **DESKTOP)
    page = session.page
    page.goto(session.url(f"/assessment/?period={OCTOBER.key}"))
    with page.expect_navigation():
        page.locator("form.scheme-pick select[name=scheme]").select_option("enforcement-standard")
    assert "scheme=enforcement-standard" in page.url
    row = page.locator(f'tr[data-unit="{body.code}"]')
    figure = row.locator('td[data-figure="confirmation_timeliness_rate"]')
    expect(figure).to_contain_text("50")
    expect(row.locator("td[data-score]")).not_to_have_text("—")

    with page.expect_navigation():
        figure.locator("a").click()
    # The confirmation on time (Z1's) is listed; the late decline (Z2's) is not.
    expect(page.get_by_text(sources[0]).first).to_be_visible()
    expect(page.get_by_text(sources[1])).to_have_count(0)

    page.goto(session.url(f"/assessment/departments/{body.code}/?period={OCTOBER.key}"))
    expect(page.locator("main")).to_contain_text("违法确认及时率")
    expect(page.locator("main")).to_contain_text("执法办结率")
