"""Admin of the responsibility list: filters, autocomplete and the lead/assisting rules."""

import pytest

from dispatch import demo
from dispatch.models import ResponsibilityRule
from grids.models import Department, Region

ADMIN = "/admin/dispatch/responsibilityrule/"


@pytest.fixture
def admin_client_en(client, huizhou_departments, django_user_model):
    user = django_user_model.objects.create_superuser("rules-admin", "rules@example.gov.cn", "kapok-tree-1919")
    client.force_login(user)
    client.cookies["django_language"] = "en"
    return client


@pytest.mark.parametrize(
    "query",
    [
        "",
        "?dispatch_level__exact=city",
        "?auto_dispatch__exact=1",
        "?kind__exact=C",
        "?category_level=major",
        "?q=0102",
    ],
)
def test_the_rule_list_renders_with_its_filters(admin_client_en, query):
    demo.seed()
    response = admin_client_en.get(ADMIN + query)
    assert response.status_code == 200


def test_the_change_form_renders_with_autocomplete_widgets(admin_client_en):
    demo.seed()
    rule = ResponsibilityRule.objects.filter(assisting_departments__isnull=False).first()
    html = admin_client_en.get(f"{ADMIN}{rule.pk}/change/").content.decode()
    assert "admin-autocomplete" in html and 'name="assisting_departments"' in html


def _form(**overrides):
    data = {
        "kind": "E",
        "category": "",
        "region": Region.objects.get(code="441302").pk,
        "lead_department": Department.objects.get(code="huicheng-urban-management").pk,
        "assisting_departments": [],
        "dispatch_level": "district",
        "auto_dispatch": "on",
        "active": "on",
        "note": "惠城区兜底",
    }
    data.update(overrides)
    return data


def test_an_administrator_adds_a_rule(admin_client_en):
    response = admin_client_en.post(f"{ADMIN}add/", _form())
    assert response.status_code == 302
    rule = ResponsibilityRule.objects.get()
    assert rule.kind == "E" and rule.auto_dispatch and rule.region.code == "441302"


def test_a_rule_needs_exactly_one_kind_of_lead(admin_client_en):
    both = admin_client_en.post(f"{ADMIN}add/", _form(lead_street_office="on"))
    neither = admin_client_en.post(f"{ADMIN}add/", _form(lead_department=""))
    assert both.status_code == neither.status_code == 200
    assert "street office of the case" in both.content.decode()
    assert ResponsibilityRule.objects.count() == 0


def test_the_lead_cannot_also_assist(admin_client_en):
    lead = Department.objects.get(code="huicheng-urban-management").pk
    response = admin_client_en.post(f"{ADMIN}add/", _form(assisting_departments=[lead]))
    assert response.status_code == 200 and "cannot also assist" in response.content.decode()


def test_the_kind_follows_the_category(admin_client_en):
    from cases.models import Category

    category = Category.objects.get(kind="C", code="0101")
    response = admin_client_en.post(f"{ADMIN}add/", _form(kind="", category=category.pk))
    assert response.status_code == 302
    assert ResponsibilityRule.objects.get().kind == "C"
    wrong = admin_client_en.post(
        f"{ADMIN}add/", _form(kind="E", category=category.pk, region=Region.objects.get(code="4413").pk)
    )
    assert wrong.status_code == 200 and "kind must be the category" in wrong.content.decode()
