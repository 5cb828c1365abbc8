import pytest


@pytest.mark.django_db
def test_healthz_reports_database_and_redis_up(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"]["ok"] and body["database"]["postgis"]
    assert body["redis"]["ok"]


@pytest.mark.django_db
def test_healthz_is_503_when_redis_does_not_answer(client, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["redis"]["ok"] is False
    assert response.json()["status"] == "unavailable"


@pytest.mark.django_db
def test_under_load_healthz_asks_the_database_each_time_and_keeps_the_costlier_lines_a_few_seconds(
    client, settings, monkeypatch
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from huizhou_cityops import health

    settings.HEALTHZ_DETAIL_SECONDS = 60
    client.get("/healthz")  # the process's own caches (the working calendar), as a server that has run a while
    monkeypatch.setattr(health, "_answers", {})
    with CaptureQueriesContext(connection) as first:
        body = client.get("/healthz").json()
    with CaptureQueriesContext(connection) as again:
        assert client.get("/healthz").json() == body
    # The workers' outbox aggregate and the calendar are read once; the database check runs every time.
    assert len(first) > len(again) == 1
    assert "postgis_lib_version" in again[0]["sql"]
    monkeypatch.setattr(health, "_answers", {})  # the window has passed
    with CaptureQueriesContext(connection) as later:
        client.get("/healthz")
    assert len(later) == len(first)
