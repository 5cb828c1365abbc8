"""The API answers a report from what intake made, without reading it back: the same body a fresh read gives, in a
number of queries that does not grow with the photos."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from cases.models import Case
from tests.fixtures.cases import jpeg_upload

pytestmark = pytest.mark.django_db

# Token and postings, category, grid, the case number, the stage's limits, the case, its event, its follow-ups,
# the duplicate candidates, the transaction: see README "REST API" (intake).
INTAKE_MAX_QUERIES = 12


def client_for(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def without_clock(body):
    """The answer without the countdown, which moves between two reads."""
    deadlines = {k: v for k, v in body["deadlines"].items() if k not in ("remaining_seconds", "remaining")}
    return {**body, "deadlines": deadlines}


def report(client, cases, **fields):
    body = {"category": "E0102", "description": "东湖路口暴露垃圾", "lon": cases.lon, "lat": cases.lat, **fields}
    multipart = any(key in fields for key in ("photos", "after_photos"))
    return client.post("/api/v1/cases/", body, format="multipart" if multipart else "json")


@pytest.mark.parametrize(
    "fields",
    [
        {},
        {"address": "东湖路 12 号", "contact_name": "李先生", "urgency": "urgent"},
        {"photos": [jpeg_upload("a.jpg"), jpeg_upload("b.jpg", colour=(10, 10, 200))]},
        {"self_handled": "true", "photos": [jpeg_upload("before.jpg")], "after_photos": [jpeg_upload("after.jpg")]},
    ],
    ids=["plain", "with-contact-and-urgency", "with-photos", "fixed-on-the-spot"],
)
def test_the_answer_to_a_report_is_the_detail_a_fresh_read_gives(cases, personas, fields):
    client = client_for(personas["grid_worker"])
    created = report(client, cases, **fields)
    assert created.status_code == 201, created.content
    body = created.json()
    detail = client.get(f"/api/v1/cases/{body['id']}/")
    assert detail.status_code == 200
    assert without_clock(body) == without_clock(detail.json())
    assert len(body["timeline"]) == 1 and len(body["photos"]) == len(fields.get("photos", [])) + len(
        fields.get("after_photos", [])
    )


def test_a_report_of_the_desk_is_answered_like_a_fresh_read(cases, personas):
    client = client_for(personas["operator"])
    created = report(client, cases, source="hotline_12345", contact_phone="13812345678", work_order_number="W-1")
    assert created.status_code == 201, created.content
    detail = client.get(f"/api/v1/cases/{created.json()['id']}/").json()
    assert without_clock(created.json()) == without_clock(detail)


def test_a_repeated_key_answers_the_first_case_as_read(cases, personas):
    client = client_for(personas["grid_worker"])
    first = client.post(
        "/api/v1/cases/",
        {"category": "E0102", "description": "同一个", "lon": cases.lon, "lat": cases.lat},
        format="json",
        HTTP_IDEMPOTENCY_KEY="answer-1",
    )
    again = client.post(
        "/api/v1/cases/",
        {"category": "E0102", "description": "同一个", "lon": cases.lon, "lat": cases.lat},
        format="json",
        HTTP_IDEMPOTENCY_KEY="answer-1",
    )
    assert (first.status_code, again.status_code) == (201, 200)
    assert without_clock(first.json()) == without_clock(again.json())


def test_a_report_costs_the_same_queries_with_one_photo_and_with_three(cases, personas):
    client = client_for(personas["grid_worker"])
    report(client, cases)  # the per-process caches (the grid lookup's prepared statement), as a server has them
    counts = []
    for photos in ([], [jpeg_upload()], [jpeg_upload(f"{i}.jpg") for i in range(3)]):
        with CaptureQueriesContext(connection) as queries:
            response = report(client, cases, **({"photos": photos} if photos else {}))
        assert response.status_code == 201, response.content
        counts.append(len(queries))
    # The photos are one insert, whatever their number; without photos there is none.
    assert counts[0] + 1 == counts[1] == counts[2] <= INTAKE_MAX_QUERIES, counts


@pytest.mark.django_db(transaction=True)
def test_on_the_servers_api_threads_reports_and_lists_run_on_kept_connections_in_the_callers_language(
    cases, personas, settings
):
    from cases.api import case_views

    settings.API_DB_THREADS = 2
    client = client_for(personas["grid_worker"])
    try:
        with CaptureQueriesContext(connection) as queries:
            created = report(client, cases)
            refused = client.post(
                "/api/v1/cases/",
                {"category": "X1", "description": "x", "lon": cases.lon, "lat": cases.lat},
                format="json",
                HTTP_ACCEPT_LANGUAGE="en",
            )
            listed = client.get("/api/v1/cases/")
        assert created.status_code == 201, created.content
        assert listed.status_code == 200 and listed.json()["results"][0]["id"] == created.json()["id"]
        assert created.json()["timeline"][0]["action"] == "report"
        assert refused.status_code == 400 and refused.json()["category"][0].startswith("Unknown category")
        # Nothing of these requests ran on this (the request's) thread's connection.
        assert len(queries) == 0
        assert case_views.api_threads.started and case_views.api_threads.pool._max_workers == 2
    finally:
        case_views.api_threads_close()
    assert Case.objects.filter(pk=created.json()["id"], status="reported").exists()
