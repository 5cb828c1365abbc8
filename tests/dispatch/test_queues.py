"""Two-level command queues: the city's and each district's, scoped like everything else (404 outside)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cases.models import Status
from dispatch.models import CaseRouting, CommandLevel
from dispatch.selectors import dispatch_queue_for_user
from dispatch.services.routing import routing_escalate_to_city
from tests.dispatch.test_routing import file_case, make_rule

QUEUE = "/api/v1/dispatch/queue/"
HUIYANG_COMMUNITY = "441303001001"


@pytest.fixture
def rules(huizhou_departments):
    """E0101 by each district (no auto-dispatch), E0401 by the city, E0102 to the street office (no auto here)."""
    make_rule("E0101", region="441302", lead="huicheng-urban-management")
    make_rule("E0101", region="441303", lead="huiyang-urban-management")
    make_rule("E0401", lead="city-municipal-gardens", assisting=["city-emergency-management"], level="city")


@pytest.fixture
def filed(cases, catalogue, rules, django_capture_on_commit_callbacks):
    """`filed("E0101", where=None)`: a case filed through the real services, routed after commit."""

    def make(code="E0101", where=None):
        return file_case(cases, catalogue, code, capture=django_capture_on_commit_callbacks, where=where)

    return make


def ids(qs):
    return [c.pk for c in qs]


def test_the_district_dispatcher_sees_the_district_queue_of_their_district_only(filed, personas):
    mine, city_level, huiyang = filed("E0101"), filed("E0401"), filed("E0101", where=HUIYANG_COMMUNITY)
    queue = ids(dispatch_queue_for_user(user=personas["district_dispatcher"]))
    assert queue == [mine.pk]
    assert huiyang.pk not in queue and city_level.pk not in queue


def test_the_city_dispatcher_sees_the_city_queue_and_every_district_queue_on_request(filed, personas, huizhou_grid):
    huicheng, city_level, huiyang = filed("E0101"), filed("E0401"), filed("E0101", where=HUIYANG_COMMUNITY)
    city = personas["dispatcher"]
    assert ids(dispatch_queue_for_user(user=city)) == [city_level.pk]
    assert ids(dispatch_queue_for_user(user=city, level="district")) == [huicheng.pk, huiyang.pk]
    one = dispatch_queue_for_user(user=city, level="district", region=huizhou_grid.huiyang)
    assert ids(one) == [huiyang.pk]


def test_an_escalated_case_moves_from_the_district_queue_to_the_city_queue(filed, personas):
    case = filed("E0101")
    routing_escalate_to_city(case_id=case.pk)
    assert ids(dispatch_queue_for_user(user=personas["district_dispatcher"])) == []
    assert ids(dispatch_queue_for_user(user=personas["dispatcher"])) == [case.pk]


def test_a_case_never_routed_waits_in_its_district_queue(cases, personas, rules):
    case = cases.to("to_dispatch")  # on_commit receivers did not run: no routing row
    assert not CaseRouting.objects.filter(case=case).exists()
    assert ids(dispatch_queue_for_user(user=personas["district_dispatcher"])) == [case.pk]


def test_dispatched_cases_leave_the_queue(filed, cases, personas):
    case = filed("E0101")
    cases.act(case, "district_dispatcher", "dispatch", lead_department="huicheng-urban-management")
    assert ids(dispatch_queue_for_user(user=personas["district_dispatcher"])) == []


# ---- API ----


def test_the_queue_endpoint_lists_cases_with_their_proposal(filed, personas, api_client_for):
    case = filed("E0101")
    response = api_client_for(personas["district_dispatcher"]).get(QUEUE)
    assert response.status_code == 200
    (row,) = response.json()["results"]
    assert row["id"] == case.pk and row["status"] == Status.TO_DISPATCH
    assert row["routing"]["level"] == CommandLevel.DISTRICT
    assert row["routing"]["lead_department"] == {
        "code": "huicheng-urban-management",
        "name": "惠州市惠城区城市管理和综合执法局",
    }
    assert row["routing"]["auto_dispatch"] is False and row["routing"]["stored"] is True


def test_the_city_queue_shows_assisting_departments(filed, personas, api_client_for):
    filed("E0401")
    response = api_client_for(personas["dispatcher"]).get(QUEUE, {"level": "city"})
    (row,) = response.json()["results"]
    assert row["routing"]["lead_department"]["code"] == "city-municipal-gardens"
    assert [d["code"] for d in row["routing"]["assisting_departments"]] == ["city-emergency-management"]


def test_a_district_dispatcher_may_not_read_the_city_queue(filed, personas, api_client_for):
    response = api_client_for(personas["district_dispatcher"]).get(QUEUE, {"level": "city"})
    assert response.status_code == 403


@pytest.mark.parametrize("persona", ["operator", "grid_worker", "handler"])
def test_people_who_do_not_dispatch_have_no_queue(persona, personas, api_client_for):
    assert api_client_for(personas[persona]).get(QUEUE).status_code == 403


def test_anonymous_callers_are_asked_to_sign_in(api_client_for, db):
    assert api_client_for().get(QUEUE).status_code == 401


def test_a_bad_level_or_a_region_out_of_scope_is_a_400(personas, api_client_for, huizhou_grid):
    client = api_client_for(personas["district_dispatcher"])
    assert client.get(QUEUE, {"level": "province"}).status_code == 400
    response = client.get(QUEUE, {"level": "district", "region": huizhou_grid.HUIYANG})
    assert response.status_code == 400 and "region" in response.json()


def test_the_queue_is_cursor_paginated_oldest_first(filed, personas, api_client_for):
    cases = [filed("E0101") for _ in range(3)]
    client = api_client_for(personas["district_dispatcher"])
    first = client.get(QUEUE, {"page_size": 2}).json()
    assert [r["id"] for r in first["results"]] == [cases[0].pk, cases[1].pk] and first["next"]
    second = client.get(first["next"]).json()
    assert [r["id"] for r in second["results"]] == [cases[2].pk] and second["next"] is None


def test_the_queue_costs_the_same_queries_for_3_and_30_cases(filed, personas, api_client_for):
    client = api_client_for(personas["district_dispatcher"])

    def count():
        with CaptureQueriesContext(connection) as queries:
            response = client.get(QUEUE, {"page_size": 50})
        assert response.status_code == 200
        return len(queries), len(response.json()["results"])

    for _ in range(3):
        filed("E0101")
    at_3, rows = count()
    assert rows == 3
    for _ in range(27):
        filed("E0101")
    at_30, rows = count()
    # session, user, postings (scope), cases, their proposals' assisting departments, session save (3 statements)
    assert rows == 30 and at_30 == at_3 <= 8


# ---- one case's routing ----


def test_the_routing_of_a_case_shows_the_proposal_and_level(filed, personas, api_client_for):
    case = filed("E0401")
    response = api_client_for(personas["dispatcher"]).get(f"/api/v1/cases/{case.pk}/routing/")
    assert response.status_code == 200
    body = response.json()
    assert body["level"] == "city" and body["lead_department"]["code"] == "city-municipal-gardens"
    assert body["stored"] is True and body["rule"] is not None and body["escalated"] is False


def test_a_case_not_filed_yet_shows_the_proposal_it_would_get(cases, catalogue, personas, rules, api_client_for):
    case = cases.report(category=catalogue.category("E0101"))
    body = api_client_for(personas["district_dispatcher"]).get(f"/api/v1/cases/{case.pk}/routing/").json()
    assert body["stored"] is False and body["lead_department"]["code"] == "huicheng-urban-management"


def test_the_routing_of_a_case_out_of_scope_is_a_404(filed, personas, api_client_for):
    huicheng = filed("E0101")
    huiyang = filed("E0101", where=HUIYANG_COMMUNITY)
    outsider = api_client_for(personas["outsider"])
    assert outsider.get(f"/api/v1/cases/{huicheng.pk}/routing/").status_code == 404
    assert outsider.get(f"/api/v1/cases/{huiyang.pk}/routing/").status_code == 200
    district = api_client_for(personas["district_dispatcher"])
    assert district.get(f"/api/v1/cases/{huiyang.pk}/routing/").status_code == 404
    assert district.get("/api/v1/cases/999999999/routing/").status_code == 404


def test_the_outsider_sees_only_the_huiyang_queue(filed, personas):
    huicheng, huiyang = filed("E0101"), filed("E0101", where=HUIYANG_COMMUNITY)
    queue = ids(dispatch_queue_for_user(user=personas["outsider"]))
    assert queue == [huiyang.pk] and huicheng.pk not in queue
