"""Supervision orders (督办 / 挂牌督办): a leader issues, the lead department replies, unanswered ones go overdue."""

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import Role
from cases.models import Case, CaseEvent
from dispatch.models import Notification, OrderState, OutboxMessage, SupervisionOrder
from dispatch.services.orders import orders_sweep
from grids.models import Department
from tests.factories.accounts import user_posted
from tests.fixtures.grid import HUIYANG

pytestmark = pytest.mark.django_db


def client_for(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def issue(user, case, **payload):
    body = {"note": "三天内清理完毕并回复", "reply_hours": "8", "formal": False, **payload}
    return client_for(user).post(f"/api/v1/cases/{case.pk}/orders/", body, format="json")


def reply(user, order_id, text="已组织清运，明日复查"):
    return client_for(user).post(f"/api/v1/orders/{order_id}/reply/", {"reply": text}, format="json")


@pytest.fixture
def handling(cases):
    return cases.to("handling")


@pytest.fixture
def huiyang_leader(huizhou_grid):
    from grids.models import Region

    return user_posted(
        username="p-huiyang-leader", role=Role.LEADER, region=Region.objects.defer("geom").get(code=HUIYANG)
    )


def test_leader_issues_an_order_the_case_is_supervised_and_the_department_is_told(
    handling, personas, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = issue(personas["leader"], handling, formal=True)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["state"] == "open" and body["formal"] is True and body["case"]["number"] == handling.number
    order = SupervisionOrder.objects.get(pk=body["id"])
    assert order.reply_deadline > order.issued_at and order.issued_by == personas["leader"]
    assert Case.objects.get(pk=handling.pk).supervised is True

    event = CaseEvent.objects.filter(case=handling).latest("id")
    assert (event.action, event.from_status, event.to_status) == ("order_issued", "handling", "handling")
    assert event.actor == personas["leader"] and event.actor_role == "leader" and event.data["order"] == order.pk

    told = set(Notification.objects.filter(event=event, kind="order").values_list("user__username", flat=True))
    # The lead department's handlers, and the command centre whose queue the case is in (its district's).
    assert told == {"p-handler", "p-district-dispatcher"}
    assert "挂牌督办" in Notification.objects.filter(event=event).first().title
    # Orders are urgent: everyone told with an email address gets an email too.
    assert OutboxMessage.objects.filter(notification__event=event, channel="email").count() == 2


def test_the_reply_deadline_counts_working_hours(handling, personas):
    from dispatch.services.orders import order_issue

    friday_evening = timezone.make_aware(timezone.datetime(2025, 11, 21, 17, 0))
    order = order_issue(case_id=handling.pk, actor=personas["leader"], note="跟进", reply_hours=2, now=friday_evening)
    # One working hour is left on Friday (to 18:00 by the default periods), the second one is Monday morning.
    assert timezone.localtime(order.reply_deadline).date().isoformat() == "2025-11-24"


def test_leader_outside_the_district_gets_404(handling, huiyang_leader):
    assert issue(huiyang_leader, handling).status_code == 404
    assert not SupervisionOrder.objects.exists()


def test_dispatcher_who_sees_the_case_may_not_issue_an_order(handling, personas):
    assert issue(personas["dispatcher"], handling).status_code == 403


def test_an_order_on_an_ended_case_is_a_conflict(cases, personas):
    closed = cases.to("closed")
    response = issue(personas["leader"], closed)
    assert response.status_code == 409 and response.json()["code"] == "case_ended"


@pytest.mark.parametrize(
    "payload, field",
    [({"reply_hours": "0"}, "reply_hours"), ({"reply_hours": "1000"}, "reply_hours"), ({"note": "  "}, "note")],
)
def test_bad_input_is_400_with_the_field(handling, personas, payload, field):
    response = issue(personas["leader"], handling, **payload)
    assert response.status_code == 400 and field in response.json()


def test_the_lead_department_replies_on_time_and_the_leader_is_told(
    handling, personas, django_capture_on_commit_callbacks
):
    order_id = issue(personas["leader"], handling).json()["id"]
    with django_capture_on_commit_callbacks(execute=True):
        response = reply(personas["handler"], order_id)
    assert response.status_code == 200, response.content
    assert response.json()["state"] == "replied" and response.json()["replied_by"]
    event = CaseEvent.objects.filter(case=handling, action="order_replied").get()
    assert event.data["on_time"] is True and event.actor_role == "handler"
    assert list(Notification.objects.filter(event=event).values_list("user__username", "kind")) == [
        ("p-leader", "order_reply")
    ]
    assert reply(personas["handler"], order_id).status_code == 409


def test_a_handler_of_another_department_gets_404_or_403(cases, personas):
    street_office = personas["street_handler"].postings.get().department
    case = cases.to("to_dispatch")
    case = cases.act(
        case,
        "dispatcher",
        "dispatch",
        lead_department=personas["handler_department"].code,
        assisting_departments=[street_office.code],
    )
    order_id = issue(personas["leader"], case).json()["id"]
    # The assisting office sees the case but does not lead it: 403. A department that does not see it: 404.
    assert reply(personas["street_handler"], order_id).status_code == 403
    danshui_office = Department.objects.get(code="street-441303001")
    other = user_posted(username="p-other-handler", role=Role.HANDLER, department=danshui_office)
    assert reply(other, order_id).status_code == 404
    assert SupervisionOrder.objects.get(pk=order_id).state == OrderState.OPEN


def test_an_unanswered_order_goes_overdue_once_and_tells_the_leader_and_the_city_centre(
    handling, personas, django_capture_on_commit_callbacks
):
    order_id = issue(personas["leader"], handling).json()["id"]
    order = SupervisionOrder.objects.get(pk=order_id)
    later = order.reply_deadline + timedelta(minutes=1)
    assert orders_sweep(now=order.reply_deadline - timedelta(minutes=1)) == 0
    with django_capture_on_commit_callbacks(execute=True):
        assert orders_sweep(now=later) == 1
        assert orders_sweep(now=later) == 0  # idempotent: a second sweep finds nothing to do
    order.refresh_from_db()
    assert order.state == OrderState.OVERDUE and order.overdue_at == later
    event = CaseEvent.objects.get(case=handling, action="order_overdue")
    assert event.actor is None and event.actor_role == "system"
    told = set(Notification.objects.filter(event=event, kind="order_overdue").values_list("user__username", flat=True))
    assert told == {"p-leader", "p-dispatcher"}  # the issuing leader and the city command centre

    # A late reply is still taken, and recorded as late.
    assert reply(personas["handler"], order_id).status_code == 200
    assert CaseEvent.objects.get(case=handling, action="order_replied").data["on_time"] is False


def test_a_withdrawn_order_cannot_be_answered_and_the_case_is_no_longer_supervised(handling, personas):
    order_id = issue(personas["leader"], handling).json()["id"]
    response = client_for(personas["leader"]).post(f"/api/v1/orders/{order_id}/withdraw/", {}, format="json")
    assert response.status_code == 200 and response.json()["state"] == "withdrawn"
    assert Case.objects.get(pk=handling.pk).supervised is False
    assert reply(personas["handler"], order_id).status_code == 409


def test_the_order_list_is_scoped_and_filtered(handling, personas):
    issue(personas["leader"], handling, formal=True)
    issue(personas["leader"], handling, formal=False)

    def listed(user, query=""):
        response = client_for(user).get(f"/api/v1/orders/{query}")
        assert response.status_code == 200, response.content
        return response.json()["results"]

    assert len(listed(personas["dispatcher"])) == 2
    assert [o["formal"] for o in listed(personas["dispatcher"], "?formal=true")] == [True]
    assert len(listed(personas["handler"], "?state=open")) == 2
    assert listed(personas["handler"], "?state=replied") == []
    assert listed(personas["outsider"]) == []
    assert (
        client_for(personas["outsider"]).get(f"/api/v1/orders/{listed(personas['leader'])[0]['id']}/").status_code
        == 404
    )
    assert client_for(personas["dispatcher"]).get("/api/v1/orders/?state=nonsense").status_code == 400


def test_anonymous_callers_get_401(handling):
    assert APIClient().get("/api/v1/orders/").status_code == 401
    assert APIClient().post(f"/api/v1/cases/{handling.pk}/orders/", {}, format="json").status_code == 401
