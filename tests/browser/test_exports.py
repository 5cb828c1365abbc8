"""Exports in headless Chromium: the command centre's current tab as CSV, and a large one made in the background,
its progress polled until the download link appears (htmx, under the page's Content-Security-Policy)."""

import csv
import io
import re
from pathlib import Path

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from dispatch.exports.services import export_run
from dispatch.models import Export

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DESKTOP = {"viewport": {"width": 1440, "height": 900}}


@pytest.fixture(autouse=True)
def _no_long_polls(monkeypatch, settings):
    """The page polls the counts instead of long-polling the feed, so no request outlives the test."""
    from dispatch.pages import command

    monkeypatch.setattr(command, "feed_available", lambda: False)
    settings.EVENTS_FEED_MAX_WAIT_SECONDS = 2


def test_a_dispatcher_exports_the_tab_at_once_and_a_large_list_in_the_background(
    browser_session, cases, personas, settings, screenshot_dir
):
    waiting = [cases.to("to_dispatch") for _ in range(3)]
    other = cases.report()
    session = browser_session(personas["dispatcher"], **DESKTOP)
    page = session.page
    page.goto(session.url("/command/"))
    page.click("#tab-to_dispatch")
    expect(page.locator(".case-row")).to_have_count(3)
    link = page.locator('#case-list a[data-export="csv"]')
    expect(link).to_have_text("导出 CSV")
    expect(link).to_have_attribute("href", re.compile(r"queue=to_dispatch"))

    with page.expect_download() as download:
        link.click()
    text = Path(download.value.path()).read_bytes().decode("utf-8")
    assert text.startswith("\ufeff案卷编号,")
    numbers = [row[0] for row in csv.reader(io.StringIO(text[1:]))][1:]
    # The rows of the list as the page shows them, in its order (most urgent first).
    assert numbers == page.locator("#case-list .case-row .case-number").all_text_contents()
    assert sorted(numbers) == sorted(case.number for case in waiting)
    assert other.number not in numbers

    settings.EXPORT_SYNC_MAX_ROWS = 2  # three rows are now a large list
    page.click('#case-list a[data-export="xlsx"]')
    expect(page).to_have_url(re.compile(r"/exports/#export-\d+$"))
    job = Export.objects.get()
    row = page.locator(f"#export-{job.pk}")
    expect(row.locator(".export-state")).to_have_text("等待中")
    expect(page.locator(".messages")).to_contain_text("正在后台导出")

    assert export_run(export_id=job.pk) == "done"  # what the worker does
    download_link = row.locator("a.export-download")
    expect(download_link).to_be_visible()  # swapped in by the status poll
    expect(row.locator(".export-state")).to_have_text("可下载")
    page.screenshot(path=str(screenshot_dir / "exports.png"))
    with page.expect_download() as download:
        download_link.click()
    sheet = load_workbook(io.BytesIO(Path(download.value.path()).read_bytes()), read_only=True).worksheets[0]
    assert [r[0] for r in sheet.iter_rows(values_only=True)][1:] == numbers
