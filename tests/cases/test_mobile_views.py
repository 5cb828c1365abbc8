"""The grid workers' mobile pages (/m/): who may open them, what they list, the service worker and the manifest."""

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Role
from grids.models import Region
from tests.factories.accounts import user_posted
from tests.fixtures.grid import QIAODONG_COMMUNITY

pytestmark = pytest.mark.django_db


def _config(response):
    html = response.content.decode()
    start = html.index('<script id="m-config" type="application/json">') + len(
        '<script id="m-config" type="application/json">'
    )
    return json.loads(html[start : html.index("</script>", start)])


@pytest.fixture
def second_worker(huizhou_grid):
    """Another grid worker of the same community."""
    region = Region.objects.defer("geom").get(code=QIAODONG_COMMUNITY)
    return user_posted(username="p-gridworker-2", role=Role.GRID_WORKER, region=region)


def _verification_task(cases, assignee, **report):
    case = cases.report(source="public", actor=cases.p["operator"], contact_name="李先生", **report)
    return cases.act(case, "operator", "request_verification", assignee=assignee.username)


def test_a_grid_worker_gets_the_report_form_with_their_grid_and_the_catalogue(client, grid_worker, cases):
    client.force_login(grid_worker)
    response = client.get(reverse("mobile-report"))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="report-form"' in html
    assert 'capture="environment"' in html
    config = _config(response)
    assert config["user"] == grid_worker.username
    assert config["api"]["cases"] == "/api/v1/cases/"
    assert config["api"]["transitions"] == "/api/v1/cases/{id}/transitions/"
    assert [o["code"] for o in config["outlines"]] == [QIAODONG_COMMUNITY]
    assert config["outlines"][0]["geometry"]["type"] in ("Polygon", "MultiPolygon")
    assert config["maxPhotos"] == 6 and config["photoMaxSide"] == 1600
    assert '"code": "E0102"' in html and '"initials": "bllj"' in html  # the picker works offline too
    assert 'rel="manifest"' in html


def test_an_anonymous_visitor_is_sent_to_the_login(client, huizhou_grid):
    response = client.get(reverse("mobile-report"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("name", ["mobile-report", "mobile-tasks", "mobile-reports"])
def test_an_operator_gets_a_clear_message_instead_of_the_mobile_pages(client, operator, name):
    client.force_login(operator)
    response = client.get(reverse(name), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 403
    html = response.content.decode()
    assert "The mobile report form is for grid workers" in html
    assert "Operator" in html
    assert 'id="report-form"' not in html


def test_the_task_list_shows_only_this_workers_verification_and_check_tasks(client, grid_worker, second_worker, cases):
    mine_verify = _verification_task(cases, grid_worker, description="人行道堆放杂物")
    theirs = _verification_task(cases, second_worker, description="另一名网格员的任务")
    mine_check = cases.to("checking")  # assigned to grid_worker by request_check
    reported = cases.report(description="尚未派出核实任务")
    client.force_login(grid_worker)
    response = client.get(reverse("mobile-tasks"))
    assert response.status_code == 200
    html = response.content.decode()
    assert mine_verify.number in html and mine_check.number in html
    assert theirs.number not in html and reported.number not in html
    assert 'data-action="verify"' in html and 'data-action="check"' in html
    assert response.context["task_count"] == 2


def test_a_check_task_shows_the_before_and_after_photos_side_by_side(client, grid_worker, cases, photo):
    case = cases.to("checking", case=cases.report(photos=[photo("before.jpg", colour=(200, 40, 40))]))
    client.force_login(grid_worker)
    response = client.get(reverse("mobile-tasks"))
    (task,) = response.context["tasks"]
    assert task["case"].pk == case.pk
    assert [p.kind for p in task["before"]] == ["before"]
    assert [p.kind for p in task["after"]] == ["after"]
    html = response.content.decode()
    assert html.count('class="m-compare-col"') == 2
    # Through the scoped photo views, never the storage's own URL.
    for photo in (task["before"][0], task["after"][0]):
        assert reverse("case-photo-thumbnail", args=[photo.pk]) in html
        assert reverse("case-photo", args=[photo.pk]) in html
        assert photo.thumbnail.url not in html


def _queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_the_task_list_takes_the_same_number_of_queries_for_3_and_30_tasks(client, grid_worker, cases, photo):
    client.force_login(grid_worker)
    for _ in range(3):
        _verification_task(cases, grid_worker, photos=[photo()])
    few = _queries(client, reverse("mobile-tasks"))
    for _ in range(27):
        _verification_task(cases, grid_worker, photos=[photo()])
    assert _queries(client, reverse("mobile-tasks")) == few


def test_my_reports_lists_only_my_own_reports_with_status_and_light(client, grid_worker, second_worker, cases):
    mine = cases.report(description="我的上报")
    other = cases.report(actor=second_worker, description="别人的上报")
    client.force_login(grid_worker)
    response = client.get(reverse("mobile-reports"), HTTP_ACCEPT_LANGUAGE="en")
    html = response.content.decode()
    assert mine.number in html and other.number not in html
    assert "m-chip-reported" in html and "m-light-green" in html
    assert 'id="outbox"' in html  # reports still waiting on the phone are listed here too


def test_my_reports_takes_the_same_number_of_queries_for_3_and_30_reports(client, grid_worker, cases):
    client.force_login(grid_worker)
    for _ in range(3):
        cases.report()
    few = _queries(client, reverse("mobile-reports"))
    for _ in range(27):
        cases.report()
    assert _queries(client, reverse("mobile-reports")) == few


def test_my_reports_pages_by_keyset(client, grid_worker, cases):
    reports = [cases.report(description=f"上报 {i}") for i in range(31)]
    client.force_login(grid_worker)
    first = client.get(reverse("mobile-reports"))
    assert first.context["next_before"] == reports[1].pk
    second = client.get(reverse("mobile-reports"), {"before": first.context["next_before"]})
    assert [item["case"].pk for item in second.context["reports"]] == [reports[0].pk]
    assert client.get(reverse("mobile-reports"), {"before": "x"}).status_code == 404


def test_the_service_worker_is_served_from_m_with_its_scope_and_shell(client, db):
    response = client.get(reverse("mobile-sw"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert response["Service-Worker-Allowed"] == "/m/"
    assert "no-cache" in response["Cache-Control"]
    body = response.content.decode()
    shell = json.loads(body.split("\n", 1)[0].removeprefix("self.CITYOPS_SHELL = ").rstrip(";"))
    assert "/static/leaflet/leaflet.js" in shell["static"] and "/static/mobile/app.js" in shell["static"]
    assert shell["pages"] == ["/m/", "/m/tasks/", "/m/reports/", "/m/patrols/"]
    assert len(shell["version"]) == 16
    assert shell["photoPrefix"] == "/photos/"  # thumbnails kept offline come from the scoped views
    assert 'addEventListener("fetch"' in body


def test_the_manifest_opens_the_report_form(client, db):
    response = client.get(reverse("mobile-manifest"), HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response["Content-Type"].startswith("application/manifest+json")
    data = json.loads(response.content)
    assert data["start_url"] == "/m/" and data["scope"] == "/m/"
    assert data["icons"][0]["src"] == "/static/mobile/icon.svg"
