"""The rating once after closing, the 回访 queue (call-back wanted, or rated 不满意), its results, reopening a
dissatisfied case, and 满意度 in the assessment (agreeing with the brute-force oracle)."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from assessment.indicators import INDICATORS
from assessment.indicators.sql import unit_counts
from cases.models import Case, CaseEvent, Source, Status
from cases.services import case_transition
from cases.services.satisfaction import case_callback_record
from huizhou_cityops.errors import ConflictError
from tests.assessment.oracle import oracle_counts

pytestmark = pytest.mark.django_db


def _signed_in(user):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def _queue_numbers(client):
    page = client.get("/command/callbacks/")
    assert page.status_code == 200
    return {n for n in Case.objects.values_list("number", flat=True) if f'data-case="{n}"' in page.content.decode()}


def test_the_rating_is_offered_once_closed_and_taken_once(portal, resident, cases):
    _r, case, token = portal.report(resident)
    assert "Rate the result" not in resident.get(f"/public/follow/{token}/").content.decode()
    early = resident.post(f"/public/follow/{token}/rate/", {"satisfaction": "satisfied"})
    assert early.status_code == 409
    assert "once it is closed" in early.content.decode()
    cases.to("closed", case=case)
    assert "Rate the result" in resident.get(f"/public/follow/{token}/").content.decode()
    rated = resident.post(f"/public/follow/{token}/rate/", {"satisfaction": "basic", "comment": "还行"})
    assert rated.status_code == 302
    again = resident.post(f"/public/follow/{token}/rate/", {"satisfaction": "dissatisfied"})
    assert again.status_code == 409
    assert "already rated" in again.content.decode()
    rates = CaseEvent.objects.filter(case=case, action="rate")
    assert [(r.data["satisfaction"], r.note, r.actor_id) for r in rates] == [("basic", "还行", None)]
    assert resident.post(f"/public/follow/{token}/rate/", {"satisfaction": "great"}).status_code == 400


def test_a_dissatisfied_rating_puts_the_case_in_the_queue_and_the_operator_reopens_it(portal, resident, cases):
    _r, case, token = portal.report(resident)
    case = cases.to("closed", case=case)
    operator = _signed_in(cases.p["operator"])
    assert case.number not in _queue_numbers(operator)
    resident.post(f"/public/follow/{token}/rate/", {"satisfaction": "dissatisfied", "comment": "垃圾又堆起来了"})
    assert case.number in _queue_numbers(operator)
    answer = operator.post(f"/command/callbacks/{case.pk}/reopen/", {"note": "居民反映垃圾又堆起来了"})
    assert answer.status_code == 302
    case.refresh_from_db()
    assert case.status == Status.HANDLING and case.closed_at is None and case.rework_count == 1
    assert case.lead_department == cases.p["handler_department"]
    assert case.number not in _queue_numbers(operator)
    assert "Reopened" in resident.get(f"/public/follow/{token}/").content.decode()


def test_a_case_nobody_is_dissatisfied_with_cannot_be_reopened(cases):
    case = cases.to("closed")
    with pytest.raises(ConflictError):
        case_transition(case_id=case.pk, actor=cases.p["operator"], action="reopen", note="想重开")
    case_callback_record(case_id=case.pk, actor=cases.p["operator"], reached=True, satisfaction="satisfied")
    with pytest.raises(ConflictError):
        case_transition(case_id=case.pk, actor=cases.p["operator"], action="reopen", note="想重开")


def test_a_hotline_caller_who_wants_a_call_back_waits_in_the_queue_until_reached(cases, settings):
    settings.CALLBACK_MAX_ATTEMPTS = 2
    operator = _signed_in(cases.p["operator"])
    case = cases.report(
        actor=cases.p["operator"], source=Source.HOTLINE_12345, callback_requested=True, contact_phone="13900001111"
    )
    quiet = cases.to("closed")
    case = cases.to("closed", case=case)
    assert case.number in _queue_numbers(operator) and quiet.number not in _queue_numbers(operator)
    page = operator.get("/command/callbacks/").content.decode()
    assert "13900001111" in page  # the operator who calls back sees the whole number
    refused = operator.post(f"/command/callbacks/{case.pk}/", {"reached": "yes", "satisfaction": "meh"})
    assert refused.status_code == 302
    assert not CaseEvent.objects.filter(case=case, action="callback").exists()
    operator.post(f"/command/callbacks/{case.pk}/", {"reached": "no", "note": "无人接听"})
    assert case.number in _queue_numbers(operator)
    operator.post(f"/command/callbacks/{case.pk}/", {"reached": "no"})
    assert case.number not in _queue_numbers(operator)  # tried CALLBACK_MAX_ATTEMPTS times


def test_a_reached_call_back_settles_the_queue_row(cases):
    operator = _signed_in(cases.p["operator"])
    case = cases.report(actor=cases.p["operator"], source=Source.HOTLINE_12345, callback_requested=True)
    case = cases.to("closed", case=case)
    operator.post(f"/command/callbacks/{case.pk}/", {"reached": "yes", "satisfaction": "satisfied", "note": "满意"})
    assert case.number not in _queue_numbers(operator)
    event = CaseEvent.objects.get(case=case, action="callback")
    assert event.data == {"reached": True, "satisfaction": "satisfied", "channel": "callback"}
    assert event.actor == cases.p["operator"]


def test_only_operators_open_the_queue(cases):
    for role, status in (("shift_lead", 302), ("dispatcher", 302), ("handler", 302), ("outsider", 302)):
        answer = _signed_in(cases.p[role]).get("/command/callbacks/")
        assert answer.status_code == status and answer["Location"] == "/", role
    assert _signed_in(cases.p["dispatcher"]).post("/command/callbacks/1/", {"reached": "no"}).status_code == 403


def test_satisfaction_feeds_the_assessment_and_the_oracle_agrees(portal, resident, cases):
    start = timezone.now() - timedelta(hours=1)
    made = []
    for rating in ("satisfied", "dissatisfied"):
        _r, case, token = portal.report(resident)
        made.append(cases.to("closed", case=case))
        resident.post(f"/public/follow/{token}/rate/", {"satisfaction": rating})
    hotline = cases.report(actor=cases.p["operator"], source=Source.HOTLINE_12345, callback_requested=True)
    made.append(cases.to("closed", case=hotline))
    case_callback_record(case_id=hotline.pk, actor=cases.p["operator"], reached=True, satisfaction="basic")
    case_callback_record(case_id=made[0].pk, actor=cases.p["operator"], reached=False)
    end = timezone.now() + timedelta(hours=1)
    departments, leaves = unit_counts(start=start, end=end, bound=end)
    department = departments[cases.p["handler_department"].pk]
    assert (department["rated"], department["rated_satisfied"], department["rated_basic"]) == (3, 1, 1)
    assert INDICATORS["satisfaction_rate"].value(department) == pytest.approx(66.67)
    events = list(CaseEvent.objects.filter(case__in=made).order_by("id"))
    want_departments, want_leaves, _posts = oracle_counts(made, events, start=start, end=end, bound=end)
    for name in ("rated", "rated_satisfied", "rated_basic"):
        assert department[name] == want_departments[cases.p["handler_department"].pk].get(name, 0)
        for path, figures in leaves.items():
            assert figures[name] == want_leaves.get(path, {}).get(name, 0)


def test_an_operator_of_another_district_neither_sees_nor_records_the_call_back(cases):
    from accounts.models import Role
    from grids.models import Region
    from tests.factories.accounts import user_posted
    from tests.fixtures.grid import HUIYANG

    case = cases.report(actor=cases.p["operator"], source=Source.HOTLINE_12345, callback_requested=True)
    case = cases.to("closed", case=case)
    huiyang = user_posted(username="p-huiyang-operator", role=Role.OPERATOR, region=Region.objects.get(code=HUIYANG))
    other = _signed_in(huiyang)
    assert case.number not in _queue_numbers(other)
    assert other.post(f"/command/callbacks/{case.pk}/", {"reached": "no"}).status_code == 404
    assert other.post(f"/command/callbacks/{case.pk}/reopen/", {"note": "x"}).status_code == 404
    assert not CaseEvent.objects.filter(case=case, action="callback").exists()


def test_the_satisfaction_figure_explains_itself_with_the_cases_behind_it(portal, resident, cases, assessor):
    from urllib.parse import urlencode

    from django.urls import reverse

    _r, case, token = portal.report(resident)
    cases.to("closed", case=case)
    resident.post(f"/public/follow/{token}/rate/", {"satisfaction": "dissatisfied"})
    day = timezone.localdate().isoformat()
    query = {"period": f"custom:{day}:{day}", "unit": "department", "key": cases.p["handler_department"].code}
    client = _signed_in(assessor)
    explained = client.get(reverse("assessment:explain") + "?" + urlencode({**query, "indicator": "satisfaction_rate"}))
    assert explained.status_code == 200
    assert "满意度" in explained.content.decode()
    listing = {**query, "indicator": "satisfaction_rate", "count": "rated"}
    listed = client.get(reverse("assessment:cases") + "?" + urlencode(listing))
    assert listed.status_code == 200
    assert case.number in listed.content.decode()
