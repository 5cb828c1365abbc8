"""The enforcement body's piece of a shift in headless Chromium: it opens a transferred street trading case from
its enforcement list, confirms the violation, decides the penalty the form proposes within the discretion standard,
and lists the matter for supervision (挂牌督办); the internal listing page then shows it."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import Role
from cases.models import Category, EnforcementCase, EnforcementListing, FilingCondition
from tests.factories.accounts import user_posted

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DESKTOP = {"viewport": {"width": 1440, "height": 1000}}
STREET = "street-441302001"


def test_the_enforcement_body_confirms_decides_and_lists_a_street_trading_case(
    browser_session, cases, personas, huizhou_departments, screenshot_dir
):
    category = Category.objects.get(kind="E", code="0501")
    cases.category, cases.condition = category, FilingCondition.objects.filter(category=category).first()
    case = cases.to("handling", case=cases.report(category=category, description="东湖路口流动摊贩占道经营，劝离无效"))
    cases.act(
        case, "handler", "transfer_to_enforcement", note="摊主多次劝离无效，现场照片已附",
        enforcement_body="city-urban-enforcement", violation="占道经营",
    )  # fmt: skip
    chain = EnforcementCase.objects.get(source=case)
    enforcer = user_posted(
        username="p-enforcer", role=Role.HANDLER, department=huizhou_departments["city-urban-enforcement"]
    )

    session = browser_session(enforcer, **DESKTOP)
    page = session.page
    page.goto(session.url("/enforcement/"))
    page.click(f'#enforcement-table tr[data-number="{chain.number}"] a')
    expect(page.locator("#enforcement-detail")).to_have_attribute("data-state", "transferred")
    expect(page.locator("#enf-source")).to_contain_text(case.number)

    # 违法确认: the offence of the discretion standard.
    page.select_option("#confirm-offence", "ZDJY")
    page.fill("#confirm-note", "现场核实，当事人无照占道经营")
    page.click("#step-confirm button[type=submit]")
    expect(page.locator("#enforcement-detail")).to_have_attribute("data-state", "confirmed")

    # The form proposes the standard's range for the circumstance; a fine within it is decided at once.
    page.select_option("#decide-circumstance", "general")
    expect(page.locator("#decide-range")).to_have_text("50.00–200.00")
    page.fill("#decide-fine", "200")
    page.click("#step-decide button[type=submit]")
    expect(page.locator("#enforcement-detail")).to_have_attribute("data-state", "decided")

    # 挂牌督办: the street office must set up a vending point; published.
    deadline = timezone.localtime(timezone.now() + timedelta(days=10)).strftime("%Y-%m-%dT18:00")
    page.select_option("#list-department", STREET)
    page.fill("#list-deadline", deadline)
    page.check("#step-list input[name=public]")
    page.fill("#list-note", "设置疏导点，杜绝东湖路口占道经营")
    page.click("#step-list button[type=submit]")
    expect(page.locator("#enforcement-detail")).to_have_attribute("data-state", "listed")
    expect(page.locator("#enf-listing")).to_contain_text("设置疏导点")
    page.screenshot(path=str(screenshot_dir / "enforcement.png"), full_page=True)

    listing = EnforcementListing.objects.get(enforcement=chain)
    assert listing.public and listing.responsible.code == STREET and listing.lifted_at is None
    page.goto(session.url("/enforcement/listings/"))
    expect(page.locator(f'#listing-table tr[data-number="{chain.number}"]')).to_contain_text("设置疏导点")
