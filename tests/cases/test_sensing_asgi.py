"""The JSON post of a detection as the production server answers it (huizhou_cityops.asgi.SensingIntake, without
Django's request stack): the same answers as the DRF view — 202, 200 for a repeated id, 401 with the realm, 400 per
field with nothing stored, 429 with Retry-After — and a run of the worker asked for at most once per interval, with
a later ask for the posts in between; a multipart post still reaches the view."""

import asyncio
from types import SimpleNamespace

import httpx
import pytest
from django.core.cache import cache

from cases.models import SensingEvent
from cases.services import sensing_queue
from cases.services.sensing_queue import sensing_process
from huizhou_cityops import asgi
from tests.factories.sensing import detection, sensing_post, sensing_source
from tests.fixtures.cases import jpeg_upload

pytestmark = pytest.mark.django_db(transaction=True)
URL = "/api/v1/sensing/events/"


@pytest.fixture
def source(cases, personas, settings):
    from cases.api import sensing as api

    # The server's way: the ingestion's own database threads (the test's connection is another one).
    settings.SENSING_DB_THREADS = 2
    cache.clear()
    yield sensing_source(owner=personas["handler_department"], classes=(("E0102", "0.8"),), rate_limit=5)
    api.db_threads_close()


def _run(*requests, between=None):
    """Send (headers, json or content) requests in order to the ASGI application; the answers."""

    async def send_all():
        transport = httpx.ASGITransport(app=asgi.application)
        answers = []
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            for headers, body in requests:
                if isinstance(body, bytes):
                    answers.append(await client.post(URL, content=body, headers=headers))
                else:
                    answers.append(await client.post(URL, json=body, headers=headers))
            if between is not None:
                await between()
        return answers

    return asyncio.run(send_all())


def test_a_post_is_stored_202_and_a_repeat_answers_200_with_its_state(cases, source):
    _source, key = source
    body = detection(event_id="fast-1", lon=cases.lon, lat=cases.lat)
    first, second = _run(({"X-Api-Key": key}, body), ({"Authorization": f"Key {key}"}, body))
    assert first.status_code == 202, first.content
    event = SensingEvent.objects.get(external_id="fast-1")
    assert first.json() == {
        "id": event.pk,
        "event_id": "fast-1",
        "state": "pending",
        "outcome": None,
        "case": None,
        "duplicate": False,
    }
    assert second.status_code == 200 and second.json() == {**first.json(), "duplicate": True}
    assert event.outcome == "received"
    sensing_process()
    (third,) = _run(({"X-Api-Key": key}, body))
    assert third.status_code == 200
    assert third.json()["outcome"] == "created" and third.json()["case"] is not None


def test_without_a_key_or_with_an_unknown_one_it_is_401_with_the_realm(cases, source):
    body = detection(event_id="nokey", lon=cases.lon, lat=cases.lat)
    missing, unknown = _run(({}, body), ({"X-Api-Key": "not-a-key"}, body))
    for answer in (missing, unknown):
        assert answer.status_code == 401
        assert answer.headers["WWW-Authenticate"] == 'Key realm="sensing"'
        assert answer.json()["detail"]
    assert not SensingEvent.objects.exists()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"confidence": 1.5}, "confidence"),
        ({"class_code": "E0505"}, "class_code"),
        ({"time": "yesterday"}, "time"),
        ({"lon": 10.0, "lat": 10.0}, "location"),
        ({"attributes": ["not", "an", "object"]}, "attributes"),
        ({"event_id": ""}, "event_id"),
    ],
)
def test_bad_input_is_400_naming_the_field_as_the_view_does_and_nothing_is_stored(cases, source, change, field):
    _source, key = source
    body = {**detection(event_id="bad", lon=cases.lon, lat=cases.lat), **change}
    (answer,) = _run(({"X-Api-Key": key}, body))
    assert answer.status_code == 400
    assert field in answer.json()
    view = sensing_post(key, body)
    assert view.status_code == 400 and view.json() == answer.json()
    assert not SensingEvent.objects.exists()


def test_a_body_that_is_not_json_is_400(cases, source):
    _source, key = source
    headers = {"X-Api-Key": key, "Content-Type": "application/json"}
    (answer,) = _run((headers, b'{"event_id": "x", "confidence": NaN'))
    assert answer.status_code == 400 and "JSON" in answer.json()["detail"]
    assert not SensingEvent.objects.exists()


@pytest.mark.usefixtures("steady_rate_windows")
def test_above_the_sources_rate_it_is_429_with_retry_after(cases, source):
    _source, key = source
    answers = _run(*(({"X-Api-Key": key}, detection(event_id=f"r{n}", lon=cases.lon, lat=cases.lat)) for n in range(7)))
    assert [a.status_code for a in answers] == [202] * 5 + [429] * 2
    assert answers[-1].headers["Retry-After"] == "60" and answers[-1].json()["detail"]
    assert SensingEvent.objects.count() == 5


def test_a_multipart_post_with_a_snapshot_is_answered_by_the_view(cases, source):
    _source, key = source

    async def post():
        transport = httpx.ASGITransport(app=asgi.application)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            fields = {k: str(v) for k, v in detection(event_id="snap", lon=cases.lon, lat=cases.lat).items()}
            fields["attributes"] = "{}"
            upload = jpeg_upload("snap.jpg")
            files = {"snapshot": ("snap.jpg", upload.read(), "image/jpeg")}
            return await client.post(URL, data=fields, files=files, headers={"X-Api-Key": key})

    answer = asyncio.run(post())
    assert answer.status_code == 202, answer.content
    assert SensingEvent.objects.get(external_id="snap").snapshot


def test_posts_through_the_route_ask_for_one_run_until_it_starts(cases, source, settings, monkeypatch):
    _source, key = source
    settings.SENSING_KICK = True
    # A run asked for by an earlier test of this process (the ask is remembered in the cache for a sweep's period).
    cache.delete(sensing_queue.KICK_KEY)
    sent = []
    # The module's own name for the Celery app: a stand-in seen from every thread the post may run on.
    monkeypatch.setattr(
        sensing_queue, "current_app", SimpleNamespace(send_task=lambda name, **options: sent.append(name))
    )
    intake = asgi.application.app
    assert isinstance(intake, asgi.SensingIntake)
    monkeypatch.setattr(intake, "_last_kick", float("-inf"))
    monkeypatch.setattr(intake, "_kick_waiting", False)
    posts = (({"X-Api-Key": key}, detection(event_id=f"k{n}", lon=cases.lon, lat=cases.lat)) for n in range(3))
    answers = _run(*posts)
    assert [a.status_code for a in answers] == [202] * 3
    assert sent == ["followup.sensing_process"]
    assert sensing_process() == {"created": 1, "merged": 2}


def test_a_server_process_asks_at_most_once_an_interval_and_once_more_at_its_end(monkeypatch):
    intake = asgi.SensingIntake(app=None, max_body=1024)
    now = [1000.0]
    intake.clock = lambda: now[0]

    async def scenario():
        loop = asyncio.get_running_loop()
        scheduled, ran = [], []
        monkeypatch.setattr(loop, "call_at", lambda when, callback: scheduled.append((when, callback)))
        monkeypatch.setattr(loop, "run_in_executor", lambda executor, function: ran.append(function))
        assert intake._kick_now() is True  # the first post asks
        now[0] += 0.1
        assert intake._kick_now() is False and len(scheduled) == 1  # too soon: an ask at the interval's end
        now[0] += 0.1
        assert intake._kick_now() is False and len(scheduled) == 1  # that ask is already waiting
        scheduled[0][1]()  # the interval ends
        assert ran == [asgi.sensing_kick] and not intake._kick_waiting
        now[0] += intake.KICK_SECONDS
        assert intake._kick_now() is True
        assert len(scheduled) == 1

    asyncio.run(scenario())


def test_the_ask_at_the_interval_end_waits_for_the_posts_still_storing(monkeypatch):
    intake = asgi.SensingIntake(app=None, max_body=1024)
    now = [1000.0]
    intake.clock = lambda: now[0]

    async def scenario():
        loop = asyncio.get_running_loop()
        scheduled, ran = [], []
        monkeypatch.setattr(loop, "call_at", lambda when, callback: scheduled.append((when, callback)))
        monkeypatch.setattr(loop, "run_in_executor", lambda executor, function: ran.append(function))
        assert intake._kick_now() is True
        now[0] += 0.1
        assert intake._kick_now() is False
        intake._waiting_posts = 1  # that post's INSERT has not committed yet
        scheduled.pop()[1]()
        assert ran == [] and intake._kick_waiting and len(scheduled) == 1  # asked for at the next interval's end
        intake._waiting_posts = 0  # stored
        scheduled.pop()[1]()
        assert ran == [asgi.sensing_kick] and not intake._kick_waiting

    asyncio.run(scenario())


def test_a_content_length_of_other_digits_goes_to_django():
    intake = asgi.SensingIntake(app=None, max_body=1024)
    scope = {
        "type": "http", "method": "POST", "path": intake.PATH,
        "headers": [(b"content-type", b"application/json"), (b"content-length", "²".encode("latin-1"))],
    }  # fmt: skip
    assert intake._headers(scope) is None
