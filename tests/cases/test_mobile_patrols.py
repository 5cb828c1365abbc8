"""The grid worker's patrol on the phone pages: the patrol card's settings and the attendance page (/m/patrols/)."""

import json
import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from grids.services.patrols import patrol_end, patrol_start, patrol_track_add
from tests.fixtures.grid import QIAODONG_COMMUNITY

pytestmark = pytest.mark.django_db


def _config(response):
    html = response.content.decode()
    marker = '<script id="m-config" type="application/json">'
    start = html.index(marker) + len(marker)
    return json.loads(html[start : html.index("</script>", start)])


def test_the_report_form_carries_the_patrol_card_and_the_open_patrol(client, grid_worker, settings):
    settings.PATROL_TRACK_SECONDS = 15
    client.force_login(grid_worker)
    patrol = _config(client.get("/m/"))["patrol"]
    assert patrol["open"] is None and patrol["seconds"] == 15 and patrol["lowBatterySeconds"] >= 15
    assert patrol["track"] == "/api/v1/patrols/{id}/track/" and patrol["end"] == "/api/v1/patrols/{id}/end/"
    session, _ = patrol_start(user=grid_worker, client_id=uuid.uuid4())
    response = client.get("/m/")
    assert 'id="patrol-start"' in response.content.decode()
    assert _config(response)["patrol"]["open"]["client_id"] == str(session.client_id)


def test_the_attendance_page_adds_up_todays_patrols(client, grid_worker, huizhou_grid, monkeypatch):
    # The page's clock at 10:00 Beijing time, so both patrols fall on its day whenever the test runs.
    now = timezone.localtime().replace(hour=10, minute=0, second=0, microsecond=0)
    monkeypatch.setattr("cases.views.mobile.timezone.now", lambda: now)
    morning, _ = patrol_start(user=grid_worker, client_id=uuid.uuid4(), started_at=now - timedelta(minutes=90), now=now)
    point = huizhou_grid.point_in(QIAODONG_COMMUNITY)
    patrol_track_add(
        user=grid_worker,
        client_id=morning.client_id,
        points=[{"recorded_at": now - timedelta(minutes=80), "point": point}],
        now=now,
    )
    patrol_end(user=grid_worker, client_id=morning.client_id, ended_at=now - timedelta(minutes=60), now=now)
    patrol_start(user=grid_worker, client_id=uuid.uuid4(), started_at=now - timedelta(minutes=15), now=now)
    client.force_login(grid_worker)
    page = client.get("/m/patrols/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    # 30 minutes in the morning's patrol, 15 in the open one.
    assert "On duty today: 0:45 h" in page
    assert page.count("data-patrol=") == 2 and "1 position" in page


def test_other_roles_are_sent_to_the_explanation(client, dispatcher):
    client.force_login(dispatcher)
    assert client.get("/m/patrols/").status_code == 403
