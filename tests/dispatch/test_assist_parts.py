"""协办: a dispatch gives each assisting department a part; its handlers see the case on /dept/ and give the part;
the lead department's feedback waits for the parts or records that they are missing."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from accounts.models import Role
from cases.models import AssistPart, CaseEvent, PartState, Status
from cases.permissions import case_allowed_actions
from dispatch.models import Notification
from grids.models import Department
from huizhou_cityops.errors import ConflictError
from tests.dispatch.boards import client_for, group_numbers
from tests.factories.accounts import user_posted
from tests.fixtures.cases import jpeg_upload

pytestmark = pytest.mark.django_db

STREET = "street-441302001"


@pytest.fixture
def assisted(cases, personas, django_capture_on_commit_callbacks):
    """A case in handling, led by the city bureau with the 桥东 street office assisting."""
    case = cases.to("to_dispatch")
    with django_capture_on_commit_callbacks(execute=True):
        return cases.act(
            case, "dispatcher", "dispatch", lead_department=personas["handler_department"].code,
            assisting_departments=[STREET, "city-water"],
        )  # fmt: skip


def test_the_dispatch_opens_one_part_per_assisting_department_and_tells_their_handlers(assisted, personas):
    parts = AssistPart.objects.filter(case=assisted).order_by("department__code")
    assert [(p.department.code, p.state) for p in parts] == [("city-water", "open"), (STREET, "open")]
    event = CaseEvent.objects.get(case=assisted, action="dispatch")
    assert all(p.opened_at == event.at for p in parts)
    told = Notification.objects.filter(event=event, user=personas["street_handler"])
    assert told.count() == 1 and "协办" in told.get().title


def test_a_redispatch_withdraws_the_old_parts_and_opens_new_ones(assisted, cases, personas):
    cases.act(assisted, "handler", "request_return", note="不属于本局")
    case = cases.act(assisted, "dispatcher", "approve_return")
    assert not AssistPart.objects.open().filter(case=case).exists()
    case = cases.act(case, "dispatcher", "dispatch", lead_department=STREET, assisting_departments=["city-water"])
    assert list(AssistPart.objects.open().filter(case=case).values_list("department__code", flat=True)) == [
        "city-water"
    ]
    assert AssistPart.objects.filter(case=case, state=PartState.WITHDRAWN).count() == 2


def test_the_assisting_handler_sees_the_case_under_assisting_and_gives_the_part(assisted, personas):
    client = client_for(personas["street_handler"])
    body = client.get("/dept/").content.decode()
    assert group_numbers(body, "assist") == {assisted.number}
    panel = client.get(f"/dept/cases/{assisted.pk}/").content.decode()
    # Read-only but for the part: the lead's actions are not offered.
    assert 'data-action="assist_feedback"' in panel and 'data-action="feedback"' not in panel
    assert client.post(f"/dept/cases/{assisted.pk}/actions/feedback/", {"note": "x"}).status_code == 403

    response = client.post(
        f"/dept/cases/{assisted.pk}/actions/assist_feedback/",
        {"note": "已配合清运，出动2人", "photos": [jpeg_upload()]},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200, response.content.decode()[:2000]
    part = AssistPart.objects.get(case=assisted, department__code=STREET)
    assert (part.state, part.feedback, part.answered_by) == ("done", "已配合清运，出动2人", personas["street_handler"])
    event = CaseEvent.objects.filter(case=assisted).latest("id")
    assert (event.action, event.from_status, event.to_status) == ("assist_feedback", "handling", "handling")
    assert event.department.code == STREET and event.data["department"] == STREET
    assert assisted.photos.filter(event=event).count() == 1
    # Once given, the case leaves the group and the action is no longer offered; a second try is a 409.
    assert assisted.number not in group_numbers(client.get("/dept/").content.decode(), "assist")
    again = client.post(f"/dept/cases/{assisted.pk}/actions/assist_feedback/", {"note": "再次"})
    assert again.status_code == 409 and "already given its part" in again.content.decode()


def test_the_lead_department_is_told_when_a_part_is_given(
    assisted, cases, personas, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        cases.act(assisted, "street_handler", "assist_feedback", note="已配合")
    event = CaseEvent.objects.filter(case=assisted, action="assist_feedback").get()
    told = set(Notification.objects.filter(event=event).values_list("user__username", flat=True))
    assert told == {"p-handler"}


def test_a_part_needs_a_note_and_is_given_once(assisted, cases):
    with pytest.raises(ValidationError):
        cases.act(assisted, "street_handler", "assist_feedback", note=" ")
    cases.act(assisted, "street_handler", "assist_feedback", note="已配合")
    with pytest.raises(ConflictError):
        cases.act(assisted, "street_handler", "assist_feedback", note="再来一次")


def test_an_outsider_department_gets_404_and_the_lead_may_not_give_a_part(
    assisted, cases, personas, huizhou_departments
):
    outsider = user_posted(username="p-water-other", role=Role.HANDLER, department=huizhou_departments["city-housing"])
    client = client_for(outsider)
    assert client.get(f"/dept/cases/{assisted.pk}/").status_code == 404
    assert client.post(f"/dept/cases/{assisted.pk}/actions/assist_feedback/", {"note": "x"}).status_code == 404
    assert assisted.number not in client.get("/dept/").content.decode()
    with pytest.raises(PermissionDenied):
        cases.act(assisted, "handler", "assist_feedback", note="牵头单位不给协办")
    assert "assist_feedback" not in case_allowed_actions(user=personas["handler"], case=assisted)


def test_the_lead_feedback_with_open_parts_is_refused_unless_the_missing_parts_are_acknowledged(assisted, cases):
    with pytest.raises(ValidationError) as refused:
        cases.act(assisted, "handler", "feedback", note="已清理", photos=[jpeg_upload()])
    message = refused.value.message_dict["parts_missing"][0]
    assert "惠州市水务局" in message and "桥东街道办事处" in message
    assert assisted.__class__.objects.get(pk=assisted.pk).status == Status.HANDLING

    cases.act(assisted, "street_handler", "assist_feedback", note="已配合")
    case = cases.act(assisted, "handler", "feedback", note="已清理", photos=[jpeg_upload()], parts_missing=True)
    assert case.status == Status.TO_CHECK
    event = CaseEvent.objects.filter(case=case, action="feedback").get()
    assert event.data["parts_missing"] == ["city-water"] and event.data["parts_missing_names"] == ["惠州市水务局"]


def test_the_lead_feedback_needs_no_acknowledgement_once_every_part_is_in(
    assisted, cases, personas, huizhou_departments
):
    water = user_posted(username="p-water", role=Role.HANDLER, department=huizhou_departments["city-water"])
    personas["water"] = water
    cases.act(assisted, "street_handler", "assist_feedback", note="已配合")
    cases.act(assisted, "water", "assist_feedback", note="已抢修管道")
    case = cases.act(assisted, "handler", "feedback", note="已清理", photos=[jpeg_upload()])
    assert "parts_missing" not in CaseEvent.objects.filter(case=case, action="feedback").get().data


def test_the_page_shows_the_tick_box_and_the_timeline_shows_the_missing_parts(assisted, personas):
    client = client_for(personas["handler"])
    url = f"/dept/cases/{assisted.pk}/actions/feedback/"
    refused = client.post(url, {"note": "已清理", "photos": [jpeg_upload()]}, HTTP_HX_REQUEST="true")
    assert refused.status_code == 422
    body = refused.content.decode()
    assert 'name="parts_missing"' in body and "have not given their part yet" in body
    done = client.post(
        url, {"note": "已清理", "photos": [jpeg_upload()], "parts_missing": "true"}, HTTP_HX_REQUEST="true"
    )
    assert done.status_code == 200
    assert "Assisting departments had not given their part" in done.content.decode()


def test_the_api_takes_the_part_and_the_acknowledgement(assisted, personas):
    api = APIClient()
    api.force_authenticate(personas["street_handler"])
    response = api.post(
        f"/api/v1/cases/{assisted.pk}/transitions/", {"action": "assist_feedback", "note": "已配合"}, format="json"
    )
    assert response.status_code == 200, response.content
    api.force_authenticate(personas["handler"])
    url = f"/api/v1/cases/{assisted.pk}/transitions/"
    body = {"action": "feedback", "note": "已清理", "photos": [jpeg_upload()]}
    response = api.post(url, body, format="multipart")
    assert response.status_code == 400 and "parts_missing" in response.content.decode(), response.content
    response = api.post(url, {**body, "photos": [jpeg_upload()], "parts_missing": "true"}, format="multipart")
    assert response.status_code == 200, response.content
    assert CaseEvent.objects.filter(case=assisted, action="feedback").get().data["parts_missing"] == ["city-water"]


def test_the_assisting_group_keeps_its_query_count_at_3_and_30_cases(cases, personas):
    client = client_for(personas["street_handler"])

    def make(n):
        for _ in range(n):
            case = cases.to("to_dispatch")
            cases.act(
                case, "dispatcher", "dispatch", lead_department=personas["handler_department"].code,
                assisting_departments=[STREET],
            )  # fmt: skip

    def count():
        with CaptureQueriesContext(connection) as queries:
            response = client.get("/dept/board/")
        assert response.status_code == 200
        return len(queries), response.content.decode()

    make(3)
    few, _body = count()
    make(27)
    many, body = count()
    assert len(group_numbers(body, "assist")) == 30 and few == many
    assert Department.objects.get(code=STREET)


def test_a_part_never_given_reads_not_given_once_the_case_has_ended(assisted, personas):
    lead = client_for(personas["handler"])
    assert "Awaiting the part" in lead.get(f"/dept/cases/{assisted.pk}/").content.decode()
    type(assisted).objects.filter(pk=assisted.pk).update(status=Status.CLOSED)
    body = client_for(personas["dispatcher"]).get(f"/command/cases/{assisted.pk}/").content.decode()
    assert "Part not given" in body and "Awaiting the part" not in body
