"""自处置: a grid worker reports a minor problem already fixed, with photos before and after; an operator confirms
it (self_close) and the case ends fixed on the spot, counted as such."""

import pytest
from django.test import Client
from rest_framework.test import APIClient

from cases.models import Case, PhotoKind, Status
from tests.fixtures.cases import jpeg_upload

pytestmark = pytest.mark.django_db


def post(user, cases, key=None, **fields):
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(user)
    payload = {"category": "E0102", "description": "路边小堆垃圾，已清走", "lon": cases.lon, "lat": cases.lat, **fields}
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    return client.post("/api/v1/cases/", payload, format="multipart", **headers)


def test_a_fix_on_the_spot_is_reported_with_photos_before_and_after_and_closed_when_confirmed(cases, personas):
    response = post(
        personas["grid_worker"],
        cases,
        key="fixed-1",
        self_handled="true",
        photos=[jpeg_upload("before.jpg", colour=(200, 60, 60))],
        after_photos=[jpeg_upload("after-1.jpg"), jpeg_upload("after-2.jpg", colour=(20, 200, 20))],
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["status"], body["self_handled"]) == ("reported", True)
    case = Case.objects.get(pk=body["id"])
    assert sorted(case.photos.values_list("kind", flat=True)) == [PhotoKind.AFTER, PhotoKind.AFTER, PhotoKind.BEFORE]
    # The same report again (the phone's retry) answers the same case.
    again = post(personas["grid_worker"], cases, key="fixed-1", self_handled="true", after_photos=[jpeg_upload()])
    assert (again.status_code, again.json()["id"]) == (200, case.pk)

    closed = cases.act(case, "operator", "self_close")
    assert closed.status == Status.SELF_CLOSED


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"self_handled": "true"}, "photos"),  # a fix needs a photo of the result
        ({"after_photos": [jpeg_upload()]}, "after_photos"),  # photos of a result need a fix
    ],
)
def test_a_fix_without_its_photos_or_photos_without_a_fix_are_refused_by_name(cases, personas, fields, field):
    before = Case.objects.count()
    response = post(personas["grid_worker"], cases, **fields)
    assert response.status_code == 400 and field in response.json(), response.json()
    assert Case.objects.count() == before


def test_only_a_grid_workers_own_report_is_fixed_on_the_spot(cases, personas):
    response = post(
        personas["operator"], cases, source="hotline_12345", self_handled="true", after_photos=[jpeg_upload()]
    )
    assert response.status_code == 400 and "self_handled" in response.json()


def test_too_many_photos_of_the_result_are_refused_with_the_limit(cases, personas, settings):
    settings.CASE_PHOTOS_MAX = 2
    response = post(
        personas["grid_worker"], cases, self_handled="true", after_photos=[jpeg_upload(f"{i}.jpg") for i in range(3)]
    )
    assert response.status_code == 400
    assert response.json()["code"] == "too_many_photos" and "after_photos" in response.json()


def test_a_self_handled_report_with_photos_only_takes_them_as_the_result(cases, personas):
    case = cases.report(self_handled=True, photos=[jpeg_upload()])
    assert list(case.photos.values_list("kind", flat=True)) == [PhotoKind.AFTER]


def test_my_reports_flag_a_fix_on_the_spot(cases, personas):
    fixed = cases.report(self_handled=True, photos=[jpeg_upload()], after_photos=[jpeg_upload("after.jpg")])
    plain = cases.report()
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(personas["grid_worker"])
    html = client.get("/m/reports/").content.decode()
    item = html.split(f'id="case-{fixed.pk}"')[1].split("</li>")[0]
    assert "m-chip-self-handled" in item and "Fixed on the spot" in item
    assert "m-chip-self-handled" not in html.split(f'id="case-{plain.pk}"')[1].split("</li>")[0]


def test_the_phone_form_offers_the_tick_and_the_photos_of_the_result(personas):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(personas["grid_worker"])
    html = client.get("/m/").content.decode()
    assert 'id="self-handled"' in html and 'id="after-photos"' in html and "I fixed it on the spot" in html


def test_the_assessment_counts_fixes_on_the_spot_for_the_grid_and_the_grid_worker(cases, personas):
    from datetime import timedelta

    from django.utils import timezone

    from assessment.indicators.sql import post_counts, unit_counts

    fixed = cases.report(self_handled=True, photos=[jpeg_upload()], after_photos=[jpeg_upload("after.jpg")])
    cases.act(fixed, "operator", "self_close")
    cases.report(self_handled=True, photos=[jpeg_upload()])  # not confirmed yet: not counted
    cases.to("to_register")  # an ordinary report: not counted
    now = timezone.now()
    window = {"start": now - timedelta(hours=1), "end": now + timedelta(hours=1), "bound": now}
    _departments, leaves = unit_counts(**window)
    assert leaves[cases.community.path]["self_handled"] == 1
    posts = post_counts(**window)
    worker = posts[(personas["grid_worker"].pk, "grid_worker")]
    assert (worker["reports"], worker["self_handled_reports"], worker["effective_reports"]) == (3, 1, 1)


def test_the_operators_are_asked_to_confirm_a_fix_on_the_spot(cases, personas, django_capture_on_commit_callbacks):
    from dispatch.models import Notification

    with django_capture_on_commit_callbacks(execute=True):
        case = cases.report(self_handled=True, photos=[jpeg_upload()], after_photos=[jpeg_upload("after.jpg")])
    (note,) = Notification.objects.filter(case=case)
    assert note.user == personas["operator"] and note.kind == "work"
    assert note.title == f"自处置：案件 {case.number} 待您确认"  # written in the platform's language
