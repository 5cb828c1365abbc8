"""A facility's page: its facts and the cases about it, in the reader's scope; the command centre's map layer."""

import pytest

from tests.factories.facilities import facility_at

pytestmark = pytest.mark.django_db


@pytest.fixture
def cover(cases, huizhou_departments):
    return facility_at(
        lon=cases.lon, lat=cases.lat, class_code="0101", owner="utility-water-supply", state="damaged", name="上水井盖"
    )


def test_the_page_shows_owner_state_and_the_case_history_linked_to_the_panel(client, cases, catalogue, cover, personas):
    named = cases.report(category=catalogue.category("C0101"), facility=cover.code)
    cases.report(category=catalogue.category("C0101"))  # the same class nearby, without naming it
    client.force_login(personas["dispatcher"])
    page = client.get(f"/facilities/{cover.code}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "惠州市供水有限公司" in page and "Damaged" in page and "C0101" in page
    assert page.count('class="facility-case"') == 1
    assert f'href="/command/cases/{named.pk}/"' in page and named.number in page


def test_a_grid_worker_reads_it_without_panel_links_and_an_outsider_gets_404(client, cases, catalogue, cover, personas):
    named = cases.report(category=catalogue.category("C0101"), facility=cover.code)
    client.force_login(personas["grid_worker"])
    page = client.get(f"/facilities/{cover.code}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert named.number in page and "/command/cases/" not in page
    client.force_login(personas["outsider"])
    assert client.get(f"/facilities/{cover.code}/").status_code == 404


def test_the_map_layer_gives_facilities_in_the_box_with_their_state(client, cases, cover, personas):
    client.force_login(personas["dispatcher"])
    box = f"{cases.lon - 0.001},{cases.lat - 0.001},{cases.lon + 0.001},{cases.lat + 0.001}"
    body = client.get(f"/command/map/facilities/?bbox={box}").json()
    assert [(f["properties"]["code"], f["properties"]["state"]) for f in body["features"]] == [(cover.code, "damaged")]
    assert body["truncated"] is False
    assert client.get("/command/map/facilities/?bbox=1,2").status_code == 400


def test_the_intake_desk_offers_the_facilities_here_and_records_the_one_picked(client, cases, cover, personas):
    from cases.models import Case
    from tests.dispatch.test_pages_intake import call

    client.force_login(personas["operator"])
    check = client.get(f"/command/intake/check/?lon={cases.lon}&lat={cases.lat}&category=C0101").content.decode()
    assert f'name="facility" value="{cover.code}"' in check
    answer = client.post("/command/intake/", call(cases, category="C0101", facility=cover.code))
    assert answer.status_code == 302
    assert Case.objects.get(work_order_number="GD20261206001").facility == cover
    wrong = client.post(
        "/command/intake/",
        call(cases, category="C0102", work_order_number="GD2", facility_code=cover.code),
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert wrong.status_code == 422 and "is of class 0101, not 0102" in wrong.content.decode()
