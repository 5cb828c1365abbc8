"""先属主: a 部件 case naming a facility of the inventory goes to the facility's owner first, its maintainer (a
contractor) assisting; without an owner, or for events, the responsibility list decides as before."""

import pytest

from cases.models import Case
from dispatch.models import CaseRouting, CommandLevel, RoutingBasis
from dispatch.selectors import case_routing_for_user
from dispatch.services.routing import routing_propose
from grids.models import Department, DepartmentKind, DepartmentLevel, Region
from tests.dispatch.test_routing import make_rule
from tests.factories.facilities import facility_at

pytestmark = pytest.mark.django_db


@pytest.fixture
def contractor(huizhou_departments):
    return Department.objects.create(
        code="contractor-test-lighting",
        name="测试路灯养护公司",
        level=DepartmentLevel.STREET,
        kind=DepartmentKind.CONTRACTOR,
        home_region=Region.objects.defer("geom").get(code="441302001"),
    )


@pytest.fixture
def component_case(cases, catalogue):
    """`component_case("C0118", facility)`: a case of that class reported at the facility, naming it."""

    def make(code, facility=None):
        kwargs = {"facility": facility.code} if facility is not None else {}
        case = cases.report(category=catalogue.category(code), **kwargs)
        return Case.objects.select_related("category").get(pk=case.pk)

    return make


def test_the_facilitys_owner_leads_and_its_contractor_assists_before_the_list(cases, component_case, contractor):
    make_rule("C0118", region="4413", lead="huicheng-urban-management", level="city", auto=True)
    lamp = facility_at(
        lon=cases.lon, lat=cases.lat, class_code="0118", owner="city-municipal-gardens", maintainer=contractor
    )
    proposal = routing_propose(case=component_case("C0118", lamp))
    assert proposal.basis == RoutingBasis.OWNER and proposal.facility == lamp
    assert proposal.lead.code == "city-municipal-gardens"
    assert [d.code for d in proposal.assisting] == [contractor.code]
    # The list still says who dispatches; it does not auto-dispatch to someone other than its own lead.
    assert proposal.level == CommandLevel.CITY and proposal.auto is False


def test_without_a_facility_or_an_owner_the_list_decides(cases, component_case):
    make_rule("C0114", region="4413", lead="city-municipal-gardens")
    ownerless = facility_at(lon=cases.lon, lat=cases.lat, class_code="0114")
    for case in (component_case("C0114"), component_case("C0114", ownerless)):
        proposal = routing_propose(case=case)
        assert proposal.basis == RoutingBasis.LIST and proposal.lead.code == "city-municipal-gardens"


def test_an_owner_that_returned_the_case_is_not_proposed_again(cases, component_case):
    make_rule("C0101", region="4413", lead="city-water")
    cover = facility_at(lon=cases.lon, lat=cases.lat, class_code="0101", owner="utility-water-supply")
    case = component_case("C0101", cover)
    owner = Department.objects.get(code="utility-water-supply")
    proposal = routing_propose(case=case, exclude=[owner.pk])
    assert proposal.basis == RoutingBasis.LIST and proposal.lead.code == "city-water"


def test_the_stored_routing_says_it_rests_on_the_owner_and_the_panel_explains_it(
    cases, catalogue, django_capture_on_commit_callbacks, client, personas
):
    cover = facility_at(lon=cases.lon, lat=cases.lat, class_code="0101", owner="utility-water-supply")
    with django_capture_on_commit_callbacks(execute=True):
        case = cases.report(category=catalogue.category("C0101"), facility=cover.code)
        cases.act(case, "operator", "accept")
        condition = catalogue.condition("C0101")
        cases.act(case, "shift_lead", "register", filing_condition=condition.pk, urgency="normal")
    routing = CaseRouting.objects.select_related("proposed_lead").get(case=case)
    assert routing.basis == RoutingBasis.OWNER and routing.proposed_lead.code == "utility-water-supply"
    info = case_routing_for_user(user=personas["dispatcher"], case_id=case.pk)
    assert info.basis == "owner" and info.lead.code == "utility-water-supply"
    client.force_login(personas["dispatcher"])
    page = client.get(f"/command/cases/{case.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Owner of the facility first (先属主)" in page and f"/facilities/{cover.code}/" in page
