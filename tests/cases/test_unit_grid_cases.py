"""A report located into a unit grid (单元网格) goes round the whole loop: scopes, routing, pages and assessment
read the community and street above the cell from its path."""

import pytest
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from assessment.periods import span_containing
from assessment.selectors import period_results
from cases.models import Case, Source, Status
from dispatch.models import ResponsibilityRule
from dispatch.services.routing import routing_propose
from grids.models import Level
from grids.services.unit_grids import unit_grids_generate
from tests.fixtures.grid import QIAODONG, QIAODONG_COMMUNITY

pytestmark = pytest.mark.django_db


@pytest.fixture
def unit_grids(huizhou_grid):
    unit_grids_generate(community_code=QIAODONG_COMMUNITY, size_m=100)


def client_for(user):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def test_a_grid_workers_report_is_located_in_a_unit_grid_and_closed_by_everyone_in_scope(
    unit_grids, cases, personas, huizhou_grid
):
    case = cases.report()
    cell = case.region
    assert cell.level == Level.UNIT and cell.code.startswith(QIAODONG_COMMUNITY) and len(cell.code) == 15
    assert case.region_path == cell.path and case.region_path.startswith(f"/4413/441302/{QIAODONG}/")
    # Routing reads the ancestors from the path: a district rule "the street office leads" finds 桥东's office.
    ResponsibilityRule.objects.create(
        kind="E", category=case.category, region=huizhou_grid.huicheng, lead_street_office=True
    )
    case = Case.objects.select_related("category").get(pk=case.pk)
    proposal = routing_propose(case=case)
    assert proposal.lead.code == f"street-{QIAODONG}"
    for persona in ("grid_worker", "operator", "district_dispatcher", "leader"):
        assert Case.objects.visible_to(personas[persona]).filter(pk=case.pk).exists(), persona
    assert not Case.objects.visible_to(personas["outsider"]).filter(pk=case.pk).exists()
    closed = cases.to(Status.CLOSED, case=case)
    assert closed.status == Status.CLOSED and closed.region_id == cell.pk

    # The community's assessment counts the cell's case; unit grids are not scored on their own.
    results = period_results(span=span_containing("month", timezone.localdate()), subjects=["region"], live=True)
    community_row = results.one("region", QIAODONG_COMMUNITY)
    assert community_row.counts["filed"] >= 1
    assert results.one("region", cell.code) is None


def test_the_case_panel_shows_the_unit_grid_with_its_community_and_street(unit_grids, cases, personas):
    case = cases.report()
    html = client_for(personas["operator"]).get(f"/command/cases/{case.pk}/").content.decode()
    assert f"Unit grid {case.region.code}</span> · 东湖社区居委会 · 桥东街道" in html


def test_the_intake_desk_and_the_api_locate_reports_in_unit_grids(unit_grids, cases, personas):
    data = {
        "channel": Source.HOTLINE_12345, "work_order_number": "GD-UNIT-1", "contact_name": "陈先生",
        "contact_phone": "13812345678", "lon": f"{cases.lon:.6f}", "lat": f"{cases.lat:.6f}",
        "address": "惠城区桥东街道东湖路12号", "category": "E0102", "description": "垃圾堆放", "urgency": "normal",
        "submit": "save",
    }  # fmt: skip
    assert client_for(personas["operator"]).post("/command/intake/", data).status_code == 302
    assert Case.objects.get(work_order_number="GD-UNIT-1").region.level == Level.UNIT

    api = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    api.force_authenticate(personas["grid_worker"])
    payload = {"category": "E0102", "description": "路边垃圾", "lon": cases.lon, "lat": cases.lat}
    response = api.post("/api/v1/cases/", payload, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["region"]["code"].startswith(QIAODONG_COMMUNITY)
    assert len(response.json()["region"]["code"]) == 15
