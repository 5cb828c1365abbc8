"""The case panel's helpers: canned phrases (常用语) per action, and the dispatch form's department picker."""

import re
from types import SimpleNamespace

import pytest
from django.contrib.admin.sites import site
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from cases.workflow import ACTIONS
from dispatch.models import CannedPhrase
from dispatch.pages.selectors import departments_for_dispatch
from grids.models import Department, Level
from tests.fixtures.grid import HUICHENG, QIAODONG

pytestmark = pytest.mark.django_db


def client_for(user):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def phrase_buttons(body, action):
    return re.findall(rf'data-phrase-for="{action}-note" data-phrase="([^"]*)"', body)


def test_the_seeded_phrases_belong_to_real_actions_and_cover_the_usual_ones():
    seeded = set(CannedPhrase.objects.values_list("action", flat=True))
    assert seeded <= set(ACTIONS)
    assert {"refuse", "dispatch", "request_return", "feedback", "request_void", "close"} <= seeded


def test_the_panel_offers_each_allowed_action_its_active_phrases_in_order(cases, personas):
    CannedPhrase.objects.all().delete()
    CannedPhrase.objects.create(action="refuse", text="第二句", position=2)
    CannedPhrase.objects.create(action="refuse", text="第一句", position=1)
    CannedPhrase.objects.create(action="refuse", text="停用的", position=0, active=False)
    CannedPhrase.objects.create(action="close", text="结案用语")
    case = cases.report()
    body = client_for(personas["operator"]).get(f"/command/cases/{case.pk}/").content.decode()
    assert phrase_buttons(body, "refuse") == ["第一句", "第二句"]
    assert "结案用语" not in body  # close is not allowed on a new report


def test_the_phrases_cost_one_query_however_many_there_are(cases, personas):
    case = cases.report()
    client = client_for(personas["operator"])

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(f"/command/cases/{case.pk}/").status_code == 200
        return len(queries)

    CannedPhrase.objects.all().delete()
    CannedPhrase.objects.create(action="accept", text="一")
    few = count()
    CannedPhrase.objects.bulk_create([CannedPhrase(action=a, text=f"句{i}") for a in ACTIONS for i in range(5)])
    assert count() == few


def test_administrators_edit_the_phrases_and_only_real_actions_are_accepted(admin_client):
    url = "/admin/dispatch/cannedphrase/add/"
    page = admin_client.get(url)
    assert page.status_code == 200 and 'value="request_return"' in page.content.decode()
    bad = admin_client.post(url, {"action": "fly_away", "text": "不存在", "position": 1, "active": "on"})
    assert bad.status_code == 200 and not CannedPhrase.objects.filter(text="不存在").exists()
    good = admin_client.post(url, {"action": "request_return", "text": "请重新派遣。", "position": 5, "active": "on"})
    assert good.status_code == 302
    assert CannedPhrase.objects.get(text="请重新派遣。").action == "request_return"
    assert site.is_registered(CannedPhrase)


def test_the_dispatch_picker_lists_the_proposal_then_the_case_s_street_and_district_then_the_city(cases, personas):
    case = cases.to("to_dispatch")
    city_bureau = personas["handler_department"]
    qiaodong_office = Department.objects.get(code=f"street-{QIAODONG}")
    routing = SimpleNamespace(lead=city_bureau, assisting=[qiaodong_office])
    groups = departments_for_dispatch(user=personas["dispatcher"], case=case, routing=routing)
    assert [g.key for g in groups] == ["proposed", "local", "city"]
    assert groups[0].departments == [city_bureau, qiaodong_office]
    local = groups[1].departments
    assert local and all(d.home_region.path.startswith(f"/4413/{HUICHENG}/") for d in local)
    # nearest first: anything based in the case's street before the district's bureaus
    depths = [len(d.home_region.path) for d in local]
    assert depths == sorted(depths, reverse=True)
    assert all(d.home_region.level == Level.CITY for d in groups[2].departments)
    everyone = [d for g in groups for d in g.departments]
    assert len(everyone) == len(set(everyone))
    without = departments_for_dispatch(user=personas["dispatcher"], case=case)
    assert [g.key for g in without] == ["local", "city"]
    assert {d for g in without for d in g.departments} == set(everyone)


def test_the_dispatch_form_is_grouped_and_searchable(cases, personas):
    case = cases.to("to_dispatch")
    body = client_for(personas["dispatcher"]).get(f"/command/cases/{case.pk}/").content.decode()
    form = body[body.index('id="dispatch-lead_department"') :]
    form = form[: form.index("</select>")]
    groups = re.findall(r'data-group="([a-z]+)"', form)
    assert groups[-1] == "city" and "local" in groups
    assert 'data-filter-select="dispatch-lead_department dispatch-assisting"' in body
    offered = departments_for_dispatch(user=personas["dispatcher"], case=case)
    assert form.count("data-search=") == sum(len(g.departments) for g in offered) < Department.objects.count()
