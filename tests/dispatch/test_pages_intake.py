"""The intake desk (/command/intake/): who may use it, the form's rules, masking, duplicates, accept and file."""

import pytest
from django.test import Client

from accounts.models import Role
from cases.models import Case, CaseEvent, FilingCondition, Source, Status
from grids.models import Region
from tests.factories.accounts import user_posted
from tests.fixtures.cases import jpeg_upload
from tests.fixtures.grid import DANSHUI, HUICHENG

pytestmark = pytest.mark.django_db

URL = "/command/intake/"
PHONE = "13812345678"


def client_for(user):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    if user is not None:
        client.force_login(user)
    return client


def call(cases, **overrides):
    """A complete 12345 call in 东湖社区 (E0102 暴露垃圾), as the form posts it."""
    data = {
        "channel": Source.HOTLINE_12345,
        "work_order_number": "GD20261206001",
        "contact_name": "陈先生",
        "contact_phone": PHONE,
        "callback_requested": "on",
        "lon": f"{cases.lon:.6f}",
        "lat": f"{cases.lat:.6f}",
        "address": "惠城区桥东街道东湖路12号",
        "category": "E0102",
        "description": "东湖路口垃圾堆放两天无人清理",
        "urgency": "normal",
        "submit": "save",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def post(client, data):
    return client.post(URL, data)


# ---- who may use it ----


@pytest.mark.parametrize("persona", ["operator", "shift_lead"])
def test_operators_and_shift_leads_open_the_intake_desk(personas, persona):
    response = client_for(personas[persona]).get(URL)
    assert response.status_code == 200
    assert 'id="intake-form"' in response.content.decode()
    assert 'id="intake-link"' in client_for(personas[persona]).get("/command/").content.decode()


@pytest.mark.parametrize("persona", ["dispatcher", "leader", "handler", "grid_worker"])
def test_other_roles_are_sent_home_and_refused_the_parts(personas, persona):
    client = client_for(personas[persona])
    response = client.get(URL)
    assert response.status_code == 302 and response["Location"] == "/"
    assert client.get("/command/intake/check/").status_code == 403
    assert client.get("/command/intake/categories/?category_q=blj").status_code == 403
    assert client.post(URL, {}).status_code == 403


def test_the_dispatcher_does_not_see_the_intake_link(personas):
    assert 'id="intake-link"' not in client_for(personas["dispatcher"]).get("/command/").content.decode()


# ---- saving ----


def test_a_12345_call_becomes_a_reported_case_through_the_usual_service(cases, personas):
    response = post(client_for(personas["operator"]), call(cases))
    case = Case.objects.get(work_order_number="GD20261206001")
    assert response.status_code == 302
    assert response["Location"] == f"/command/?queue=reported&case={case.pk}"
    assert case.status == Status.REPORTED
    assert case.source == Source.HOTLINE_12345
    assert (case.contact_name, case.contact_phone, case.callback_requested) == ("陈先生", PHONE, True)
    assert case.region.code == "441302001001"
    event = CaseEvent.objects.get(case=case)
    assert (event.action, event.actor_role) == ("report", Role.OPERATOR)


def test_a_12345_transfer_needs_its_work_order_number_and_nothing_is_written(cases, personas):
    response = post(client_for(personas["operator"]), call(cases, work_order_number=""))
    assert response.status_code == 422
    assert "A 12345 transfer needs its work-order number." in response.content.decode()
    assert not Case.objects.exists()


def test_a_counter_visit_needs_no_work_order_number(cases, personas):
    response = post(client_for(personas["operator"]), call(cases, channel=Source.COUNTER, work_order_number=""))
    assert response.status_code == 302
    assert Case.objects.get().source == Source.COUNTER


def test_the_same_12345_work_order_is_taken_in_once(cases, personas):
    client = client_for(personas["operator"])
    first = post(client, call(cases))
    assert first.status_code == 302
    second = post(client, call(cases))
    assert second.status_code == 422
    assert "was already taken in as case" in second.content.decode()
    assert Case.objects.count() == 1


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"category": ""}, "Choose a category"),
        ({"category": "X9999"}, "Unknown category"),
        ({"description": "  "}, "Describe the problem."),
        ({"lon": "", "lat": ""}, "Click the map or pick a place from the search."),
        ({"lon": "114.9", "lat": "21.0"}, "This point lies outside every grid of the city."),
        ({"contact_phone": "call me"}, "Give the phone number in digits"),
        ({"contact_phone": ""}, "A call-back needs the caller&#x27;s phone number."),
        ({"urgency": "whenever"}, "Select a valid choice."),
        ({"place": "a,b", "lon": "", "lat": ""}, "Pick a place from the search results."),
    ],
)
def test_errors_come_back_in_words_next_to_their_fields(cases, personas, overrides, message):
    response = post(client_for(personas["operator"]), call(cases, **overrides))
    assert response.status_code == 422
    assert message in response.content.decode()
    assert not Case.objects.exists()


def test_too_many_photos_are_refused_with_the_limit(cases, personas, settings):
    settings.CASE_PHOTOS_MAX = 2
    data = call(cases, photos=[jpeg_upload(f"p{i}.jpg") for i in range(3)])
    response = post(client_for(personas["operator"]), data)
    assert response.status_code == 422
    assert "Attach at most 2 photos." in response.content.decode()
    assert not Case.objects.exists()


def test_photos_are_kept_with_the_case(cases, personas):
    data = call(cases, photos=[jpeg_upload("a.jpg"), jpeg_upload("b.jpg", colour=(10, 20, 30))])
    assert post(client_for(personas["operator"]), data).status_code == 302
    assert Case.objects.get().photos.count() == 2


def test_a_gazetteer_pick_is_the_point_without_javascript(cases, personas):
    data = call(cases, lon="", lat="", place=f"{cases.lon:.6f},{cases.lat:.6f}")
    assert post(client_for(personas["operator"]), data).status_code == 302
    assert Case.objects.get().region.code == "441302001001"


def test_an_operator_of_huicheng_cannot_place_a_case_outside_his_district(cases, huizhou_grid):
    operator = user_posted(username="huicheng-operator", role=Role.OPERATOR, region=huizhou_grid.huicheng)
    outside = huizhou_grid.point_in(DANSHUI)
    response = post(client_for(operator), call(cases, lon=f"{outside.x:.6f}", lat=f"{outside.y:.6f}"))
    assert response.status_code == 422
    assert "This place lies outside the grids you work in." in response.content.decode()
    assert not Case.objects.exists()
    # Inside his district it works.
    assert post(client_for(operator), call(cases)).status_code == 302
    assert Case.objects.get().region_path.startswith(f"/4413/{HUICHENG}/")


# ---- accept and file in the same step ----


def test_an_operator_may_accept_but_not_file(cases, personas):
    client = client_for(personas["operator"])
    page = client.get(URL).content.decode()
    assert 'id="intake-accept"' in page and 'id="intake-file"' not in page
    condition = FilingCondition.objects.filter(category=cases.category).first()
    # Even a crafted "file" only accepts: registering is not the operator's.
    response = post(client, call(cases, submit="file", filing_condition=str(condition.pk)))
    assert response.status_code == 302
    case = Case.objects.get()
    assert case.status == Status.TO_REGISTER
    assert list(case.events.values_list("action", flat=True)) == ["report", "accept"]


def test_a_shift_lead_accepts_and_files_in_one_step(cases, personas):
    client = client_for(personas["shift_lead"])
    assert 'id="intake-file"' in client.get(URL).content.decode()
    condition = FilingCondition.objects.filter(category=cases.category).first()
    response = post(client, call(cases, submit="file", filing_condition=str(condition.pk), urgency="urgent"))
    assert response.status_code == 302
    case = Case.objects.get()
    actions = list(case.events.values_list("action", flat=True))
    assert actions[:3] == ["report", "accept", "register"]
    assert case.filing_condition == condition and case.urgency == "urgent"
    assert case.status not in (Status.REPORTED, Status.TO_REGISTER)
    assert response["Location"] == f"/command/?queue=to_dispatch&case={case.pk}"


def test_filing_needs_a_condition_of_this_class_and_a_refusal_rolls_everything_back(cases, personas):
    client = client_for(personas["shift_lead"])
    response = post(client, call(cases, submit="file"))
    assert response.status_code == 422
    assert "Choose one of this category&#x27;s filing conditions." in response.content.decode()
    other = FilingCondition.objects.exclude(category=cases.category).first()
    response = post(client, call(cases, submit="file", filing_condition=str(other.pk)))
    assert response.status_code == 422
    assert "Choose one of this category&#x27;s filing conditions." in response.content.decode()
    assert not Case.objects.exists() and not CaseEvent.objects.exists()


# ---- masking: the caller's phone ----


def test_the_callers_phone_is_whole_for_the_desk_and_dispatchers_and_masked_for_the_others(
    cases, personas, assessor, api_client_for
):
    post(client_for(personas["operator"]), call(cases))
    case = Case.objects.get()
    phones = {
        persona: api_client_for(user).get(f"/api/v1/cases/{case.pk}/").json()["contact"]["phone"]
        for persona, user in {**personas, "assessor": assessor}.items()
        if persona in ("operator", "shift_lead", "dispatcher", "grid_worker", "leader", "assessor")
    }
    assert phones == {
        "operator": PHONE,
        "shift_lead": PHONE,
        "dispatcher": PHONE,
        "grid_worker": "138****5678",
        "leader": "138****5678",
        "assessor": "138****5678",
    }
    # The handler sees the case once it is theirs, masked, in the workspace panel too.
    case = cases.to("handling", case=case)
    handler = client_for(personas["handler"])
    assert api_client_for(personas["handler"]).get(f"/api/v1/cases/{case.pk}/").json()["contact"]["phone"] == (
        "138****5678"
    )
    body = handler.get(f"/dept/cases/{case.pk}/").content.decode()
    assert "138****5678" in body and PHONE not in body
    assert PHONE in client_for(personas["dispatcher"]).get(f"/command/cases/{case.pk}/").content.decode()


# ---- the parts that refresh as the operator types ----


def test_categories_are_found_by_pinyin_initials_code_and_name(personas):
    client = client_for(personas["operator"])
    for query in ("blj", "0102", "暴露"):
        body = client.get("/command/intake/categories/", {"category_q": query}).content.decode()
        assert 'value="E0102"' in body, query
    assert "No category matches" in client.get("/command/intake/categories/", {"category_q": "zzzz"}).content.decode()


def test_the_gazetteer_finds_communities_streets_and_known_addresses(cases, personas):
    cases.report(address="惠城区桥东街道东湖路88号")
    client = client_for(personas["operator"])
    community = Region.objects.get(code="441302001001")
    body = client.get("/command/intake/places/", {"place_q": community.name[:3]}).content.decode()
    assert community.name in body
    assert "东湖路88号" in client.get("/command/intake/places/", {"place_q": "东湖路88"}).content.decode()


def test_the_gazetteer_offers_only_places_in_scope(cases, huizhou_grid):
    operator = user_posted(username="huicheng-operator", role=Role.OPERATOR, region=huizhou_grid.huicheng)
    danshui = huizhou_grid.huiyang_street
    body = client_for(operator).get("/command/intake/places/", {"place_q": danshui.name}).content.decode()
    assert "No street, community or known address matches" in body


def test_the_check_shows_the_grid_duplicates_and_the_filing_conditions_with_limits(cases, personas):
    earlier = cases.report(address="东湖路口")
    client = client_for(personas["operator"])
    query = {"lon": f"{cases.lon:.6f}", "lat": f"{cases.lat:.6f}", "category": "E0102", "urgency": "normal"}
    body = client.get("/command/intake/check/", query).content.decode()
    assert cases.community.name in body
    assert earlier.number in body and f"/command/?case={earlier.pk}" in body
    condition = FilingCondition.objects.filter(category=cases.category).first()
    assert condition.name in body and "working" in body
    # Another category at the same place is no duplicate.
    other = client.get("/command/intake/check/", {**query, "category": "E0104"}).content.decode()
    assert earlier.number not in other
    # Nothing chosen yet: nothing to show, no error.
    assert "No place chosen yet." in client.get("/command/intake/check/").content.decode()
    assert client.get("/command/intake/check/", {"lon": "x", "lat": "1e999", "category": "?"}).status_code == 200


def test_the_look_up_button_shows_everything_without_javascript_and_saves_nothing(cases, personas):
    earlier = cases.report()
    data = call(cases, submit="check", category_q="blj", place_q="东湖")
    response = post(client_for(personas["shift_lead"]), data)
    body = response.content.decode()
    assert response.status_code == 200
    assert 'value="E0102"' in body and earlier.number in body and 'name="filing_condition"' in body
    assert Case.objects.count() == 1


# ---- the register form in the case panel ----


def test_the_register_form_shows_each_filing_condition_with_its_limits(cases, personas):
    case = cases.to("to_register")
    body = client_for(personas["shift_lead"]).get(f"/command/cases/{case.pk}/").content.decode()
    condition = FilingCondition.objects.filter(category=case.category).first()
    limit = condition.time_limits.get(area_class=case.region.area_class, urgency="normal")
    assert f"{condition.name} — " in body
    assert f"{limit.value.normalize():f} {limit.get_unit_display()}" in body
    assert condition.filing_text in body


def test_the_check_costs_the_same_queries_for_one_duplicate_and_for_five(cases, personas):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_for(personas["operator"])
    query = {"lon": f"{cases.lon:.6f}", "lat": f"{cases.lat:.6f}", "category": "E0102", "urgency": "normal"}

    def cost():
        client.get("/command/intake/check/", query)  # the session and the prepared lookup are warm after this
        with CaptureQueriesContext(connection) as queries:
            body = client.get("/command/intake/check/", query).content.decode()
        return len(queries), body.count('class="status status-')

    cases.report()
    one = cost()
    for _ in range(4):
        cases.report()
    five = cost()
    assert (one[1], five[1]) == (1, 5)
    assert one[0] == five[0]


def test_the_gazetteer_and_the_picker_cost_the_same_queries_whatever_they_find(cases, personas):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_for(personas["operator"])

    def cost(url, params):
        client.get(url, params)
        with CaptureQueriesContext(connection) as queries:
            client.get(url, params)
        return len(queries)

    places = "/command/intake/places/"
    assert cost(places, {"place_q": "东湖社区"}) == cost(places, {"place_q": "社区"})
    assert cost("/command/intake/categories/", {"category_q": "blj"}) == cost(
        "/command/intake/categories/", {"category_q": "垃圾"}
    )
