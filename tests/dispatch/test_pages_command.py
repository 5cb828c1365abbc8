"""The command centre's pages (/command/): who may open them, scope, queues, the panel's actions, query counts."""

import re
from datetime import timedelta

import pytest
from django.contrib.gis.geos import MultiPolygon, Point
from django.contrib.gis.geos import Polygon as GEOSPolygon
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.scope import user_scope
from cases.models import Case, Status
from dispatch.pages.selectors import QUEUES, command_queue_counts
from grids.models import Region
from tests.fixtures.cases import jpeg_upload

pytestmark = pytest.mark.django_db


def client_for(user):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    if user is not None:
        client.force_login(user)
    return client


def count_queries(client, url, status=200):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == status, response.content[:500]
    return len(queries), response


def panel_actions(response):
    return set(re.findall(r'data-action="([a-z_]+)"', response.content.decode()))


# ---- who may open it ----


def test_anonymous_users_are_sent_to_sign_in(db):
    response = client_for(None).get("/command/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("persona", ["operator", "shift_lead", "dispatcher", "leader"])
def test_the_command_roles_open_the_command_centre(personas, persona):
    response = client_for(personas[persona]).get("/command/")
    assert response.status_code == 200
    assert 'role="tablist"' in response.content.decode()


@pytest.mark.parametrize("persona", ["handler", "grid_worker"])
def test_other_roles_are_sent_home_from_the_page_and_refused_the_partials(personas, persona):
    client = client_for(personas[persona])
    response = client.get("/command/")
    assert response.status_code == 302 and response["Location"] == "/"
    assert client.get("/command/counts/").status_code == 403
    assert client.get("/command/cases/").status_code == 403
    assert client.get("/command/map/cases/?bbox=114,22.5,115,23.5").status_code == 403


# ---- scope ----


def test_an_outsider_gets_404_on_the_panel_of_a_huicheng_case(cases, personas):
    case = cases.to("to_dispatch")
    client = client_for(personas["outsider"])
    assert client.get(f"/command/cases/{case.pk}/").status_code == 404
    response = client.post(f"/command/cases/{case.pk}/actions/dispatch/", {"lead_department": "x"})
    assert response.status_code == 404
    assert Case.objects.get(pk=case.pk).status == Status.TO_DISPATCH


def test_an_outsider_counts_lists_and_maps_nothing_of_huicheng(cases, personas):
    case = cases.to("to_dispatch")
    client = client_for(personas["outsider"])
    counts = client.get("/command/counts/").json()["counts"]
    assert counts["to_dispatch"] == 0 and counts["all"] == 0
    assert case.number not in client.get("/command/cases/?queue=all").content.decode()
    markers = client.get("/command/map/cases/?bbox=113,22,116,24").json()["cases"]
    assert markers == []


def test_grid_boundaries_are_only_those_in_scope_and_simplified(personas, huizhou_grid):
    client = client_for(personas["district_dispatcher"])
    response = client.get("/command/map/grids/?level=district&bbox=113,22,116,24")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/geo+json"
    features = response.json()["features"]
    assert [f["properties"]["code"] for f in features] == ["441302"]
    vertices = sum(len(ring) for polygon in features[0]["geometry"]["coordinates"] for ring in polygon)
    assert vertices < huizhou_grid.huicheng.geom.num_points
    streets = client.get("/command/map/grids/?level=street&bbox=113,22,116,24").json()["features"]
    assert streets and all(f["properties"]["code"].startswith("441302") for f in streets)
    assert client.get("/command/map/grids/?level=street&bbox=1,2,3").status_code == 400
    assert client.get("/command/map/grids/?level=planet&bbox=113,22,116,24").status_code == 400


def test_grid_labels_sit_at_a_point_inside_each_polygon(personas, huizhou_grid):
    client = client_for(personas["dispatcher"])
    # A crescent: the middle of its box (and its centroid) lies in the bite, outside the street.
    street = Region.objects.filter(level="street", code__startswith="441302").order_by("code").first()
    crescent = MultiPolygon(
        GEOSPolygon(((114.40, 23.10), (114.46, 23.10), (114.46, 23.16), (114.40, 23.16), (114.40, 23.15),
                     (114.45, 23.15), (114.45, 23.11), (114.40, 23.11), (114.40, 23.10))),
        srid=4326,
    )  # fmt: skip
    Region.objects.filter(pk=street.pk).update(geom=crescent)
    assert not crescent.covers(crescent.centroid) and not crescent.covers(crescent.envelope.centroid)
    for level in ("district", "street"):
        features = client.get(f"/command/map/grids/?level={level}&bbox=113,22,116,24").json()["features"]
        assert features
        for feature in features:
            region = Region.objects.get(code=feature["properties"]["code"])
            lon, lat = feature["properties"]["label"]
            assert region.geom.buffer(0.00002).covers(Point(lon, lat, srid=4326)), feature["properties"]["name"]


def test_case_markers_carry_their_light_and_stay_inside_the_box(cases, personas):
    case = cases.to("to_dispatch")
    client = client_for(personas["dispatcher"])
    box = f"{cases.lon - 0.01},{cases.lat - 0.01},{cases.lon + 0.01},{cases.lat + 0.01}"
    markers = client.get(f"/command/map/cases/?bbox={box}&queue=to_dispatch").json()["cases"]
    assert [(m["id"], m["light"]) for m in markers] == [(case.pk, "green")]
    far = client.get("/command/map/cases/?bbox=115,23,115.1,23.1").json()["cases"]
    assert far == []


def test_beyond_the_marker_limit_the_map_counts_every_case_per_area(cases, personas, monkeypatch):
    reported = [cases.report(lon=cases.lon + i * 0.0004, description=f"垃圾堆 {i}") for i in range(3)]
    box = f"{cases.lon - 0.01},{cases.lat - 0.01},{cases.lon + 0.01},{cases.lat + 0.01}"
    url = f"/command/map/cases/?bbox={box}&queue=reported"
    client = client_for(personas["dispatcher"])
    below = client.get(url).json()
    assert sorted(m["id"] for m in below["cases"]) == sorted(c.pk for c in reported)
    assert below["cells"] == [] and below["total"] == 3

    monkeypatch.setattr("dispatch.pages.command.MAP_MARKERS", 2)
    above = client.get(url).json()
    assert above["cases"] == [] and above["total"] == 3
    assert sum(cell["count"] for cell in above["cells"]) == 3
    # Every case has a running acceptance clock, just started: all green, counted where they lie.
    assert sum(cell["green"] for cell in above["cells"]) == 3
    assert all(cell["red"] == cell["yellow"] == 0 for cell in above["cells"])
    for cell in above["cells"]:
        assert (
            cases.lon - 0.01 <= cell["lon"] <= cases.lon + 0.01 and cases.lat - 0.01 <= cell["lat"] <= cases.lat + 0.01
        )
    # Outside the box, and outside the user's scope, nothing is counted.
    assert client.get("/command/map/cases/?bbox=115,23,115.1,23.1&queue=reported").json()["total"] == 0
    outsider = client_for(personas["outsider"]).get(url)
    assert outsider.status_code in (200, 403)
    if outsider.status_code == 200:
        assert outsider.json()["total"] == 0


def test_photos_are_served_only_to_those_who_see_the_case(cases, personas):
    case = cases.report(photos=[jpeg_upload()])
    photo = case.photos.get()
    inside = client_for(personas["operator"])
    response = inside.get(f"/photos/{photo.pk}/thumbnail/")
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    assert b"".join(response.streaming_content)[:2] == b"\xff\xd8"
    assert client_for(personas["outsider"]).get(f"/photos/{photo.pk}/").status_code == 404


# ---- queues, filters, pages ----


def test_the_counts_are_one_aggregate_query(cases, personas, django_assert_num_queries):
    cases.to("to_dispatch")
    cases.to("handling")
    cases.report()
    user = personas["dispatcher"]
    user_scope(user)  # the postings are read once per request, before any count
    with django_assert_num_queries(1):
        counts = command_queue_counts(user=user, now=timezone.now())
    assert set(counts) == {q.key for q in QUEUES}
    assert (counts["all"], counts["to_dispatch"], counts["handling"], counts["reported"]) == (3, 1, 1, 1)


def test_a_queue_tab_lists_its_cases_and_the_filters_narrow_it(cases, personas):
    waiting = cases.to("to_dispatch")
    other = cases.report(description="桥下 积水", address="惠城区桥东街道水门路")
    client = client_for(personas["dispatcher"])
    body = client.get("/command/cases/?queue=to_dispatch").content.decode()
    assert waiting.number in body and other.number not in body
    assert other.number in client.get("/command/cases/?queue=reported").content.decode()
    assert other.number in client.get("/command/cases/?queue=all&q=水门路").content.decode()
    assert waiting.number not in client.get("/command/cases/?queue=all&q=水门路").content.decode()
    assert waiting.number in client.get(f"/command/cases/?q={waiting.number}").content.decode()
    assert waiting.number not in client.get("/command/cases/?category=C01").content.decode()
    assert waiting.number in client.get("/command/cases/?category=E0102&region=441302").content.decode()
    assert waiting.number not in client.get("/command/cases/?region=441303").content.decode()
    bad = client.get("/command/cases/?created_after=2026-02-01&created_before=2026-01-01").content.decode()
    assert "The end date is before the start date." in bad


def _rows(body):
    return [int(pk) for pk in re.findall(r'class="case-row [^"]*" href="\?case=(\d+)"', body)]


def test_the_list_pages_with_a_keyset_cursor_in_deadline_order(cases, personas):
    made = [cases.report() for _ in range(27)]
    now = timezone.now()
    # Deadlines out of step with the ids, ties among them, and two cases without a running clock.
    for index, case in enumerate(made):
        deadline = None if index in (3, 20) else now + timedelta(hours=(index * 7) % 5 - 2)
        Case.objects.filter(pk=case.pk).update(stage_deadline=deadline)
    expected = [
        c.pk
        for c in sorted(
            Case.objects.filter(pk__in=[c.pk for c in made]),
            key=lambda c: (c.stage_deadline is None, c.stage_deadline or now, -c.pk),
        )
    ]
    client = client_for(personas["operator"])
    first = client.get("/command/cases/?queue=reported").content.decode()
    assert _rows(first) == expected[:25]
    cursor = re.search(r"cursor=((?:-|-?\d+)\.\d+)", first).group(1)
    rest = client.get(f"/command/cases/?queue=reported&cursor={cursor}").content.decode()
    assert _rows(rest) == expected[25:]
    assert "cursor=" not in rest


def test_the_page_boundary_may_fall_among_cases_without_a_clock(cases, personas):
    made = [cases.report() for _ in range(28)]
    Case.objects.filter(pk__in=[c.pk for c in made[:4]]).update(stage_deadline=None)
    client = client_for(personas["operator"])
    first = client.get("/command/cases/?queue=reported&size=25").content.decode()
    cursor = re.search(r"cursor=((?:-|-?\d+)\.\d+)", first).group(1)
    assert cursor.startswith("-.")
    rest = _rows(client.get(f"/command/cases/?queue=reported&cursor={cursor}").content.decode())
    assert rest == [made[2].pk, made[1].pk, made[0].pk]
    assert set(_rows(first)) | set(rest) == {c.pk for c in made}


def test_the_overdue_queue_shows_the_longest_overdue_first(cases, personas):
    now = timezone.now()
    a, b, c = (cases.report() for _ in range(3))
    for case, hours in ((a, -1), (b, -30), (c, -5)):
        Case.objects.filter(pk=case.pk).update(stage_deadline=now + timedelta(hours=hours), overdue=True)
    body = client_for(personas["operator"]).get("/command/cases/?queue=overdue").content.decode()
    assert _rows(body) == [b.pk, c.pk, a.pk]


@pytest.mark.parametrize(
    "cursor", ["abc", "1.x", "-.", "99999999999999999999999.1", "5", "².1", "1.²", "1.99999999999999999999", "1.1.1"]
)
def test_a_broken_cursor_is_said_in_words_and_shows_the_first_page(cases, personas, cursor):
    case = cases.report()
    response = client_for(personas["operator"]).get(f"/command/cases/?queue=reported&cursor={cursor}")
    assert response.status_code == 200
    body = response.content.decode()
    assert "This page link is out of date" in body and case.number in body


def test_the_live_refresh_may_ask_for_the_rows_already_paged_through(cases, personas):
    [cases.report() for _ in range(30)]
    client = client_for(personas["operator"])
    assert len(_rows(client.get("/command/cases/?queue=reported&size=30").content.decode())) == 30
    body = client.get("/command/cases/?queue=reported&size=100000").content.decode()
    assert "Ensure this value is less than or equal to 200" in body


def test_the_list_and_the_page_keep_their_query_count_at_3_and_30_cases(cases, personas):
    client = client_for(personas["dispatcher"])
    made = [cases.to("to_dispatch") for _ in range(3)]
    list_few, _ = count_queries(client, "/command/cases/?queue=all")
    page_few, _ = count_queries(client, "/command/")
    made += [cases.to("to_dispatch") for _ in range(27)]
    list_many, response = count_queries(client, "/command/cases/?queue=all")
    page_many, _ = count_queries(client, "/command/")
    assert response.content.decode().count('class="case-row ') == 25
    assert (list_few, page_few) == (list_many, page_many)


def test_the_panel_keeps_its_query_count_at_3_and_30_cases_and_a_longer_history(cases, personas):
    client = client_for(personas["dispatcher"])
    made = [cases.to("handling") for _ in range(3)]
    few, _ = count_queries(client, f"/command/cases/{made[0].pk}/")
    made += [cases.to("handling") for _ in range(27)]
    case = cases.to("checking", case=made[-1])
    case = cases.act(case, "grid_worker", "check", passed=False, note="仍有垃圾")
    many, _ = count_queries(client, f"/command/cases/{case.pk}/")
    assert few == many


# ---- the panel: exactly the allowed actions, errors in the page ----


def test_the_panel_offers_exactly_the_actions_the_user_may_take(cases, personas):
    case = cases.to("to_dispatch")
    dispatcher = client_for(personas["dispatcher"]).get(f"/command/cases/{case.pk}/", HTTP_HX_REQUEST="true")
    assert panel_actions(dispatcher) == {"dispatch", "request_void"}
    operator = client_for(personas["operator"]).get(f"/command/cases/{case.pk}/", HTTP_HX_REQUEST="true")
    assert panel_actions(operator) == {"request_void"}
    leader = client_for(personas["leader"]).get(f"/command/cases/{case.pk}/", HTTP_HX_REQUEST="true")
    assert panel_actions(leader) == set()
    body = dispatcher.content.decode()
    assert case.number in body and "Timeline" in body and "left" in body


def test_dispatching_from_the_panel_moves_the_case_and_announces_the_change(cases, personas):
    case = cases.to("to_dispatch")
    client = client_for(personas["dispatcher"])
    code = personas["handler_department"].code
    response = client.post(
        f"/command/cases/{case.pk}/actions/dispatch/",
        {"lead_department": code, "note": "请尽快处理"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert response["HX-Trigger"] == "cityops:case-changed"
    assert "Done: Dispatch." in response.content.decode()
    case.refresh_from_db()
    assert (case.status, case.lead_department.code) == (Status.HANDLING, code)


def test_a_missing_field_comes_back_as_a_message_next_to_it(cases, personas):
    case = cases.to("to_dispatch")
    client = client_for(personas["dispatcher"])
    response = client.post(f"/command/cases/{case.pk}/actions/dispatch/", {"note": ""}, HTTP_HX_REQUEST="true")
    assert response.status_code == 422
    body = response.content.decode()
    assert "Choose the lead department." in body
    assert 'id="dispatch-lead_department-err"' in body and 'aria-invalid="true"' in body
    assert Case.objects.get(pk=case.pk).status == Status.TO_DISPATCH


def test_an_action_on_a_case_someone_else_moved_answers_409_with_the_case_reloaded(cases, personas):
    case = cases.report()
    client = client_for(personas["operator"])
    cases.act(case, "operator", "accept")
    response = client.post(f"/command/cases/{case.pk}/actions/accept/", {}, HTTP_HX_REQUEST="true")
    assert response.status_code == 409
    body = response.content.decode()
    assert "Someone else changed this case" in body
    assert 'data-status="to_register"' in body


def test_without_javascript_an_action_redirects_back_to_the_page(cases, personas):
    case = cases.report()
    response = client_for(personas["operator"]).post(f"/command/cases/{case.pk}/actions/accept/", {})
    assert response.status_code == 302
    assert response["Location"] == f"/command/?case={case.pk}"
    page = client_for(personas["operator"]).get(response["Location"])
    assert f'data-case="{case.pk}"' in page.content.decode()


def test_registering_offers_the_categorys_filing_conditions(cases, personas):
    case = cases.to("to_register")
    client = client_for(personas["shift_lead"])
    body = client.get(f"/command/cases/{case.pk}/", HTTP_HX_REQUEST="true").content.decode()
    assert f'<option value="{cases.condition.pk}"' in body
    response = client.post(
        f"/command/cases/{case.pk}/actions/register/",
        {"filing_condition": cases.condition.pk, "urgency": "urgent"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    case.refresh_from_db()
    assert (case.status, case.urgency) == (Status.TO_DISPATCH, "urgent")


def test_sending_for_check_offers_the_grid_workers_of_the_case(cases, personas):
    case = cases.to("to_check")
    client = client_for(personas["operator"])
    body = client.get(f"/command/cases/{case.pk}/", HTTP_HX_REQUEST="true").content.decode()
    assert f'<option value="{personas["grid_worker"].username}"' in body
    response = client.post(
        f"/command/cases/{case.pk}/actions/request_check/",
        {"assignee": personas["grid_worker"].username},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert Case.objects.get(pk=case.pk).status == Status.CHECKING


def test_the_calendar_banner_shows_when_holidays_are_missing(personas, monkeypatch):
    from dispatch.pages import command

    monkeypatch.setattr(
        command, "calendar_coverage_warning_for", lambda *a, **kw: "The 2099 holiday schedule is missing"
    )
    body = client_for(personas["dispatcher"]).get("/command/").content.decode()
    assert "The 2099 holiday schedule is missing" in body and 'class="banner banner-warning"' in body


def test_a_leader_issues_a_supervision_order_from_the_panel(cases, personas):
    from dispatch.models import SupervisionOrder

    case = cases.to("handling")
    leader = client_for(personas["leader"])
    body = leader.get(f"/command/cases/{case.pk}/", HTTP_HX_REQUEST="true").content.decode()
    assert "data-order-form" in body
    assert (
        "data-order-form" not in client_for(personas["dispatcher"]).get(f"/command/cases/{case.pk}/").content.decode()
    )
    url = f"/command/cases/{case.pk}/orders/"
    response = leader.post(url, {"note": "", "reply_hours": "4"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 422 and 'id="order-note-err"' in response.content.decode()
    response = leader.post(url, {"note": "请今日内处理", "reply_hours": "4", "formal": "on"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    order = SupervisionOrder.objects.get(case=case)
    assert (order.note, order.formal) == ("请今日内处理", True)
    counts = leader.get("/command/counts/").json()["counts"]
    assert counts["supervised"] == 1
    assert client_for(personas["dispatcher"]).post(url, {"note": "x", "reply_hours": "4"}).status_code == 403


def _options(body, select_id):
    select = re.search(rf'<select id="{select_id}"[^>]*>(.*?)</select>', body, re.S).group(1)
    return re.findall(r'<option value="([^"]*)"( selected)?>([^<]*)</option>', select)


def test_the_filters_offer_the_users_own_regions_and_departments_and_keep_the_choice(personas, huizhou_grid):
    from cases.models import Category
    from grids.models import Department

    Category.objects.filter(kind="E", code="0102").update(name="<b>暴露垃圾</b>")
    body = client_for(personas["district_dispatcher"]).get("/command/?region=441302&category=E0102").content.decode()
    regions = _options(body, "f-region")
    offered = {code for code, _, _ in regions if code}
    in_scope = set(Region.objects.visible_to(personas["district_dispatcher"]).values_list("code", flat=True))
    assert "441302" in offered and offered <= in_scope and "441303" not in offered
    assert [code for code, selected, _ in regions if selected] == ["441302"]
    streets = [label for code, _, label in regions if len(code) == 9]
    assert streets and all(label.startswith("\u3000") for label in streets)
    categories = _options(body, "f-category")
    assert [(code, label) for code, selected, label in categories if selected] == [
        ("E0102", "\u3000E0102 &lt;b&gt;暴露垃圾&lt;/b&gt;")
    ]
    departments = {code for code, _, _ in _options(body, "f-department") if code}
    visible = set(Department.objects.visible_to(personas["district_dispatcher"]).values_list("code", flat=True))
    assert departments and departments <= visible


def test_a_city_dispatcher_filters_by_the_city_and_a_department(personas, huizhou_grid):
    body = client_for(personas["dispatcher"]).get("/command/?department=city-urban-management").content.decode()
    regions = _options(body, "f-region")
    assert regions[1][0] == "4413" and not regions[1][2].startswith("\u3000")  # the city first, not indented
    assert not any(selected for _, selected, _ in regions)
    departments = _options(body, "f-department")
    assert [code for code, selected, _ in departments if selected] == ["city-urban-management"]
