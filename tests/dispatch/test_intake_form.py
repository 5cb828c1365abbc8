"""The intake desk's form on its own (parsing only), and the channels and work orders through the API."""

import pytest

from cases.models import Case, Source
from dispatch.pages.intake_form import IntakeForm

pytestmark = pytest.mark.django_db

VALID = {
    "channel": "hotline_12345",
    "work_order_number": " GD-1 ",
    "contact_phone": "13812345678",
    "callback_requested": "on",
    "lon": "114.4",
    "lat": "23.1",
    "category": "e0102",
    "description": " 垃圾 ",
    "submit": "save",
}


def form(**changes):
    data = {**VALID, **changes}
    return IntakeForm({k: v for k, v in data.items() if v is not None}, file_allowed=True)


def test_a_valid_call_gives_the_services_arguments(cases):
    f = form()
    assert f.is_valid(), f.errors
    report = f.report(photos=())
    assert report["category"].code == "0102" and report["source"] == Source.HOTLINE_12345
    assert (report["work_order_number"], report["description"], report["urgency"]) == ("GD-1", "垃圾", "normal")
    assert (report["lon"], report["lat"], report["callback_requested"]) == (114.4, 23.1, True)


def test_the_work_order_number_is_dropped_for_other_channels(cases):
    f = form(channel="counter")
    assert f.is_valid(), f.errors
    assert f.report(photos=())["work_order_number"] == ""


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"work_order_number": ""}, "work_order_number"),
        ({"channel": "grid_worker"}, "channel"),
        ({"category": "C01"}, "category"),
        ({"lon": "181"}, "lon"),
        ({"lat": "NaN"}, "lat"),
        ({"callback_requested": "on", "contact_phone": ""}, "contact_phone"),
        ({"place": "1,2,3", "lon": "", "lat": ""}, "place"),
        ({"filing_condition": "", "submit": "file"}, "filing_condition"),
    ],
)
def test_invalid_input_is_refused_on_its_field(cases, changes, field):
    f = form(**changes)
    assert not f.is_valid()
    assert field in f.errors


def test_a_missing_point_is_a_point_error(cases):
    f = form(lon="", lat="")
    assert not f.is_valid()
    assert f.point_errors == ["Click the map or pick a place from the search."]
    assert f.other_errors == []


def test_a_look_up_requires_nothing(cases):
    f = IntakeForm({"channel": "counter", "submit": "check", "category_q": "blj"})
    assert f.is_valid(), f.errors


def test_the_api_takes_a_12345_work_order_once_and_only_for_12345(cases, personas, api_client_for):
    client = api_client_for(personas["operator"])
    body = {"category": "E0102", "description": "垃圾", "lon": cases.lon, "lat": cases.lat, "source": "hotline_12345"}
    first = client.post("/api/v1/cases/", {**body, "work_order_number": "GD-7", "callback_requested": True})
    assert first.status_code == 201, first.json()
    assert first.json()["work_order_number"] == "GD-7" and first.json()["contact"]["callback_requested"] is True
    again = client.post("/api/v1/cases/", {**body, "work_order_number": "GD-7"})
    assert again.status_code == 400 and first.json()["number"] in again.json()["work_order_number"][0]
    counter = client.post("/api/v1/cases/", {**body, "source": "counter", "work_order_number": "GD-8"})
    assert counter.status_code == 400 and "work_order_number" in counter.json()
    assert Case.objects.count() == 1
