"""The 待核实 queue of sensing in the command centre: operators confirm (→ an accepted case), dismiss, or send a grid
worker to look (→ a case in 核实); detections of other grids are absent; a decided one cannot be decided twice."""

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from accounts.models import Role
from cases.models import Case, CasePhoto, SensingEvent, Source, Status
from cases.services.sensing_queue import sensing_process
from tests.factories.accounts import user_posted
from tests.factories.sensing import detection, sensing_post, sensing_source
from tests.fixtures.cases import jpeg_upload


@pytest.fixture
def waiting(cases, personas):
    """A detection below threshold with a snapshot, and a repeat of it waiting beside it."""
    cache.clear()
    _source, key = sensing_source(owner=personas["handler_department"], classes=(("E0102", "0.8"),))
    body = {**detection(event_id="low-1", lon=cases.lon, lat=cases.lat, confidence=0.55), "attributes": "{}"}
    body["snapshot"] = jpeg_upload("snap.jpg")
    first = sensing_post(key, body, multipart=True).json()
    sensing_post(key, detection(event_id="low-2", lon=cases.lon, lat=cases.lat, confidence=0.6))
    sensing_process()
    return SensingEvent.objects.get(pk=first["id"])


def _client(user):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def test_the_queue_shows_the_waiting_detection_once_with_its_repeat(waiting, personas):
    page = _client(personas["operator"]).get(reverse("command-sensing"))
    assert page.status_code == 200
    html = page.content.decode()
    assert html.count('data-event="') == 1
    assert f'data-event="{waiting.pk}"' in html and "1 repeat" in html
    centre = _client(personas["operator"]).get(reverse("command-centre")).content.decode()
    assert 'id="sensing-link"' in centre


def test_confirming_makes_an_accepted_sensor_case_with_the_snapshot(waiting, personas):
    client = _client(personas["operator"])
    answer = client.post(reverse("command-sensing-decide", args=[waiting.pk, "confirm"]))
    assert answer.status_code == 302
    waiting.refresh_from_db()
    case = waiting.case
    assert (waiting.outcome, waiting.reviewed_by) == ("confirmed", personas["operator"])
    assert (case.source, case.status, case.created_by) == (Source.SENSOR, Status.TO_REGISTER, personas["operator"])
    assert SensingEvent.objects.get(external_id="low-2").case == case
    assert CasePhoto.objects.filter(case=case).count() == 1
    page = client.get(reverse("command-sensing")).content.decode()
    assert "No detection is waiting" in page and case.number in page  # the message names the case
    # Decided already: a second decision changes nothing and says so.
    again = client.post(reverse("command-sensing-decide", args=[waiting.pk, "dismiss"]), follow=True)
    assert "decided meanwhile" in again.content.decode()
    assert Case.objects.filter(source=Source.SENSOR).count() == 1


def test_dismissing_keeps_the_detections_on_record_without_a_case(waiting, personas):
    _client(personas["shift_lead"]).post(reverse("command-sensing-decide", args=[waiting.pk, "dismiss"]))
    outcomes = set(SensingEvent.objects.values_list("outcome", "case"))
    assert outcomes == {("dismissed", None)}
    assert not Case.objects.filter(source=Source.SENSOR).exists()


def test_sending_a_grid_worker_makes_a_case_in_verification_assigned_to_them(waiting, personas):
    client = _client(personas["operator"])
    page = client.get(reverse("command-sensing")).content.decode()
    assert f'value="{personas["grid_worker"].pk}"' in page
    url = reverse("command-sensing-decide", args=[waiting.pk, "verify"])
    client.post(url, {"assignee": personas["grid_worker"].pk})
    waiting.refresh_from_db()
    assert waiting.outcome == "verifying"
    assert (waiting.case.status, waiting.case.assignee) == (Status.VERIFYING, personas["grid_worker"])


def test_a_worker_not_of_the_grid_is_refused_with_a_message_and_nothing_changes(waiting, personas):
    client = _client(personas["operator"])
    url = reverse("command-sensing-decide", args=[waiting.pk, "verify"])
    answer = client.post(url, {"assignee": personas["dispatcher"].pk}, follow=True)
    assert "No grid worker of this case" in answer.content.decode()
    waiting.refresh_from_db()
    assert waiting.outcome == "pending" and not Case.objects.filter(source=Source.SENSOR).exists()


def test_a_desk_of_another_district_does_not_see_the_detection(waiting, huizhou_grid):
    other = user_posted(username="p-huiyang-operator", role=Role.OPERATOR, region=huizhou_grid.huiyang)
    client = _client(other)
    assert f'data-event="{waiting.pk}"' not in client.get(reverse("command-sensing")).content.decode()
    assert client.post(reverse("command-sensing-decide", args=[waiting.pk, "confirm"])).status_code == 404
    assert client.get(reverse("command-sensing-snapshot", args=[waiting.pk])).status_code == 404
    waiting.refresh_from_db()
    assert waiting.outcome == "pending"


def test_the_snapshot_is_served_to_the_desk(waiting, personas):
    answer = _client(personas["operator"]).get(reverse("command-sensing-snapshot", args=[waiting.pk]))
    assert answer.status_code == 200 and answer["Content-Type"] == "image/jpeg"
