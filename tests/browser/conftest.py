"""Browser tests: Playwright driving Debian's headless Chromium against the live test server.

Every page must work without the internet: any request to a host other than the live server fails the test.
Screenshots go to var/screenshots/ (named in the README).

Pages run under their Content-Security-Policy, which forbids eval: a `wait_for_function` predicate is given as an
arrow function, because Playwright evaluates a bare expression string with eval while it polls.
"""

import os
import re
import threading
import time
from pathlib import Path
from urllib.parse import urlparse

import pytest
from playwright.sync_api import expect

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
# The one timeout of the browser tests, for actions and assertions alike. Every wait is for a condition and ends as
# soon as it holds; this is only how long a busy machine (a shared CI runner, the whole suite at once) may take.
# The suite runs on two processes (pytest-xdist), so the browser and the live server share the cores with another
# worker's tests: 10 s proved too short on a loaded runner, while a passing test never waits any longer for it.
TIMEOUT_MS = 20_000
expect.set_options(timeout=TIMEOUT_MS)


@pytest.fixture(scope="module")
def _playwright():
    """Playwright for one test module.

    Its sync API keeps an event loop running in the test thread; the tests' own ORM calls are still synchronous
    and safe, so Django is told to allow them — only while this module's browser runs, so the setting never leaks
    into later tests or their subprocesses.
    """
    from playwright.sync_api import sync_playwright

    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            yield playwright
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture(scope="module")
def browser(_playwright):
    browser = _playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
    yield browser
    browser.close()


@pytest.fixture
def screenshot_dir():
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS


class BrowserSession:
    """One browser context for one person, signed in through the real login page."""

    def __init__(self, browser, live_server, foreign, **context_options):
        self.live_server = live_server
        self.context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", **context_options)
        self.context.set_default_timeout(TIMEOUT_MS)
        host = urlparse(live_server.url).hostname

        def guard(route):
            requested = urlparse(route.request.url)
            if requested.scheme in ("http", "https", "ws", "wss") and requested.hostname not in (host, "localhost"):
                foreign.append(route.request.url)
                return route.abort()
            return route.continue_()

        self.context.route("**/*", guard)
        self.page = self.context.new_page()

    def url(self, path):
        return f"{self.live_server.url}{path}"

    def login(self, username, password="cityops-demo"):
        self.page.goto(self.url("/accounts/login/"))
        self.page.fill("#id_username", username)
        self.page.fill("#id_password", password)
        # Wait for the answer to the sign-in itself: a load state read right after the click may still be the
        # login page's, and the next goto would then cancel the sign-in on its way.
        with self.page.expect_navigation():
            self.page.click("button[type=submit]")
        expect(self.page).not_to_have_url(re.compile(r"/accounts/login/"))
        return self.page

    def close(self):
        self.context.close()


def _live_requests():
    """Threads of the live test server still answering a request (socketserver runs one thread per request)."""
    return [
        thread
        for thread in threading.enumerate()
        if getattr(getattr(thread, "_target", None), "__name__", "") == "process_request_thread"
    ]


def drain_live_server(timeout=30.0):
    """Wait until no request of a closed page is still running in the live server.

    A long poll of the event feed goes on for a moment after its page closed; a transactional test that then
    empties the tables would race it for the same tables' locks (PostgreSQL breaks the deadlock by failing one
    of them). Closing the pages and then waiting here keeps each test's requests inside that test."""
    deadline = time.monotonic() + timeout
    for thread in _live_requests():
        thread.join(max(0.0, deadline - time.monotonic()))
    still_running = _live_requests()
    assert not still_running, f"live server requests still running after {timeout} s: {still_running}"


@pytest.fixture
def browser_session(browser, live_server, settings):
    """Factory: browser_session(user, **context options) -> a signed-in BrowserSession.

    The test fails if any page requested a non-local host (the platform runs on intranets)."""
    settings.LEAFLET_TILE_URL = ""
    foreign, sessions = [], []

    def make(user=None, password="a-browser-test-password", **options):
        session = BrowserSession(browser, live_server, foreign, **options)
        if user is not None:
            user.set_password(password)
            user.save(update_fields=["password"])
            session.login(user.username, password)
        sessions.append(session)
        return session

    yield make
    for session in sessions:
        session.close()
    drain_live_server()
    assert foreign == [], f"pages requested non-local hosts: {foreign}"
