"""The README's tour: signs in as every demo account on a running server and photographs its first work page.

Usage (after `make run`, in another terminal):

    .venv/bin/python scripts/tour.py [--url http://127.0.0.1:8000] [--out docs/tour]

Each account opens the page its role works on, waits until its queue shows work, and the page is saved as
`docs/tour/NN-<account>.png` (1440×900; the grid worker's at 390×844, as on a phone). An account whose first page
shows no work fails the run (exit code 1) with the account's name: the demo must give everyone something to do.
Headless Debian Chromium (`/usr/bin/chromium`, or `CHROMIUM_PATH`).
"""

import argparse
import contextlib
import os
import sys
from dataclasses import dataclass
from pathlib import Path

from playwright.sync_api import Error, sync_playwright

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
PASSWORD = "cityops-demo"  # noqa: S105 - the published demo password
DESKTOP = {"width": 1440, "height": 900}
PHONE = {"width": 390, "height": 844}


@dataclass(frozen=True)
class Stop:
    account: str
    path: str
    work: str  # a selector that matches once the page shows work
    viewport: dict
    what: str
    then: str = ""  # a selector to click before the picture (e.g. open the first case)


STOPS = [
    Stop("operator", "/command/?queue=reported", ".case-rows .case-row", DESKTOP, "待受理: reports to accept"),
    Stop("operator", "/command/intake/", "form#intake-form", DESKTOP, "来电登记: a hotline call taken"),
    Stop("shiftlead", "/command/?queue=to_register", ".case-rows .case-row", DESKTOP, "待立案: cases to file"),
    Stop(
        "dispatcher",
        "/command/?queue=to_dispatch",
        ".case-rows .case-row",
        DESKTOP,
        "待派遣 at the city command centre, a case open",
        then=".case-rows .case-row",
    ),
    Stop(
        "district-dispatcher", "/command/?queue=to_dispatch", ".case-rows .case-row", DESKTOP, "惠城区's dispatch queue"
    ),
    Stop("leader", "/command/?queue=overdue", ".case-rows .case-row", DESKTOP, "超期: overdue and escalated cases"),
    Stop("handler", "/dept/", ".case-rows .case-row", DESKTOP, "the city bureau's board"),
    Stop("street-handler", "/dept/", ".case-rows .case-row", DESKTOP, "桥东街道's board"),
    Stop("gridworker", "/m/tasks/", ".m-task", PHONE, "核实/核查 tasks on the phone"),
    Stop("auditor", "/assessment/", "table tbody tr", DESKTOP, "last month's scores"),
    Stop("dispatcher", "/inbox/", ".inbox-item", DESKTOP, "the inbox"),
]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    parser.add_argument("--out", default=str(Path(__file__).resolve().parents[1] / "docs" / "tour"))
    parser.add_argument("--timeout", type=int, default=20_000, help="ms to wait for a page's work")
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    empty = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        for number, stop in enumerate(STOPS, start=1):
            context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", viewport=stop.viewport)
            context.set_default_timeout(args.timeout)
            page = context.new_page()
            page.goto(f"{args.url}/accounts/login/")
            page.fill("#id_username", stop.account)
            page.fill("#id_password", PASSWORD)
            with page.expect_navigation():
                page.click("button[type=submit]")
            page.goto(f"{args.url}{stop.path}")
            try:
                page.locator(stop.work).first.wait_for(state="visible")
                if stop.then:
                    page.locator(stop.then).first.click()
                    page.locator("#case-panel h2").first.wait_for(state="visible")
            except Error:
                empty.append(f"{stop.account} {stop.path}")
            # The pages follow the live feed (a long poll), so the network is never idle: wait for the map's
            # grids instead, where there is a map.
            if page.locator("#map").count():
                with contextlib.suppress(Error):
                    page.locator("#map path.leaflet-interactive").first.wait_for(state="attached", timeout=5_000)
                page.wait_for_timeout(3_000)  # the fit to the cases animates the zoom: let it and its labels settle
            name = out / f"{number:02d}-{stop.account}.png"
            page.screenshot(path=str(name))
            count = page.locator(stop.work).count()
            print(f"{name.name:32} {stop.account:20} {stop.path:28} {count:4} items  {stop.what}")
            context.close()
        browser.close()
    if empty:
        print("no work shown:", "; ".join(empty), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
