"""Exports of the work lists: CSV and XLSX hold exactly the list (tab, filters, scope), small ones are streamed,
large ones become a background job with progress and an owner-only download, and the sweep resumes and expires."""

import csv
import io
from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.http import StreamingHttpResponse
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from openpyxl import load_workbook

from cases.models import Source
from dispatch.exports.services import EXPORT_QUEUE, EXPORT_TASK, export_run, exports_sweep
from dispatch.models import Export, ExportState
from dispatch.pages.selectors import command_case_page
from grids.models import Region
from tests.fixtures.grid import DANSHUI, HUIYANG

pytestmark = pytest.mark.django_db

PHONE = "13812345678"


def client_for(user):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def body(response):
    if isinstance(response, StreamingHttpResponse):
        return b"".join(response.streaming_content)
    return response.content


def csv_rows(response):
    text = body(response).decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


def xlsx_rows(content):
    book = load_workbook(io.BytesIO(content), read_only=True)
    return [[("" if v is None else v) for v in row] for row in book.worksheets[0].iter_rows(values_only=True)]


def huiyang_case(cases, personas, **overrides):
    danshui = Region.objects.filter(parent__code=DANSHUI).order_by("code").first()
    point = Region.objects.get(pk=danshui.pk).geom.point_on_surface
    fields = {
        "actor": personas["operator"],
        "source": Source.HOTLINE_12345,
        "lon": point.x,
        "lat": point.y,
        "address": "惠阳区淡水街道",
        "contact_phone": PHONE,
    }
    return cases.report(**{**fields, **overrides})


@pytest.fixture
def world(cases, personas):
    """Cases in several tabs of 惠城区 and one of 惠阳区 to dispatch, one of them a hotline call with a phone."""
    return {
        "reported": [cases.report(), cases.report()],
        "to_dispatch": [cases.to("to_dispatch"), cases.to("to_dispatch")],
        "hotline": cases.to(
            "to_dispatch",
            case=cases.report(actor=personas["operator"], source=Source.HOTLINE_12345, contact_phone=PHONE),
        ),
        "handling": [cases.to("handling")],
        "huiyang": cases.to("to_dispatch", case=huiyang_case(cases, personas)),
    }


def list_numbers(user, queue, filters=None):
    page = command_case_page(user=user, queue=queue, filters=filters or {}, now=timezone.now(), size=1000)
    return [case.number for case in page.rows]


# ---- the content is the list ----


def test_the_csv_is_streamed_with_a_bom_and_holds_exactly_the_tab(world, personas):
    response = client_for(personas["dispatcher"]).get("/command/export/?format=csv&queue=to_dispatch")
    assert response.status_code == 200
    assert isinstance(response, StreamingHttpResponse)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="cases-command-to_dispatch-')
    rows = csv_rows(response)
    assert rows[0][:3] == ["Case number", "Status", "Category"] and len(rows[0]) == 13
    numbers = [row[0] for row in rows[1:]]
    assert numbers == list_numbers(personas["dispatcher"], "to_dispatch")
    assert len(numbers) == 4 and world["huiyang"].number in numbers
    assert world["reported"][0].number not in numbers and world["handling"][0].number not in numbers


def test_the_csv_follows_the_filters_and_the_command_level(world, personas):
    client = client_for(personas["dispatcher"])
    rows = csv_rows(client.get(f"/command/export/?format=csv&queue=all&region={HUIYANG}"))
    assert [row[0] for row in rows[1:]] == [world["huiyang"].number]
    rows = csv_rows(client.get("/command/export/?format=csv&queue=to_dispatch&q=惠阳区淡水"))
    assert [row[0] for row in rows[1:]] == [world["huiyang"].number]
    rows = csv_rows(client.get("/command/export/?format=csv&queue=all&level=city"))
    city = [row[0] for row in rows[1:]]
    page = command_case_page(user=personas["dispatcher"], queue="all", filters={}, level="city", now=timezone.now())
    assert city == [case.number for case in page.rows]


def test_the_columns_carry_the_labels_of_the_list(world, personas):
    rows = csv_rows(client_for(personas["dispatcher"]).get("/command/export/?format=csv&queue=handling"))
    header, (row,) = rows[0], rows[1:]
    line = dict(zip(header, row, strict=True))
    case = world["handling"][0]
    assert line["Case number"] == case.number
    assert line["Status"] == "Handling" and line["Urgency"] == "Normal"
    assert line["Category"].startswith("E0102 ")
    assert line["Lead department"] == personas["handler_department"].name
    assert line["Traffic light"] in ("Green", "Yellow", "Red") and line["Overdue"] in ("yes", "no")
    assert line["Reported at"] == timezone.localtime(case.created_at).strftime("%Y-%m-%d %H:%M")
    assert line["Stage deadline"] == timezone.localtime(case.stage_deadline).strftime("%Y-%m-%d %H:%M")
    assert line["Source"] == "Grid worker"


def test_the_chinese_export_has_chinese_headers_and_labels(world, personas):
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.force_login(personas["dispatcher"])
    rows = csv_rows(client.get("/command/export/?format=csv&queue=handling"))
    assert rows[0][0] == "案卷编号" and rows[0][-1] == "来电人电话"
    assert rows[1][1] == "处置中"


def test_an_outsiders_export_lacks_the_cases_outside_their_scope(world, personas):
    client = client_for(personas["outsider"])
    rows = csv_rows(client.get("/command/export/?format=csv&queue=all"))
    assert [row[0] for row in rows[1:]] == [world["huiyang"].number]
    content = body(client.get("/command/export/?format=xlsx&queue=all"))
    assert [row[0] for row in xlsx_rows(content)[1:]] == [world["huiyang"].number]


def test_the_callers_phone_is_whole_for_operators_and_masked_for_dispatchers(world, personas):
    number = world["hotline"].number
    for persona, phone in (("operator", PHONE), ("dispatcher", "138****5678")):
        rows = csv_rows(client_for(personas[persona]).get("/command/export/?format=csv&queue=to_dispatch"))
        assert {row[0]: row[-1] for row in rows[1:]}[number] == phone


def test_the_xlsx_holds_the_same_rows_as_the_csv(world, personas):
    client = client_for(personas["dispatcher"])
    response = client.get("/command/export/?format=xlsx&queue=to_dispatch")
    assert response.status_code == 200
    assert isinstance(response, StreamingHttpResponse)  # a FileResponse over the write-only workbook's file
    assert response["Content-Type"].startswith("application/vnd.openxmlformats-officedocument.spreadsheetml")
    assert response["Content-Disposition"].startswith("attachment;")
    as_xlsx = xlsx_rows(body(response))
    as_csv = csv_rows(client.get("/command/export/?format=csv&queue=to_dispatch"))
    assert as_xlsx == as_csv


def test_the_department_export_is_the_board(world, cases, personas):
    client = client_for(personas["handler"])
    rows = csv_rows(client.get("/dept/export/?format=csv"))
    assert [row[0] for row in rows[1:]] == [world["handling"][0].number]
    rows = csv_rows(client_for(personas["street_handler"]).get("/dept/export/?format=csv"))
    assert rows[1:] == []


def test_the_export_keeps_its_query_count_at_3_and_30_rows(cases, personas):
    client = client_for(personas["operator"])

    def queries():
        with CaptureQueriesContext(connection) as captured:
            rows = csv_rows(client.get("/command/export/?format=csv&queue=reported"))
        return len(captured), len(rows) - 1

    for _ in range(3):
        cases.report()
    few = queries()
    for _ in range(27):
        cases.report()
    many = queries()
    assert (few[1], many[1]) == (3, 30)
    assert few[0] == many[0]


# ---- bad input ----


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("format=csv&category=Z99", "Use a class code like E0102 or E01."),
        ("format=csv&created_after=2026-02-01&created_before=2026-01-01", "The end date is before the start date."),
        ("format=pdf", "Choose CSV or XLSX."),
        ("format=csv&queue=nonsense", "Unknown queue."),
        (f"format=csv&region={DANSHUI}9", "No region with this code in your scope."),
    ],
)
def test_a_bad_filter_or_format_is_a_message_in_the_page_not_an_error(world, personas, query, message):
    client = client_for(personas["dispatcher"])
    response = client.get(f"/command/export/?{query}")
    assert response.status_code == 302 and response["Location"].startswith("/command/")
    assert "format=" not in response["Location"]
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert "The export was not made" in page.content.decode() and message in page.content.decode()
    assert not Export.objects.exists()


def test_a_district_dispatcher_cannot_export_another_districts_region(world, personas):
    response = client_for(personas["district_dispatcher"]).get(f"/command/export/?format=csv&region={HUIYANG}")
    assert response.status_code == 302
    assert not Export.objects.exists()


def test_roles_without_the_page_are_sent_home_from_its_export(world, personas):
    for persona, url in (("handler", "/command/export/?format=csv"), ("dispatcher", "/dept/export/?format=csv")):
        response = client_for(personas[persona]).get(url)
        assert response.status_code == 302 and response["Location"] == "/"


# ---- large exports: a background job ----


@pytest.fixture
def small_sync(settings):
    settings.EXPORT_SYNC_MAX_ROWS = 2
    settings.EXPORT_CHUNK_ROWS = 2
    return settings


def test_a_large_export_becomes_a_job_enqueued_after_commit(
    world, personas, small_sync, monkeypatch, django_capture_on_commit_callbacks
):
    sent = []
    monkeypatch.setattr("celery.current_app.send_task", lambda name, **kw: sent.append((name, kw)))
    client = client_for(personas["dispatcher"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.get("/command/export/?format=csv&queue=to_dispatch&before=1&case=5")
    job = Export.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/exports/#export-{job.pk}"
    assert (job.user, job.state, job.format, job.rows_total) == (personas["dispatcher"], "pending", "csv", 4)
    assert job.params == {"queue": ["to_dispatch"]}
    assert sent == [(EXPORT_TASK, {"args": [job.pk], "queue": EXPORT_QUEUE})]
    page = client.get("/exports/").content.decode()
    assert "it is exported in the background" in page
    assert f'hx-get="/exports/{job.pk}/status/"' in page and 'hx-trigger="every 2s"' in page


def test_the_job_writes_the_list_and_its_owner_downloads_it(world, personas, small_sync):
    client = client_for(personas["dispatcher"])
    client.get("/command/export/?format=xlsx&queue=to_dispatch")
    job = Export.objects.get()
    assert export_run(export_id=job.pk) == "done"
    job.refresh_from_db()
    assert (job.state, job.rows_done, job.rows_total, job.attempts) == ("done", 4, 4, 1)
    assert job.expires_at - job.finished_at == timedelta(hours=24)
    status = client.get(f"/exports/{job.pk}/status/").content.decode()
    assert f'href="/exports/{job.pk}/download/"' in status and "hx-trigger" not in status
    response = client.get(f"/exports/{job.pk}/download/")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="cases-command-to_dispatch-')
    numbers = [row[0] for row in xlsx_rows(body(response))[1:]]
    assert numbers == list_numbers(personas["dispatcher"], "to_dispatch")
    assert export_run(export_id=job.pk) == "skipped"  # a second delivery of the task does nothing


def test_only_the_owner_sees_or_downloads_an_export(world, personas, small_sync):
    client_for(personas["dispatcher"]).get("/command/export/?format=csv&queue=to_dispatch")
    job = Export.objects.get()
    export_run(export_id=job.pk)
    for persona in ("operator", "outsider", "leader", "handler"):
        other = client_for(personas[persona])
        assert other.get(f"/exports/{job.pk}/download/").status_code == 404
        assert other.get(f"/exports/{job.pk}/status/").status_code == 404
        assert f"export-{job.pk}" not in other.get("/exports/").content.decode()


def test_a_job_runs_in_the_owners_scope_as_it_is_when_it_runs(world, cases, personas, small_sync):
    client_for(personas["outsider"]).get("/command/export/?format=csv&queue=all")
    assert not Export.objects.exists()  # one case: streamed at once
    for _ in range(2):
        cases.to("to_dispatch", case=huiyang_case(cases, personas))
    client_for(personas["outsider"]).get("/command/export/?format=csv&queue=all")
    job = Export.objects.get()
    export_run(export_id=job.pk)
    job.refresh_from_db()
    text = job.file.open("rb").read().decode("utf-8")
    numbers = [row[0] for row in csv.reader(io.StringIO(text[1:]))][1:]
    assert len(numbers) == 3 and world["huiyang"].number in numbers
    assert not any(case.number in numbers for case in world["to_dispatch"])


def test_a_user_may_have_only_a_few_jobs_waiting(world, personas, small_sync):
    small_sync.EXPORT_MAX_OPEN_PER_USER = 2
    client = client_for(personas["dispatcher"])
    for _ in range(2):
        client.get("/command/export/?format=csv&queue=to_dispatch")
    response = client.get("/command/export/?format=csv&queue=to_dispatch", follow=True)
    assert "You already have 2 exports being prepared" in response.content.decode()
    assert Export.objects.count() == 2


def test_a_job_whose_filters_no_longer_hold_fails_with_the_reason(world, personas, small_sync):
    job = Export.objects.create(
        user=personas["district_dispatcher"],
        surface="command",
        params={"region": [HUIYANG]},
        language="en",
        format="csv",
        created_at=timezone.now(),
    )
    assert export_run(export_id=job.pk) == "failed"
    job.refresh_from_db()
    assert job.state == "failed" and job.error == "The export failed: No region with this code in your scope."
    assert "No region with this code in your scope." in client_for(job.user).get("/exports/").content.decode()


# ---- the sweep: crashes and expiry ----


def _job(user, **fields):
    values = {"surface": "command", "params": {"queue": ["to_dispatch"]}, "format": "csv", "language": "en"}
    values["created_at"] = timezone.now()
    return Export.objects.create(user=user, **{**values, **fields})


def test_the_sweep_runs_a_job_whose_message_was_lost(world, personas, small_sync):
    now = timezone.now()
    fresh = _job(personas["dispatcher"], created_at=now)
    orphan = _job(personas["dispatcher"], created_at=now - timedelta(minutes=2))
    assert exports_sweep(now=now) == {"resumed": 1, "done": 1, "expired": 0}
    orphan.refresh_from_db()
    fresh.refresh_from_db()
    assert orphan.state == "done" and orphan.rows_done == 4
    assert fresh.state == "pending"  # its task is probably still on its way


def test_the_sweep_takes_over_a_job_whose_worker_died(world, personas, small_sync):
    now = timezone.now()
    dead = _job(personas["dispatcher"], state=ExportState.RUNNING, attempts=1, lease_until=now - timedelta(seconds=1))
    alive = _job(personas["dispatcher"], state=ExportState.RUNNING, attempts=1, lease_until=now + timedelta(minutes=4))
    exports_sweep(now=now)
    dead.refresh_from_db()
    alive.refresh_from_db()
    assert (dead.state, dead.attempts, dead.rows_done) == ("done", 2, 4)
    assert (alive.state, alive.attempts) == ("running", 1)


def test_the_sweep_gives_up_after_the_last_attempt(world, personas, small_sync):
    now = timezone.now()
    job = _job(personas["dispatcher"], state=ExportState.RUNNING, attempts=3, lease_until=now - timedelta(seconds=1))
    exports_sweep(now=now)
    job.refresh_from_db()
    assert job.state == "failed" and "stopped 3 times" in job.error


def test_a_run_that_lost_its_lease_to_another_stops_without_finishing(world, personas, small_sync, monkeypatch):
    job = _job(personas["dispatcher"])
    from dispatch.exports import services

    def write_then_lose(job, target, progress, now):
        # Another worker took the job over meanwhile: the claim count is no longer this run's.
        Export.objects.filter(pk=job.pk).update(attempts=job.attempts + 1)
        progress(1)

    monkeypatch.setattr(services, "_write", write_then_lose)
    assert export_run(export_id=job.pk) == "lost"
    job.refresh_from_db()
    assert job.state == "running" and not job.file


def test_expired_files_are_deleted_and_no_longer_served(world, personas, small_sync):
    now = timezone.now()
    job = _job(personas["dispatcher"])
    export_run(export_id=job.pk)
    job.refresh_from_db()
    storage, name = job.file.storage, job.file.name
    assert storage.exists(name)
    kept = _job(personas["dispatcher"], state=ExportState.DONE, expires_at=now + timedelta(hours=48))
    kept.file.save("kept.csv", ContentFile(b"\xef\xbb\xbfx\n"))
    assert exports_sweep(now=job.expires_at + timedelta(seconds=1))["expired"] == 1
    job.refresh_from_db()
    assert job.state == "expired" and not job.file and not storage.exists(name)
    assert client_for(personas["dispatcher"]).get(f"/exports/{job.pk}/download/").status_code == 404
    assert Export.objects.get(pk=kept.pk).state == "done"


def test_the_list_pages_carry_the_export_links_of_their_current_list(world, personas):
    html = client_for(personas["dispatcher"]).get("/command/cases/?queue=handling&region=441302").content.decode()
    assert 'href="/command/export/?format=xlsx&amp;queue=handling&amp;region=441302"' in html
    assert 'href="/command/export/?format=csv&amp;queue=handling&amp;region=441302"' in html
    html = client_for(personas["handler"]).get("/dept/").content.decode()
    assert 'href="/dept/export/?format=csv"' in html and 'href="/exports/"' in html


def test_the_admin_lists_export_jobs_read_only(world, personas, small_sync, admin_client):
    job = _job(personas["dispatcher"])
    export_run(export_id=job.pk)
    assert admin_client.get("/admin/dispatch/export/").status_code == 200
    page = admin_client.get(f"/admin/dispatch/export/{job.pk}/change/")
    assert page.status_code == 200 and "/media/" not in page.content.decode()
    assert admin_client.get("/admin/dispatch/export/add/").status_code == 403


def test_text_that_a_spreadsheet_would_run_as_a_formula_is_written_as_text(cases, personas):
    case = cases.report(address='=HYPERLINK("http://evil.example","点击")')
    client = client_for(personas["operator"])
    rows = csv_rows(client.get("/command/export/?format=csv&queue=reported"))
    assert rows[1][0] == case.number and rows[1][3] == '\'=HYPERLINK("http://evil.example","点击")'
    book = load_workbook(io.BytesIO(body(client.get("/command/export/?format=xlsx&queue=reported"))))
    cell = book.worksheets[0]["D2"]
    assert cell.data_type == "s" and cell.value.startswith("'=")
