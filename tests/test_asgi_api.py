"""The case API's list and reports as the production server answers them (huizhou_cityops.asgi.KeptConnectionRoutes):
the whole request on an API database thread that keeps its connection, through the same middleware and view, with
Django's request signals; a connection that broke in between is replaced without an error; every other request as
before."""

import asyncio
import threading

import httpx
import pytest
from django.conf import settings
from django.core import signals
from django.db import connection
from django.db.backends.signals import connection_created
from django.test import Client
from django.urls import reverse

from accounts.security.tokens import token_issue
from cases.api import case_views
from cases.models import Case
from huizhou_cityops import asgi

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def api_threads(settings):
    # The server's way: the API's own database threads (the test's connection is another one).
    settings.API_DB_THREADS = 2
    yield
    case_views.api_threads_close()


@pytest.fixture
def threads_seen():
    """Names of the threads that opened a connection, started a request and finished one."""
    seen = {"opened": [], "started": [], "finished": []}

    def receiver(kind):
        def record(sender, **kwargs):
            seen[kind].append(threading.current_thread().name)

        return record

    receivers = {kind: receiver(kind) for kind in seen}
    connection_created.connect(receivers["opened"])
    signals.request_started.connect(receivers["started"])
    signals.request_finished.connect(receivers["finished"])
    yield seen
    connection_created.disconnect(receivers["opened"])
    signals.request_started.disconnect(receivers["started"])
    signals.request_finished.disconnect(receivers["finished"])


def _run(*requests):
    """Send (method, path, headers, json) requests in order to the ASGI application; the answers."""

    async def send_all():
        transport = httpx.ASGITransport(app=asgi.application)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            return [await client.request(method, path, headers=headers, json=body) for method, path, headers, body in
                    requests]  # fmt: skip

    return asyncio.run(send_all())


def _report(cases, category="E0102"):
    return {"category": category, "description": "东湖路口暴露垃圾", "lon": cases.lon, "lat": cases.lat}


def test_the_routes_path_is_the_case_lists():
    assert (reverse("case-list"),) == asgi.CASE_LIST_PATHS


def test_reports_and_lists_run_whole_on_the_api_threads_on_connections_they_keep(
    cases, personas, api_threads, threads_seen
):
    auth = {"Authorization": f"Token {token_issue(user=personas['grid_worker']).key}"}
    url = "/api/v1/cases/"
    answers = _run(
        *[("POST", url, auth, _report(cases)) for _ in range(3)],
        ("GET", url, auth, None),
        ("POST", url, {**auth, "Accept-Language": "en"}, _report(cases, "X1")),
        ("POST", url, auth, _report(cases, "X1")),
        ("POST", url, {}, _report(cases)),
    )
    assert [a.status_code for a in answers] == [201, 201, 201, 200, 400, 400, 401], answers[-1].content
    created = [a.json()["id"] for a in answers[:3]]
    assert [row["id"] for row in answers[3].json()["results"][:3]] == created[::-1]
    assert answers[0].json()["timeline"][0]["action"] == "report"
    assert answers[4].json()["category"] == ["Unknown category “X1”; use a minor class code like E0102."]
    assert answers[5].json()["category"] == ["未知类别“X1”，请使用 E0102 这样的小类代码。"]
    assert answers[6].headers["WWW-Authenticate"] == "Token"
    assert Case.objects.filter(pk__in=created, status="reported").count() == 3
    # Every request started and finished on an API thread (signals included: the malloc trim and the connections'
    # checks run on request_finished), and seven requests opened at most one connection per thread.
    assert len(threads_seen["started"]) == len(threads_seen["finished"]) == 7
    assert {name.split("_")[0] for name in threads_seen["started"] + threads_seen["finished"]} == {"api-db"}
    assert 1 <= len(threads_seen["opened"]) <= 2
    assert {name.split("_")[0] for name in threads_seen["opened"]} == {"api-db"}


def test_a_kept_connection_that_broke_is_replaced_without_an_error(
    cases, personas, settings, api_threads, threads_seen
):
    settings.API_DB_THREADS = 1  # one thread: the next request must meet the connection that broke
    auth = {"Authorization": f"Token {token_issue(user=personas['grid_worker']).key}"}
    first, second = _run(("POST", "/api/v1/cases/", auth, _report(cases)), ("GET", "/api/v1/cases/", auth, None))
    assert (first.status_code, second.status_code) == (201, 200)
    assert len(threads_seen["opened"]) == 1  # kept from one request to the next
    with connection.cursor() as cursor:  # a database restart, as the API thread's connection sees it
        cursor.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        assert cursor.fetchone()[0] >= 1
    answers = _run(("POST", "/api/v1/cases/", auth, _report(cases)), ("GET", "/api/v1/cases/", auth, None))
    assert [a.status_code for a in answers] == [201, 200]
    assert Case.objects.filter(pk=answers[0].json()["id"]).exists()
    # The same thread opened a new connection once, and kept it for the last request.
    assert len(threads_seen["opened"]) == 2 and len(set(threads_seen["opened"])) == 1


def test_other_requests_take_djangos_way(cases, personas, api_threads, threads_seen):
    auth = {"Authorization": f"Token {token_issue(user=personas['grid_worker']).key}"}
    case = cases.report()
    (detail,) = _run(("GET", f"/api/v1/cases/{case.pk}/", auth, None))
    assert detail.status_code == 200 and detail.json()["id"] == case.pk
    assert threads_seen["started"] and not any(name.startswith("api-db") for name in threads_seen["started"])


def _signed_in(user):
    """The session cookie header of a browser signed in as `user`."""
    client = Client()
    client.force_login(user)
    return {"Cookie": f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"}


def test_the_command_reads_are_the_command_centres_routes():
    assert {reverse(name, kwargs={"pk": 1} if name == "command-panel" else None) for name in asgi.COMMAND_READS} == {
        "/command/",
        "/command/counts/",
        "/command/cases/",
        "/command/cases/1/",
        "/command/map/cases/",
    }
    assert all(reverse(name, kwargs={"pk": 1} if name == "command-panel" else None).startswith(
        asgi.COMMAND_READS_UNDER) for name in asgi.COMMAND_READS)  # fmt: skip


def test_the_command_centres_screens_read_on_the_api_threads_on_connections_they_keep(
    cases, personas, api_threads, threads_seen
):
    """What every open command screen asks for again and again: no new database connection per request."""
    case = cases.report()
    cookie = _signed_in(personas["dispatcher"])
    paths = ("/command/", "/command/counts/", "/command/cases/?queue=all", f"/command/cases/{case.pk}/")
    box = "/command/map/cases/?bbox=113,22,116,24"
    answers = _run(*[("GET", path, cookie, None) for path in paths * 2], ("GET", box, cookie, None))
    assert [a.status_code for a in answers] == [200] * 9, [a.content[:200] for a in answers]
    assert case.number in answers[2].text and case.number in answers[3].text
    assert answers[1].json()["counts"]["reported"] >= 1
    assert case.number in {marker.get("number") for marker in answers[8].json()["cases"]}
    assert len(threads_seen["started"]) == len(threads_seen["finished"]) == 9
    assert {name.split("_")[0] for name in threads_seen["started"] + threads_seen["finished"]} == {"api-db"}
    assert {name.split("_")[0] for name in threads_seen["opened"]} == {"api-db"}
    assert 1 <= len(threads_seen["opened"]) <= 2


def test_the_command_centres_other_requests_take_djangos_way(cases, personas, api_threads, threads_seen):
    case = cases.report()
    cookie = _signed_in(personas["dispatcher"])
    # A write, a page that is not read again and again, a download, and a path under /command/ that is no route.
    answers = _run(
        ("POST", f"/command/cases/{case.pk}/actions/accept/", cookie, None),
        ("GET", "/command/duty/", cookie, None),
        ("GET", "/command/export/?format=csv", cookie, None),
        ("GET", "/command/nowhere/", cookie, None),
        ("POST", "/command/counts/", cookie, None),  # a read's URL, but not a GET
        ("GET", "/command/counts/", {}, None),  # not signed in: sent to sign in, on the threads as well
    )
    assert answers[0].status_code == 403  # no CSRF token: refused, as Django's way refuses it
    assert [a.status_code for a in answers[1:4]] == [200, 200, 404]
    assert answers[4].status_code in (403, 405)
    assert answers[5].status_code == 302 and "/accounts/login/" in answers[5].headers["location"]
    started = threads_seen["started"]
    assert len(started) == 6 and [name.startswith("api-db") for name in started] == [False] * 5 + [True]


def test_a_screens_read_takes_djangos_way_while_every_api_thread_is_taken(
    cases, personas, api_threads, threads_seen, monkeypatch
):
    routes = asgi.application.app.app
    assert isinstance(routes, asgi.KeptConnectionRoutes)
    cookie = _signed_in(personas["dispatcher"])
    auth = {"Authorization": f"Token {token_issue(user=personas['dispatcher']).key}"}
    monkeypatch.setattr(routes, "in_flight", 2)  # both threads busy with other requests
    busy = _run(("GET", "/command/counts/", cookie, None), ("GET", "/api/v1/cases/", auth, None))
    monkeypatch.setattr(routes, "in_flight", 1)  # one free
    free = _run(("GET", "/command/counts/", cookie, None))
    assert [a.status_code for a in busy + free] == [200, 200, 200]
    assert busy[0].json()["counts"] == free[0].json()["counts"]
    # The read went Django's way; the list page queued on the threads as before; with a thread free, the threads.
    assert [name.startswith("api-db") for name in threads_seen["started"]] == [False, True, True]
