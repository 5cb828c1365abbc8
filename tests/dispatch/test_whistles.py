"""街道吹哨、部门报到: the street office working a case summons departments; each reports within the limit or is
marked overdue by the sweep; the summoned see the case on their board until they report."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.http import Http404
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import Role
from cases.clock import WORKING, add_time, hours_duration
from cases.models import CaseEvent, Summons, SummonsState
from dispatch.models import Notification
from dispatch.services.whistles import summons_report, whistle_blow, whistles_sweep
from huizhou_cityops.errors import ConflictError
from tests.dispatch.boards import client_for, group_numbers
from tests.factories.accounts import user_posted

pytestmark = pytest.mark.django_db

STREET = "street-441302001"


@pytest.fixture
def water(huizhou_departments):
    return user_posted(username="p-water", role=Role.HANDLER, department=huizhou_departments["city-water"])


@pytest.fixture
def housing(huizhou_departments):
    return user_posted(username="p-housing", role=Role.HANDLER, department=huizhou_departments["city-housing"])


@pytest.fixture
def worked(cases, personas):
    """A case in handling, led by the city bureau with the 桥东 street office assisting."""
    case = cases.to("to_dispatch")
    return cases.act(
        case, "dispatcher", "dispatch", lead_department=personas["handler_department"].code,
        assisting_departments=[STREET],
    )  # fmt: skip


def blow(case, actor, departments=("city-water", "city-housing"), note="路面塌陷，请各部门到场", now=None):
    return whistle_blow(case_id=case.pk, actor=actor, departments=list(departments), note=note, now=now)


def test_the_street_office_summons_departments_each_with_a_working_time_deadline(
    worked, personas, water, housing, django_capture_on_commit_callbacks, settings
):
    settings.WHISTLE_REPORT_HOURS = 2
    friday = timezone.make_aware(timezone.datetime(2025, 11, 21, 17, 0))
    with django_capture_on_commit_callbacks(execute=True):
        whistle = blow(worked, personas["street_handler"], now=friday)
    summonses = list(whistle.summonses.order_by("department__code"))
    assert [(s.department.code, s.state) for s in summonses] == [("city-housing", "open"), ("city-water", "open")]
    due = add_time(start=friday, duration=hours_duration(Decimal(2)), clock=WORKING)
    assert all(s.deadline == due for s in summonses)
    assert timezone.localtime(due).date().isoformat() == "2025-11-24"  # one hour Friday, one hour Monday
    event = CaseEvent.objects.filter(case=worked).latest("id")
    assert (event.action, event.from_status, event.to_status) == ("whistle_blown", "handling", "handling")
    assert event.data["departments"] == ["city-water", "city-housing"] and event.actor == personas["street_handler"]
    told = set(Notification.objects.filter(event=event).values_list("user__username", flat=True))
    assert told == {"p-water", "p-housing"}


def test_a_summoned_department_sees_the_case_until_it_reports_and_the_office_is_told(
    worked, personas, water, housing, django_capture_on_commit_callbacks
):
    blow(worked, personas["street_handler"])
    client = client_for(water)
    assert group_numbers(client.get("/dept/").content.decode(), "whistle") == {worked.number}
    panel = client.get(f"/dept/cases/{worked.pk}/").content.decode()
    assert "summons-form" in panel and "data-action=" not in panel  # read-only but for the report
    summons = Summons.objects.get(case=worked, department__code="city-water")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/dept/cases/{worked.pk}/summonses/{summons.pk}/report/", {"note": "已派2人到场"}, HTTP_HX_REQUEST="true"
        )
    assert response.status_code == 200, response.content.decode()[:1500]
    summons.refresh_from_db()
    assert (summons.state, summons.note, summons.reported_by) == ("reported", "已派2人到场", water)
    event = CaseEvent.objects.filter(case=worked).latest("id")
    assert event.action == "whistle_reported" and event.data["on_time"] is True
    told = set(Notification.objects.filter(event=event).values_list("user__username", flat=True))
    assert told == {"p-street-handler"}
    assert worked.number not in group_numbers(client.get("/dept/").content.decode(), "whistle")
    # Still visible (read-only) after reporting; reporting twice is a conflict.
    assert client.get(f"/dept/cases/{worked.pk}/").status_code == 200
    with pytest.raises(ConflictError):
        summons_report(summons_id=summons.pk, actor=water, note="再次报到")


def test_the_sweep_marks_an_unanswered_summons_overdue_once_and_a_late_report_is_recorded_late(
    worked, personas, water, housing, django_capture_on_commit_callbacks
):
    start = timezone.now() - timedelta(days=10)
    whistle = blow(worked, personas["street_handler"], now=start)
    on_time = whistle.summonses.get(department__code="city-housing")
    summons_report(summons_id=on_time.pk, actor=housing, note="已到场", now=start + timedelta(minutes=20))
    with django_capture_on_commit_callbacks(execute=True):
        assert whistles_sweep() == 1
    late = whistle.summonses.get(department__code="city-water")
    assert late.state == SummonsState.OVERDUE and late.overdue_at is not None
    assert whistle.summonses.get(department__code="city-housing").state == SummonsState.REPORTED
    event = CaseEvent.objects.filter(case=worked, action="whistle_overdue").get()
    assert event.actor is None and event.actor_role == "system" and event.data["department"] == "city-water"
    told = set(Notification.objects.filter(event=event, kind="overdue").values_list("user__username", flat=True))
    assert told == {"p-street-handler", "p-water"}
    assert whistles_sweep() == 0  # idempotent
    # Overdue ones stay on the board until they report; a late report is recorded as late.
    assert group_numbers(client_for(water).get("/dept/").content.decode(), "whistle") == {worked.number}
    summons_report(summons_id=late.pk, actor=water, note="迟到报到")
    assert CaseEvent.objects.filter(case=worked, action="whistle_reported").latest("id").data["on_time"] is False


def test_a_summons_within_its_limit_is_not_swept(worked, personas, water):
    blow(worked, personas["street_handler"], departments=["city-water"])
    assert whistles_sweep() == 0
    assert Summons.objects.get(case=worked).state == SummonsState.OPEN


def test_only_the_street_office_working_the_case_blows_the_whistle(worked, cases, personas, water, huizhou_departments):
    # The lead bureau is no street office: 403.
    with pytest.raises(PermissionDenied):
        blow(worked, personas["handler"])
    # A department that cannot see the case: 404.
    with pytest.raises(Http404):
        blow(worked, water)
    # Another street's office never sees the case: 404 in the page too.
    other = user_posted(
        username="p-other-street", role=Role.HANDLER, department=huizhou_departments["street-441302002"]
    )
    assert (
        client_for(other)
        .post(f"/dept/cases/{worked.pk}/whistle/", {"note": "x", "departments": ["city-water"]})
        .status_code
        == 404
    )
    # A street office that does not work the case (the lead is the city bureau, nobody assisting): 404 for it.
    alone = cases.to("handling")
    with pytest.raises(Http404):
        blow(alone, personas["street_handler"])
    # The lead cannot be offered the form; the street office is.
    assert "data-whistle-form" not in client_for(personas["handler"]).get(f"/dept/cases/{worked.pk}/").content.decode()
    assert (
        "data-whistle-form" in client_for(personas["street_handler"]).get(f"/dept/cases/{worked.pk}/").content.decode()
    )


def test_only_the_summoned_department_reports(worked, personas, water, housing, huizhou_departments):
    whistle = blow(worked, personas["street_handler"], departments=["city-water"])
    summons = whistle.summonses.get()
    with pytest.raises(PermissionDenied):
        summons_report(summons_id=summons.pk, actor=personas["street_handler"], note="代报到")
    with pytest.raises(Http404):
        summons_report(summons_id=summons.pk, actor=housing, note="不是我们")
    response = client_for(housing).post(f"/dept/cases/{worked.pk}/summonses/{summons.pk}/report/", {"note": "x"})
    assert response.status_code == 404
    # The summons must belong to the case in the URL.
    other = blow(worked, personas["street_handler"], departments=["city-housing"]).summonses.get()
    with pytest.raises(Http404):
        summons_report(summons_id=other.pk, case_id=worked.pk + 1000, actor=housing, note="x")


def test_bad_input_is_a_field_error_and_nothing_is_written(worked, cases, personas):
    street = personas["street_handler"]
    with pytest.raises(ValidationError) as error:
        blow(worked, street, departments=[], note="")
    assert set(error.value.message_dict) == {"departments", "note"}
    with pytest.raises(ValidationError) as error:
        blow(worked, street, departments=["no-such-department", STREET])
    assert "no-such-department" in error.value.message_dict["departments"][0]
    assert not Summons.objects.exists() and not CaseEvent.objects.filter(action="whistle_blown").exists()
    response = client_for(street).post(
        f"/dept/cases/{worked.pk}/whistle/", {"note": "", "departments": []}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 422 and "Choose at least one department to summon" in response.content.decode()


def test_an_ended_case_cannot_be_whistled(worked, cases, personas):
    blow(worked, personas["street_handler"], departments=["city-water"])
    cases.act(worked, "dispatcher", "request_void", note="重复")
    cases.act(worked, "shift_lead", "approve_void")
    with pytest.raises(ConflictError):
        blow(worked, personas["street_handler"], departments=["city-water"])


def test_the_page_blows_the_whistle_and_the_timeline_shows_it(worked, personas, water):
    client = client_for(personas["street_handler"])
    response = client.post(f"/dept/cases/{worked.pk}/whistle/", {"note": "请水务局到场", "departments": ["city-water"]})
    assert response.status_code == 302
    panel = client.get(f"/dept/cases/{worked.pk}/").content.decode()
    assert "Whistle blown (吹哨)" in panel and "惠州市水务局" in panel
    assert 'id="whistle-filter"' in panel


def test_the_summoned_group_keeps_its_query_count_at_3_and_30_cases(cases, personas, water):
    client = client_for(water)

    def make(n):
        for _ in range(n):
            case = cases.to("to_dispatch")
            case = cases.act(
                case, "dispatcher", "dispatch", lead_department=personas["handler_department"].code,
                assisting_departments=[STREET],
            )  # fmt: skip
            blow(case, personas["street_handler"], departments=["city-water"])

    def count():
        with CaptureQueriesContext(connection) as queries:
            response = client.get("/dept/board/")
        return len(queries), response.content.decode()

    make(3)
    few, _body = count()
    make(27)
    many, body = count()
    assert len(group_numbers(body, "whistle")) == 30 and few == many


def test_the_api_blows_lists_and_reports(worked, personas, water):
    from rest_framework.test import APIClient

    api = APIClient()
    api.force_authenticate(personas["street_handler"])
    url = f"/api/v1/cases/{worked.pk}/whistles/"
    refused = api.post(url, {"departments": [], "note": ""}, format="json")
    assert refused.status_code == 400
    response = api.post(url, {"departments": ["city-water"], "note": "请到场"}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["office"] == STREET and [s["department"] for s in body["summonses"]] == ["city-water"]
    summons_id = body["summonses"][0]["id"]
    api.force_authenticate(personas["handler"])
    assert api.post(url, {"departments": ["city-water"], "note": "x"}, format="json").status_code == 403
    assert api.get(url).json()[0]["summonses"][0]["state"] == "open"
    report = f"/api/v1/summonses/{summons_id}/report/"
    assert api.post(report, {"note": "代报"}, format="json").status_code == 403
    api.force_authenticate(water)
    response = api.post(report, {"note": "已到场"}, format="json")
    assert response.status_code == 200 and response.json()["state"] == "reported"
    assert api.post(report, {"note": "再次"}, format="json").status_code == 409
    api.force_authenticate(personas["outsider"])
    assert api.get(url).status_code == 404 and api.post(report, {"note": "x"}, format="json").status_code == 404


def test_every_step_is_in_the_live_feed_of_the_summoned_department(worked, personas, water):
    from rest_framework.test import APIClient

    api = APIClient()
    api.force_authenticate(water)
    cursor = api.get("/api/v1/events/").json()["cursor"]
    whistle = blow(worked, personas["street_handler"], departments=["city-water"])
    summons_report(summons_id=whistle.summonses.get().pk, actor=water, note="已到场")
    events = api.get(f"/api/v1/events/?after={cursor}").json()["events"]
    assert [(e["action"], e["case"]["number"]) for e in events] == [
        ("whistle_blown", worked.number),
        ("whistle_reported", worked.number),
    ]
