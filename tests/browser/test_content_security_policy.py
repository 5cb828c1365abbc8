"""Every page works under the Content-Security-Policy: headless Chromium reports no violation on the command centre,
the department workspace, the mobile pages and the assessment pages, while they load and while they are used."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.stories import Story, wait_for_photos

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DESKTOP = {"viewport": {"width": 1440, "height": 900}}

# Registered before any page script runs, so a violation during loading is caught too; reported to the test
# through a binding, so the violations of a page survive the navigation to the next one.
LISTEN = """
document.addEventListener("securitypolicyviolation", (e) => {
  const where = e.target && e.target.outerHTML ? e.target.outerHTML.slice(0, 120) : String(e.target);
  const source = `${e.sourceFile}:${e.lineNumber}`;
  window.cspViolation(`${location.pathname}: ${e.violatedDirective} ${e.blockedURI} ${source} ${where}`);
});
"""


@pytest.fixture(autouse=True)
def _no_long_polls(monkeypatch, settings):
    from dispatch.pages import command

    monkeypatch.setattr(command, "feed_available", lambda: False)
    settings.EVENTS_FEED_MAX_WAIT_SECONDS = 2


@pytest.fixture
def story(cases, personas):
    from dispatch.demo import seed as seed_responsibility_list

    seed_responsibility_list()
    return Story(cases, personas)


class Watched:
    """A signed-in browser whose every CSP violation (event or console message) is collected."""

    def __init__(self, browser_session, user, **options):
        self.session = browser_session(user, **(options or DESKTOP))
        self.page = self.session.page
        self.console, self.events = [], []
        self.page.on("console", self._console)
        self.page.expose_function("cspViolation", lambda text: self.events.append(text))
        self.page.add_init_script(LISTEN)

    def _console(self, message):
        if "Content Security Policy" in message.text or "Content-Security-Policy" in message.text:
            self.console.append(message.text)

    def open(self, path):
        response = self.page.goto(self.session.url(path))
        assert response.status == 200, path
        assert "script-src 'self'" in response.headers["content-security-policy"]
        self.page.wait_for_load_state("networkidle")
        return self.page

    def violations(self):
        return self.events + self.console


def test_the_command_centre_and_its_panel_pass_the_policy(browser_session, story, personas):
    case = story.walk(story.report("E0505", "机动车长时间占用人行道停放", "441302002004"), "to_dispatch")
    watched = Watched(browser_session, personas["dispatcher"])
    page = watched.open("/command/")
    page.wait_for_function("() => document.getElementById('map').dataset.markers !== undefined")
    page.click("#tab-to_dispatch")
    page.click(f'.case-row[data-case="{case.pk}"]')
    expect(page.locator("#case-panel")).to_have_attribute("data-case", str(case.pk))
    wait_for_photos(page)
    # The language switch is a listener now, not an onchange attribute: it must still work.
    page.select_option("#language-select", "en")
    page.wait_for_load_state("networkidle")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    assert watched.violations() == []


def test_the_department_workspace_passes_the_policy(browser_session, story, personas):
    story.walk(story.report("E0101", "东湖路临街商铺违规搭建雨棚", "441302001001"), "handling")
    watched = Watched(browser_session, personas["handler"])
    page = watched.open("/dept/")
    expect(page.locator(".case-row").first).to_be_visible()
    page.locator(".case-row").first.click()
    expect(page.locator("#case-panel")).to_have_attribute("data-case", re.compile(r"\d+"))
    assert watched.violations() == []


def test_the_mobile_pages_pass_the_policy(browser_session, story, personas, cases):
    phone = {
        "viewport": {"width": 390, "height": 844},
        "geolocation": {"latitude": cases.lat, "longitude": cases.lon, "accuracy": 8},
        "permissions": ["geolocation"],
        "is_mobile": True,
        "has_touch": True,
    }
    watched = Watched(browser_session, personas["grid_worker"], **phone)
    for path in ("/m/", "/m/tasks/", "/m/reports/"):
        watched.open(path)
    assert watched.violations() == []


def test_the_assessment_pages_pass_the_policy(browser_session, story, personas, assessor):
    story.walk(story.report("E0101", "东湖路临街商铺违规搭建雨棚", "441302001001"), "handling")
    watched = Watched(browser_session, assessor)
    for path in (
        "/assessment/",
        "/assessment/departments/city-urban-management/",
        "/assessment/regions/441302/",
        "/assessment/bulletin/",
        "/assessment/map/",
    ):
        watched.open(path)
    page = watched.open("/assessment/")
    # A chart's tooltip is markup made by the chart library: it must pass too.
    page.hover("#trend-chart canvas", position={"x": 200, "y": 120})
    page.wait_for_timeout(500)
    assert watched.violations() == []


def test_the_exports_page_and_its_progress_poll_pass_the_policy(browser_session, story, personas):
    from django.utils import timezone

    from dispatch.exports.services import export_run
    from dispatch.models import Export

    story.walk(story.report("E0505", "机动车长时间占用人行道停放", "441302002004"), "to_dispatch")
    job = Export.objects.create(
        user=personas["dispatcher"], surface="command", format="csv", params={}, created_at=timezone.now()
    )
    watched = Watched(browser_session, personas["dispatcher"])
    page = watched.open("/exports/")
    with page.expect_response(re.compile(rf"/exports/{job.pk}/status/")):
        pass  # the poll runs (htmx, no inline code)
    export_run(export_id=job.pk)
    expect(page.locator(f"#export-{job.pk} a.export-download")).to_be_visible()
    assert watched.violations() == []
