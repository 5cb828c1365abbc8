"""The issue's demo statement, end to end on the seeded responsibility list: a case filed in 桥东街道 for a category
with auto-dispatch lands with the right department; one without lands in the 惠城区 dispatcher's queue with a proposal.
"""

import pytest

from cases.models import Status
from dispatch import demo
from dispatch.models import ResponsibilityRule
from tests.dispatch.test_routing import file_case

QUEUE = "/api/v1/dispatch/queue/"


@pytest.fixture
def seeded(huizhou_departments):
    demo.seed()
    return ResponsibilityRule.objects.count()


@pytest.fixture
def filed(cases, catalogue, seeded, django_capture_on_commit_callbacks):
    def make(code):
        return file_case(cases, catalogue, code, capture=django_capture_on_commit_callbacks)

    return make


def test_the_demo_seed_is_idempotent(seeded):
    assert "0 rules created" in demo.seed()
    assert ResponsibilityRule.objects.count() == seeded


def test_exposed_rubbish_in_qiaodong_goes_straight_to_the_qiaodong_street_office(filed):
    case = filed("E0102")
    assert case.status == Status.HANDLING
    assert case.lead_department.code == "street-441302001"
    dispatch = case.events.get(action="dispatch")
    assert dispatch.actor is None and dispatch.actor_role == "system"


def test_illegal_construction_in_qiaodong_waits_in_the_huicheng_queue_with_a_proposal(filed, personas, api_client_for):
    case = filed("E0101")
    assert case.status == Status.TO_DISPATCH and case.lead_department is None
    district = api_client_for(personas["district_dispatcher"]).get(QUEUE).json()["results"]
    assert [row["id"] for row in district] == [case.pk]
    proposal = district[0]["routing"]
    assert proposal["level"] == "district" and proposal["lead_department"]["code"] == "huicheng-urban-management"
    city = api_client_for(personas["dispatcher"]).get(QUEUE).json()["results"]
    assert case.pk not in [row["id"] for row in city]
    outsider = api_client_for(personas["outsider"]).get(QUEUE).json()["results"]
    assert case.pk not in [row["id"] for row in outsider]


def test_the_district_dispatcher_dispatches_the_proposal(filed, cases):
    case = filed("E0101")
    case = cases.act(case, "district_dispatcher", "dispatch", lead_department="huicheng-urban-management")
    assert case.status == Status.HANDLING and case.lead_department.code == "huicheng-urban-management"


def test_a_water_manhole_cover_goes_to_its_owner_at_city_level(filed):
    case = filed("C0101")
    assert case.status == Status.HANDLING and case.lead_department.code == "utility-water-supply"
    assert case.routing.level == "city"


def test_a_road_collapse_waits_for_the_city_dispatcher(filed, personas, api_client_for):
    case = filed("E0401")
    assert case.status == Status.TO_DISPATCH
    city = api_client_for(personas["dispatcher"]).get(QUEUE).json()["results"]
    (row,) = [r for r in city if r["id"] == case.pk]
    assert row["routing"]["lead_department"]["code"] == "city-municipal-gardens"
    assert [d["code"] for d in row["routing"]["assisting_departments"]] == ["city-emergency-management"]


@pytest.mark.django_db(transaction=True)
def test_through_the_api_the_registration_answers_with_the_dispatched_case(
    cases, catalogue, seeded, personas, api_client_for
):
    """As in the README's curl loop, with real commits: the register call already answers with the street office."""
    case = cases.report()
    cases.act(case, "operator", "accept")
    condition = catalogue.condition("E0102")
    response = api_client_for(personas["shift_lead"]).post(
        f"/api/v1/cases/{case.pk}/transitions/",
        {"action": "register", "filing_condition": condition.pk, "urgency": "normal"},
        format="json",
    )
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == Status.HANDLING and body["lead_department"]["code"] == "street-441302001"
    assert [e["action"] for e in body["timeline"]][-2:] == ["register", "dispatch"]
