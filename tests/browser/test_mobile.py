"""The grid worker's phone (/m/) in headless Chromium at 390×844 with geolocation granted inside 东湖社区.

Report with GPS, a category found by pinyin initials and a camera photo; report offline and see it delivered
exactly once after reconnecting; verify a public report from "my tasks". Screenshots go to var/screenshots/.
"""

import io
import re

import pytest
from django.contrib.gis.geos import Point
from django.utils import timezone
from PIL import Image, ImageDraw, ImageFilter
from playwright.sync_api import expect

from cases.clock import add_time
from cases.models import Case, CaseEvent, Category, Status
from cases.services.stages import stage_limit
from cases.workflow import STAGE_OF
from tests.fixtures.grid import QIAODONG_COMMUNITY

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


def scene_jpeg(width=3000, height=2000, seed=0, rubbish=True):
    """A street scene good enough for a screenshot: sky, buildings, pavement and (unless cleared) a heap of rubbish."""
    image = Image.new("RGB", (width, height), (170, 200, 225))
    draw = ImageDraw.Draw(image)
    horizon = int(height * 0.55)
    for i in range(7):
        left = int(width * (i / 7)) + (seed * 37) % 60
        top = int(height * (0.12 + 0.05 * ((i * 3 + seed) % 5)))
        shade = 150 + (i * 17 + seed * 11) % 70
        draw.rectangle([left, top, left + int(width / 7.5), horizon], fill=(shade, shade - 10, shade - 25))
        for row in range(top + 40, horizon - 40, 90):
            for col in range(left + 30, left + int(width / 7.5) - 40, 80):
                draw.rectangle([col, row, col + 40, row + 50], fill=(90, 110, 130))
    draw.rectangle([0, horizon, width, height], fill=(128, 128, 124))
    draw.polygon([(0, height), (width * 0.35, horizon), (width * 0.65, horizon), (width, height)], fill=(92, 92, 92))
    heap = [(60, 140, 60), (200, 190, 170), (40, 40, 45), (180, 60, 50), (230, 230, 220), (120, 90, 60)]
    cx, cy = int(width * (0.3 + 0.1 * (seed % 3))), int(height * 0.78)
    for i in range(60 if rubbish else 0):
        dx, dy = ((i * 97 + seed * 13) % 400) - 200, ((i * 53) % 160) - 80
        r = 40 + (i * 29) % 70
        draw.ellipse([cx + dx * 2 - r, cy + dy - r, cx + dx * 2 + r, cy + dy + r], fill=heap[i % len(heap)])
    image = image.filter(ImageFilter.GaussianBlur(2))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=88)
    return buffer.getvalue()


def photo_file(name="photo.jpg", **kwargs):
    return {"name": name, "mimeType": "image/jpeg", "buffer": scene_jpeg(**kwargs)}


def phone(browser_session, user, cases):
    """A signed-in phone at 390×844 whose GPS says: inside 东湖社区, where the CaseMaker reports."""
    return browser_session(
        user,
        viewport=PHONE,
        geolocation={"latitude": cases.lat, "longitude": cases.lon, "accuracy": 8},
        permissions=["geolocation"],
        is_mobile=True,
        has_touch=True,
    )


def pick_category(page, query, code):
    page.fill("#cat-q", query)
    page.locator(f"label[for=cat-{code}]").click()
    expect(page.locator("#cat-chosen-code")).to_have_text(code)


def test_a_grid_worker_reports_with_gps_pinyin_initials_and_a_camera_photo(
    browser_session, grid_worker, cases, screenshot_dir
):
    session = phone(browser_session, grid_worker, cases)
    page = session.page
    page.goto(session.url("/m/"))
    expect(page.locator("#loc-grid")).to_have_attribute("data-region", QIAODONG_COMMUNITY)
    expect(page.locator("#address")).not_to_have_attribute("aria-required", "true")  # a GPS fix: address optional

    page.fill("#cat-q", "blj")  # 暴露垃圾 by the initials of bào lù lā jī, letters in order
    expect(page.locator("label[for=cat-E0102]")).to_be_visible()
    page.screenshot(path=str(screenshot_dir / "mobile-1-category.png"))
    page.locator("label[for=cat-E0102]").click()
    expect(page.locator("#cat-chosen-code")).to_have_text("E0102")

    page.set_input_files("#photos", files=[photo_file()])
    expect(page.locator("#photo-list li")).to_have_count(1)
    page.fill("#address", "桥东街道东湖路 18 号旁")
    page.fill("#description", "人行道旁堆放生活垃圾约 2 平方米，有异味")
    _scroll_to(page, page.locator("#loc-status"))
    page.screenshot(path=str(screenshot_dir / "mobile-2-form.png"))

    page.click("#report-submit")
    number = page.locator("#result .m-case-number")
    expect(number).to_have_text(re.compile(r"^E0102\d{12}$"))
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(screenshot_dir / "mobile-3-sent.png"))

    case = Case.objects.select_related("region", "category").get(number=number.inner_text())
    assert case.region.code == QIAODONG_COMMUNITY
    assert (case.category.kind, case.category.code) == ("E", "0102")
    assert case.reporter_id == grid_worker.pk and case.source == "grid_worker"
    assert case.point.x == pytest.approx(cases.lon, abs=1e-6) and case.point.y == pytest.approx(cases.lat, abs=1e-6)
    assert UUID.match(case.idempotency_key)
    (before,) = case.photos.all()
    assert before.kind == "before"
    assert (before.width, before.height) == (1600, 1067)  # 3000×2000 shrunk in the browser, long side 1600
    expect(page.locator(".m-case-status")).to_have_attribute("data-status", "reported")


def test_without_gps_the_address_is_required_and_a_tap_on_the_map_places_the_pin(browser_session, grid_worker, cases):
    session = browser_session(grid_worker, viewport=PHONE, is_mobile=True, has_touch=True)  # location refused
    page = session.page
    page.goto(session.url("/m/"))
    expect(page.locator("#address")).to_have_attribute("aria-required", "true")
    pick_category(page, "E0102", "E0102")
    page.fill("#description", "无定位时的上报")
    page.click("#report-submit")
    expect(page.locator("#err-point")).to_be_visible()
    expect(page.locator("#err-address")).to_be_visible()
    assert not Case.objects.exists()

    spot = page.evaluate("([lat, lon]) => CityOps.reportMap.latLngToContainerPoint([lat, lon])", [cases.lat, cases.lon])
    page.locator("#map").click(position={"x": spot["x"], "y": spot["y"]})
    expect(page.locator("#loc-grid")).to_have_attribute("data-region", QIAODONG_COMMUNITY)
    page.fill("#address", "东湖路 8 号门前")
    page.click("#report-submit")
    expect(page.locator("#result .m-case-number")).to_be_visible()
    case = Case.objects.get()
    assert case.region.code == QIAODONG_COMMUNITY and case.address == "东湖路 8 号门前"
    assert case.point.distance(Point(cases.lon, cases.lat, srid=4326)) < 0.0005  # within a pixel or so: ~50 m


def test_a_grid_worker_flags_a_gas_leak_as_an_emergency_and_the_shift_lead_hears_of_it(
    browser_session, grid_worker, shift_lead, cases
):
    from dispatch.models import Notification

    session = phone(browser_session, grid_worker, cases)
    page = session.page
    page.goto(session.url("/m/"))
    expect(page.locator("#loc-grid")).to_have_attribute("data-region", QIAODONG_COMMUNITY)
    pick_category(page, "E0403", "E0403")
    page.fill("#description", "燃气管道被挖断，现场有明显燃气味")
    page.check("#emergency")
    page.click("#report-submit")
    number = page.locator("#result .m-case-number")
    expect(number).to_have_text(re.compile(r"^E0403\d{12}$"))
    expect(page.locator("#emergency")).not_to_be_checked()  # the next report starts as a normal one

    case = Case.objects.get(number=number.inner_text())
    assert (case.urgency, case.stage_clock) == ("emergency", "natural")
    assert case.stage_deadline - case.created_at == timezone.timedelta(minutes=10)
    assert Notification.objects.filter(case=case, kind="emergency", user=shift_lead).count() == 1


def test_a_report_made_offline_waits_on_the_phone_and_is_delivered_exactly_once(
    browser_session, grid_worker, cases, screenshot_dir
):
    session = phone(browser_session, grid_worker, cases)
    page = session.page
    page.goto(session.url("/m/"))
    expect(page.locator("#loc-grid")).to_have_attribute("data-region", QIAODONG_COMMUNITY)
    page.wait_for_function("() => navigator.serviceWorker.controller !== null")

    session.context.set_offline(True)
    answer = page.reload()  # the app shell comes from the service worker's cache
    assert answer.ok and answer.from_service_worker
    expect(page.locator("#m-connection")).to_have_class(re.compile("is-offline"))
    pick_category(page, "bllj", "E0102")  # searched in the list saved in the page
    page.set_input_files("#photos", files=[photo_file(seed=2)])
    expect(page.locator("#photo-list li")).to_have_count(1)
    page.fill("#address", "东湖路与环城西路交叉口")
    page.fill("#description", "路口垃圾桶满溢，垃圾散落地面")
    page.click("#report-submit")

    waiting = page.locator("#outbox-list > li")
    expect(waiting).to_have_count(1)
    expect(page.locator("#result")).to_have_class(re.compile("m-result-queued"))
    key = waiting.get_attribute("data-idempotency-key")
    assert UUID.match(key)
    assert not Case.objects.exists()
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(screenshot_dir / "mobile-4-offline-queue.png"))

    # Back online, the first delivery reaches the server but its answer is lost on the way back: the phone keeps
    # the report, and the server has the case. Answers stay lost until the connection drops again, so a timed
    # retry in between changes nothing either.
    lost = []

    def lose_the_answer(route):
        if route.request.method == "POST":
            lost.append(route.fetch().status)
            route.abort("connectionreset")
        else:
            route.fallback()

    page.route("**/api/v1/cases/", lose_the_answer)
    session.context.set_offline(False)
    expect(waiting.locator(".m-error")).to_be_visible()  # the phone shows why the report is still waiting
    session.context.set_offline(True)
    page.unroute("**/api/v1/cases/", lose_the_answer)
    assert lost[0] == 201 and all(status == 200 for status in lost[1:])
    expect(waiting).to_have_count(1)
    expect(waiting).to_have_attribute("data-idempotency-key", key)
    assert Case.objects.filter(idempotency_key=key).count() == 1

    # A fresh page, back online: the retry sends the same key again, the same case comes back (200) and the
    # report leaves.
    page.reload()  # from the service worker; nothing is sent without a connection
    expect(waiting).to_have_attribute("data-idempotency-key", key)
    with page.expect_response(lambda r: r.url.endswith("/api/v1/cases/") and r.request.method == "POST") as sent:
        session.context.set_offline(False)
    assert sent.value.status == 200
    assert sent.value.request.header_value("Idempotency-Key") == key
    expect(page.locator("#outbox")).to_be_hidden()
    case = Case.objects.get(idempotency_key=key)
    expect(page.locator("#m-notices")).to_contain_text(case.number)

    page.reload()  # nothing is left to send
    expect(page.locator("#outbox")).to_be_hidden()
    assert Case.objects.filter(idempotency_key=key).count() == 1
    assert Case.objects.count() == 1
    assert [p.kind for p in case.photos.all()] == ["before"]
    assert case.region.code == QIAODONG_COMMUNITY and case.address == "东湖路与环城西路交叉口"


def test_a_grid_worker_verifies_a_public_report_from_my_tasks(browser_session, grid_worker, cases, screenshot_dir):
    from django.core.files.uploadedfile import SimpleUploadedFile

    def upload(name, seed, rubbish=True):
        return SimpleUploadedFile(name, scene_jpeg(1200, 900, seed=seed, rubbish=rubbish), content_type="image/jpeg")

    public = cases.report(
        actor=cases.p["operator"],
        source="hotline_12345",
        contact_name="陈女士",
        contact_phone="13812345678",
        description="市民来电：东湖花园北门垃圾堆积多日",
        address="东湖花园北门",
        photos=[upload("citizen.jpg", 4)],
    )
    verify = cases.act(public, "operator", "request_verification", assignee=grid_worker.username)
    fixed = cases.to("handling", case=cases.report(description="绿化带内建筑垃圾", photos=[upload("b.jpg", 1)]))
    fixed = cases.act(fixed, "handler", "feedback", note="已清运", photos=[upload("a.jpg", 1, rubbish=False)])
    check = cases.act(fixed, "operator", "request_check", assignee=grid_worker.username)

    session = phone(browser_session, grid_worker, cases)
    page = session.page
    page.goto(session.url("/m/tasks/"))
    expect(page.locator(".m-task")).to_have_count(2)
    expect(page.locator("#m-task-badge")).to_have_text("2")
    check_card = page.locator(f".m-task[data-case-number='{check.number}']")
    expect(check_card.locator(".m-compare-col img")).to_have_count(2)  # before and after, side by side
    _scroll_to(page, check_card)
    page.screenshot(path=str(screenshot_dir / "mobile-5-tasks.png"))

    card = page.locator(f".m-task[data-case-number='{verify.number}']")
    card.locator("textarea").fill("现场核实：垃圾堆积属实，约 3 立方米")
    card.locator("input[type=file]").set_input_files(files=[photo_file("onsite.jpg", seed=3)])
    expect(card.locator(".m-photos li")).to_have_count(1)
    card.locator("button[value=true]").click()
    expect(card).to_have_attribute("data-done", "true")
    expect(page.locator("#m-task-badge")).to_have_text("1")
    _scroll_to(page, card)
    page.screenshot(path=str(screenshot_dir / "mobile-6-task-verified.png"))

    verify.refresh_from_db()
    assert verify.status == "reported" and verify.assignee_id is None
    event = CaseEvent.objects.get(case=verify, action="verify")
    assert event.data == {"result": True} and event.actor_id == grid_worker.pk
    assert event.note == "现场核实：垃圾堆积属实，约 3 立方米"
    assert [p.kind for p in verify.photos.filter(event=event)] == ["verification"]

    # A few more of the worker's own reports, so "my reports" shows statuses and lights as they come.
    cases.to("closed", case=cases.report(description="东湖路人行道垃圾堆放", address="东湖路 6 号"))
    cases.to("handling", case=cases.report(description="小区门口垃圾桶破损满溢", address="东湖花园南门"))
    cases.report(
        category=Category.objects.get(kind="E", code="0201"),
        description="电线杆上张贴小广告多处",
        address="东湖路公交站",
        now=_working_time_ago(cases, "E0201", used=2),
    )
    page.goto(session.url("/m/reports/"))
    expect(page.locator(f".m-report[data-case-number='{check.number}']")).to_be_visible()
    expect(page.locator(".m-report")).to_have_count(4)
    expect(page.locator(".m-report .m-light-red")).to_have_count(1)
    page.screenshot(path=str(screenshot_dir / "mobile-7-my-reports.png"))


def _scroll_to(page, locator):
    """Scroll so the element starts just below the sticky top bar."""
    locator.evaluate("el => el.scrollIntoView({block: 'start'})")
    page.evaluate("window.scrollBy(0, -48)")


def _working_time_ago(cases, category, *, used):
    """The instant a case reported now in 东湖社区 would have used `used` × its acceptance limit, on its clock.

    Counted on the working calendar, not in days: two calendar days back from a Monday morning is no working time.
    """
    found = Category.objects.get(kind=category[0], code=category[1:])
    model = Case(category=found, region=cases.community, urgency="normal")
    now = timezone.now()
    budget, clock = stage_limit(model, STAGE_OF[Status.REPORTED], now)
    return add_time(start=now, duration=-budget * used, clock=clock)


def test_a_grid_worker_reports_a_fix_on_the_spot_with_photos_before_and_after(
    browser_session, grid_worker, cases, screenshot_dir
):
    session = phone(browser_session, grid_worker, cases)
    page = session.page
    page.goto(session.url("/m/"))
    expect(page.locator("#loc-grid")).to_have_attribute("data-region", QIAODONG_COMMUNITY)
    pick_category(page, "blj", "E0102")
    page.set_input_files("#photos", files=[photo_file("before.jpg", width=800, height=600)])
    expect(page.locator("#photo-list li")).to_have_count(1)
    page.fill("#description", "路边一袋散落垃圾，已装袋放入垃圾桶")
    expect(page.locator("#after-box")).to_be_hidden()

    # Ticked without a photo of the result: the form says what is missing and sends nothing.
    page.check("#self-handled")
    expect(page.locator("#after-box")).to_be_visible()
    page.click("#report-submit")
    expect(page.locator("#err-after_photos")).to_be_visible()
    assert not Case.objects.exists()

    page.set_input_files("#after-photos", files=[photo_file("after.jpg", width=800, height=600, rubbish=False)])
    expect(page.locator("#after-list li")).to_have_count(1)
    expect(page.locator("#after-count")).to_have_text(re.compile(r"^1/"))
    _scroll_to(page, page.locator("#self-handled"))
    page.screenshot(path=str(screenshot_dir / "mobile-8-fixed-on-the-spot.png"))
    page.click("#report-submit")
    number = page.locator("#result .m-case-number")
    expect(number).to_have_text(re.compile(r"^E0102\d{12}$"))

    case = Case.objects.get(number=number.inner_text())
    assert case.self_handled and case.status == Status.REPORTED  # waits for the operator's confirmation
    assert sorted(case.photos.values_list("kind", flat=True)) == ["after", "before"]
    expect(page.locator("#self-handled")).not_to_be_checked()  # the form is fresh for the next report

    page.goto(session.url("/m/reports/"))
    item = page.locator(f"#case-{case.pk}")
    expect(item.locator(".m-chip-self-handled")).to_have_text("自处置")
