"""The inbox in the pages: the bell on every page, the list with its filters, mark read, channel preferences."""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cases.models import CaseEvent
from dispatch.models import Notification, NotificationKind, NotificationPreference, OutboxMessage
from dispatch.models.notifications import URGENT_KINDS
from dispatch.notifications.selectors import notification_preferences_for_user
from dispatch.notifications.services import notification_preferences_set, notifications_create
from dispatch.pages.inbox import case_link
from tests.dispatch.test_notifications import fire

pytestmark = pytest.mark.django_db


def client_for(user):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def notify(user, case, kind="work", title="新案件", minutes_ago=0):
    event = CaseEvent.objects.filter(case=case).latest("id")
    note = Notification.objects.create(user=user, kind=kind, case=case, event=event, title=title)
    if minutes_ago:
        Notification.objects.filter(pk=note.pk).update(created_at=timezone.now() - timedelta(minutes=minutes_ago))
    return note


def bell_count(html):
    match = re.search(r'id="inbox-bell".*?data-unread>(\d+)<', html, re.S)
    assert match, "no bell on the page"
    return int(match.group(1))


@pytest.fixture
def case(cases):
    return cases.to("handling")


# ---- the bell ----


@pytest.mark.parametrize(
    ("persona", "url"),
    [
        ("dispatcher", "/command/"),
        ("handler", "/dept/"),
        ("grid_worker", "/m/"),
        ("grid_worker", "/m/tasks/"),
        ("grid_worker", "/m/reports/"),
        ("leader", "/assessment/"),
        ("operator", "/"),
        ("operator", "/inbox/"),
    ],
)
def test_every_surface_shows_the_bell_with_the_unread_count(cases, personas, case, persona, url):
    user = personas[persona]
    Notification.objects.filter(user=user).delete()
    notify(user, case)
    read = notify(user, case, kind="warning")
    Notification.objects.filter(pk=read.pk).update(read_at=timezone.now())
    response = client_for(user).get(url, follow=True)
    assert response.status_code == 200
    assert bell_count(response.content.decode()) == 1


def test_the_count_endpoint_answers_the_unread_count_in_one_query(personas, case):
    user = personas["handler"]
    Notification.objects.filter(user=user).delete()
    for kind in ("work", "warning", "overdue"):
        notify(user, case, kind=kind)
    client = client_for(user)
    client.get("/inbox/count/")  # the session and the user are read once per request: measure the count itself
    with CaptureQueriesContext(connection) as queries:
        answer = client.get("/inbox/count/").json()
    ours = [q["sql"] for q in queries if "django_session" not in q["sql"] and "SAVEPOINT" not in q["sql"]]
    assert len(ours) == 2 and "accounts_user" in ours[0]  # the signed-in user, then the one count
    assert ours[1].startswith("SELECT COUNT(*)") and "dispatch_notification" in ours[1]
    assert answer == {"unread": Notification.objects.filter(user=user, read_at__isnull=True).count()}


def test_anonymous_visitors_have_no_bell_and_the_count_asks_them_to_sign_in(db):
    assert 'id="inbox-bell"' not in Client().get("/accounts/login/").content.decode()
    assert Client().get("/inbox/count/").status_code == 302


# ---- the list ----


def test_the_list_is_newest_first_and_filters_by_unread_kind_and_day(personas, case):
    user = personas["handler"]
    Notification.objects.filter(user=user).delete()
    events = list(CaseEvent.objects.filter(case=case).order_by("id"))
    old = Notification.objects.create(user=user, kind="warning", case=case, event=events[0], title="旧的预警")
    Notification.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=3), read_at=timezone.now())
    Notification.objects.create(user=user, kind="work", case=case, event=events[1], title="新工作")
    Notification.objects.create(user=user, kind="overdue", case=case, event=events[2], title="已超期")
    client = client_for(user)

    def titles(query=""):
        html = client.get("/inbox/" + query).content.decode()
        return re.findall(r'class="inbox-title">(?:<a [^>]*>)?([^<]+)<', html)

    assert titles() == ["已超期", "新工作", "旧的预警"]
    assert titles("?unread=on") == ["已超期", "新工作"]
    assert titles("?kind=work") == ["新工作"]
    today = timezone.localdate()
    assert titles(f"?day_from={today - timedelta(days=1)}") == ["已超期", "新工作"]
    assert titles(f"?day_to={today - timedelta(days=2)}") == ["旧的预警"]


def test_bad_filters_are_named_in_the_page_and_filter_nothing(personas, case):
    user = personas["handler"]
    notify(user, case)
    html = client_for(user).get("/inbox/?kind=nonsense&day_from=2026-13-40&before=x").content.decode()
    assert "form-errors" in html and "inbox-item" in html


def test_the_list_pages_by_keyset_with_constant_queries(cases, personas, case, django_assert_max_num_queries):
    user = personas["handler"]
    Notification.objects.filter(user=user).delete()
    kinds = list(NotificationKind.values)
    events = list(CaseEvent.objects.filter(case__in=[case, cases.report()]).order_by("id"))
    rows = [(e, k) for e in events for k in kinds][:33]
    assert len(rows) == 33, "the case needs enough events for 33 distinct notifications"
    Notification.objects.bulk_create(Notification(user=user, kind=k, case=case, event=e, title="x") for e, k in rows)
    client = client_for(user)
    first = client.get("/inbox/").content.decode()
    assert first.count('class="card inbox-item') == 30
    older = re.search(r'href="\?([^"]*before=\d+)"', first).group(1).replace("&amp;", "&")
    second = client.get("/inbox/?" + older).content.decode()
    assert second.count('class="card inbox-item') == 3 and "Older notifications" not in second
    # 3 rows or 30 rows: the same queries.
    with django_assert_max_num_queries(10) as few:
        client.get("/inbox/?" + older)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get("/inbox/")


def test_each_item_opens_its_case_on_the_users_work_page_and_is_marked_read(cases, personas, case):
    handler_note = notify(personas["handler"], case)
    response = client_for(personas["handler"]).get(f"/inbox/{handler_note.pk}/")
    assert response["Location"] == f"/dept/?case={case.pk}"
    handler_note.refresh_from_db()
    assert handler_note.read_at is not None
    dispatcher_note = notify(personas["dispatcher"], case)
    assert client_for(personas["dispatcher"]).get(f"/inbox/{dispatcher_note.pk}/")["Location"] == (
        f"/command/?case={case.pk}"
    )
    checking = cases.to("checking", case=cases.report())
    worker = personas["grid_worker"]
    assert case_link(worker, checking) == f"/m/tasks/#case-{checking.pk}"
    assert case_link(worker, case) == f"/m/reports/#case-{case.pk}"


def test_opening_or_marking_another_users_notification_is_404(personas, case):
    theirs = notify(personas["handler"], case)
    other = client_for(personas["street_handler"])
    assert other.get(f"/inbox/{theirs.pk}/").status_code == 404
    assert other.post(f"/inbox/{theirs.pk}/read/").status_code == 404
    assert other.post(f"/inbox/{2**63}/read/").status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_mark_read_and_mark_all_read_work_without_javascript_and_touch_only_ones_own(personas, case):
    mine = [notify(personas["handler"], case, kind=k) for k in ("work", "warning", "overdue")]
    theirs = notify(personas["dispatcher"], case)
    client = client_for(personas["handler"])
    response = client.post(f"/inbox/{mine[0].pk}/read/", {"next": "/inbox/?kind=work"})
    assert (response.status_code, response["Location"]) == (302, "/inbox/?kind=work")
    assert Notification.objects.filter(user=personas["handler"], read_at__isnull=True).count() == 2
    response = client.post("/inbox/read-all/", {"next": "https://evil.example/"})
    assert response["Location"] == "/inbox/"
    assert not Notification.objects.filter(user=personas["handler"], read_at__isnull=True).exists()
    theirs.refresh_from_db()
    assert theirs.read_at is None
    assert bell_count(client.get("/inbox/").content.decode()) == 0


def test_with_htmx_the_answer_carries_the_new_count(personas, case):
    notify(personas["handler"], case)
    note = notify(personas["handler"], case, kind="warning")
    client = client_for(personas["handler"])
    response = client.post(f"/inbox/{note.pk}/read/", {"next": "/inbox/"}, HTTP_HX_REQUEST="true", follow=True)
    assert 'id="inbox-main" data-unread="1"' in response.content.decode()


# ---- preferences ----


def test_the_settings_list_every_kind_with_todays_defaults(personas):
    rows = {r["kind"]: r for r in notification_preferences_for_user(user=personas["handler"])}
    assert set(rows) == set(NotificationKind.values)
    assert (rows["overdue"]["email"], rows["overdue"]["sms"]) == (True, True)
    assert (rows["work"]["email"], rows["work"]["sms"]) == (False, False)
    html = client_for(personas["handler"]).get("/inbox/settings/").content.decode()
    for kind in NotificationKind.values:
        assert f'name="email_{kind}"' in html and f'name="sms_{kind}"' in html


def test_saving_the_settings_stores_only_what_differs_from_the_default(personas):
    user = personas["handler"]
    # The defaults (urgent kinds by email and SMS), but email for new work too and no SMS for overdue.
    urgent = {str(kind) for kind in URGENT_KINDS}
    data = {f"email_{k}": "on" for k in urgent | {"work"}}
    data |= {f"sms_{k}": "on" for k in urgent - {"overdue"}}
    response = client_for(user).post("/inbox/settings/", data)
    assert response.status_code == 302
    stored = set(NotificationPreference.objects.filter(user=user).values_list("kind", "email", "sms"))
    assert stored == {("overdue", True, False), ("work", True, False)}


def test_the_outbox_follows_the_recipients_preferences(cases, personas, case):
    handler, dispatcher = personas["handler"], personas["district_dispatcher"]
    handler.phone = "13800138000"
    handler.save()
    notification_preferences_set(user=handler, choices={"overdue": {"email": False, "sms": True}})
    notification_preferences_set(user=dispatcher, choices={"overdue": {"email": False, "sms": False}})
    event = fire(case, "overdue", 100)
    channels = set(OutboxMessage.objects.filter(notification__event=event).values_list("recipient", "channel"))
    assert channels == {("13800138000", "sms")}  # the dispatcher chose the inbox only, the handler SMS only
    assert Notification.objects.filter(event=event, user__in=[handler, dispatcher]).count() == 2  # inbox always

    # A kind that is not urgent leaves by email once someone asks for it.
    notification_preferences_set(user=dispatcher, choices={"work": {"email": True, "sms": False}})
    work = CaseEvent.objects.filter(case=case).earliest("id")
    notifications_create(kind="work", event=work, user_ids={dispatcher.pk, handler.pk}, title="新工作")
    assert set(OutboxMessage.objects.filter(notification__event=work).values_list("recipient", "channel")) == {
        (dispatcher.email, "email")
    }


def test_without_preferences_the_urgent_kinds_go_out_by_email_as_before(cases, personas, case):
    event = fire(case, "overdue", 100)
    assert OutboxMessage.objects.filter(notification__event=event, channel="email").count() == 2
