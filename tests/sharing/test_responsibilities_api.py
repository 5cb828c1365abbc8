"""/api/v1/responsibilities/: the responsibility list read in scope; administrators create, change and delete
rules, validated like the admin form, all or nothing."""

import pytest

from dispatch.models import ResponsibilityRule
from tests.dispatch.test_routing import make_rule
from tests.fixtures.grid import DANSHUI, HUICHENG, HUIYANG, QIAODONG

pytestmark = pytest.mark.django_db
URL = "/api/v1/responsibilities/"


@pytest.fixture
def rules(catalogue, huizhou_departments):
    return {
        "city": make_rule("E01", region="4413", lead="city-urban-management", level="city"),
        "huicheng": make_rule("E0102", region=QIAODONG, assisting=["city-urban-management"]),
        "huiyang": make_rule("E0102", region=DANSHUI),
    }


def ids(response):
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


def test_a_district_user_reads_the_rules_of_its_district_and_above_only(api, district_dispatcher, outsider, rules):
    assert ids(api(district_dispatcher).get(URL)) == {rules["city"].pk, rules["huicheng"].pk}
    assert ids(api(outsider).get(URL)) == {rules["city"].pk, rules["huiyang"].pk}
    assert api(district_dispatcher).get(f"{URL}{rules['huiyang'].pk}/").status_code == 404
    row = api(district_dispatcher).get(f"{URL}{rules['huicheng'].pk}/").json()
    assert row["category"] == "E0102" and row["region"] == QIAODONG and row["lead_street_office"] is True
    assert row["assisting_departments"] == ["city-urban-management"]


def test_filters_by_category_region_and_department(api, dispatcher, rules):
    client = api(dispatcher)
    # A minor class also finds the rules of its major class.
    assert ids(client.get(URL, {"category": "E0102"})) == {r.pk for r in rules.values()}
    # A region's rules: those set above it (the city's) and inside it, not those of another district.
    assert ids(client.get(URL, {"region": HUIYANG})) == {rules["city"].pk, rules["huiyang"].pk}
    assert ids(client.get(URL, {"department": "city-urban-management"})) == {rules["city"].pk, rules["huicheng"].pk}


def test_bad_filters_are_field_errors(api, dispatcher, rules):
    response = api(dispatcher).get(URL, {"category": "X99", "region": "0", "department": "nobody", "active": "maybe"})
    assert response.status_code == 400
    assert {"category", "region", "department", "active"} <= set(response.json())


def test_an_administrator_creates_changes_and_deletes_a_rule(api, administrator, rules):
    client = api(administrator)
    body = {
        "category": "E0104",
        "region": HUICHENG,
        "lead_department": "city-urban-management",
        "assisting_departments": ["street-441302001"],
        "dispatch_level": "district",
        "auto_dispatch": True,
    }
    created = client.post(URL, body, format="json")
    assert created.status_code == 201, created.content
    rule = ResponsibilityRule.objects.get(pk=created.json()["id"])
    assert rule.kind == "E" and rule.auto_dispatch
    assert list(rule.assisting_departments.values_list("code", flat=True)) == ["street-441302001"]
    changed = client.patch(f"{URL}{rule.pk}/", {"auto_dispatch": False, "assisting_departments": []}, format="json")
    assert changed.status_code == 200, changed.content
    rule.refresh_from_db()
    assert not rule.auto_dispatch and not rule.assisting_departments.exists()
    assert client.delete(f"{URL}{rule.pk}/").status_code == 204
    assert not ResponsibilityRule.objects.filter(pk=rule.pk).exists()


def test_other_roles_may_not_write(api, dispatcher, leader, rules):
    body = {"category": "E0104", "region": HUICHENG, "lead_department": "city-urban-management"}
    for user in (dispatcher, leader):
        client = api(user)
        assert client.post(URL, body, format="json").status_code == 403
        assert client.patch(f"{URL}{rules['city'].pk}/", {"active": False}, format="json").status_code == 403
        assert client.delete(f"{URL}{rules['city'].pk}/").status_code == 403
    assert ResponsibilityRule.objects.count() == 3 and ResponsibilityRule.objects.get(pk=rules["city"].pk).active


@pytest.mark.parametrize(
    "body, field",
    [
        # Two leads, or none.
        (
            {
                "category": "E0104",
                "region": HUICHENG,
                "lead_department": "city-urban-management",
                "lead_street_office": True,
            },
            "lead_department",
        ),
        ({"category": "E0104", "region": HUICHENG}, "lead_department"),
        # A second rule for the same category and region.
        ({"category": "E0102", "region": QIAODONG, "lead_department": "city-urban-management"}, None),
        # A kind that is not the category's.
        ({"category": "E0104", "kind": "C", "region": HUICHENG, "lead_department": "city-urban-management"}, "kind"),
        ({"category": "Z9", "region": "0", "lead_department": "nobody"}, "category"),
        ({"region": HUICHENG, "lead_department": "city-urban-management"}, "category"),
    ],
)
def test_bad_rules_are_refused_with_field_errors_and_write_nothing(api, administrator, rules, body, field):
    response = api(administrator).post(URL, body, format="json")
    assert response.status_code == 400, response.content
    if field:
        assert field in response.json()
    assert ResponsibilityRule.objects.count() == 3


def _queries(client, url):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_the_list_costs_the_same_queries_for_3_rules_and_for_30(api, dispatcher, catalogue, huizhou_departments):
    from cases.models import Category
    from grids.models import Region

    client = api(dispatcher)
    streets = list(Region.objects.defer("geom").filter(level="street").order_by("code")[:30])
    category = Category.objects.get(kind="E", code="0102")
    assisting = list(huizhou_departments.values())[:2]

    def add(count):
        for street in streets[ResponsibilityRule.objects.count() : count]:
            rule = ResponsibilityRule.objects.create(category=category, region=street, lead_street_office=True)
            rule.assisting_departments.set(assisting)

    add(3)
    few = _queries(client, URL)
    add(30)
    assert _queries(client, URL) == few
