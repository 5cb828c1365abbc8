"""The live stream (/live/events/): committed events reach the screens in scope through real Redis pub/sub, a
reconnection replays from Last-Event-ID, and without Redis everything else keeps answering.

The streams are read through Django's AsyncClient inside async_to_sync, so their database reads run on the test's
own thread (inside its transaction); the announcements go through real Redis, published when the test's
on_commit callbacks run. The browser test (tests/browser/test_live_screens.py) covers the server process.
"""

import asyncio
import json

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from django.test import AsyncClient, Client
from rest_framework.test import APIClient

from cases.models import CaseEvent
from cases.services import feed as feed_module
from dispatch.live import hub as hub_module
from dispatch.live import views as live_views
from dispatch.selectors import event_feed_start

pytestmark = pytest.mark.django_db

STREAM = {"accept": "text/event-stream"}
# How long a read may wait for its message: only a broken feed ever waits this long.
READ_TIMEOUT = 10


@pytest.fixture(autouse=True)
def _reads_on_the_test_thread(monkeypatch, settings):
    # The stream's reads on the test's thread (it holds the test's transaction), not on the server's pool.
    monkeypatch.setattr(live_views, "in_db_thread", live_views._in_request_thread)
    monkeypatch.setattr(feed_module, "_paused_until", 0.0)
    settings.EVENTS_STREAM_HEARTBEAT_SECONDS = 0.5


class Stream:
    """One open stream: its SSE messages, one at a time."""

    def __init__(self, response):
        self.response = response
        self.chunks = response.streaming_content.__aiter__()
        self.buffer = ""

    async def next(self):
        while "\n\n" not in self.buffer:
            chunk = await asyncio.wait_for(self.chunks.__anext__(), READ_TIMEOUT)
            self.buffer += chunk.decode() if isinstance(chunk, bytes) else chunk
        block, self.buffer = self.buffer.split("\n\n", 1)
        fields = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line and not line.startswith(":"))
        return fields.get("event"), json.loads(fields["data"]) if "data" in fields else None

    async def until(self, predicate):
        """Messages up to the first that satisfies predicate(event, data); returns all of them."""
        seen = []
        while True:
            event, data = await self.next()
            seen.append((event, data))
            if predicate(event, data):
                return seen

    async def close(self):
        await self.chunks.aclose()


async def _open(user, **headers):
    client = AsyncClient()
    await client.aforce_login(user)
    response = await client.get("/live/events/", headers={**STREAM, **headers})
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/event-stream")
    return Stream(response)


def _committed(django_capture_on_commit_callbacks, make):
    """Run `make` and then its on_commit callbacks (the publishing among them), as a commit would."""

    def run():
        with django_capture_on_commit_callbacks(execute=True):
            return make()

    return sync_to_async(run)


async def _stop_hub():
    await hub_module.feed_hub().stop()


def _reached(cursor):
    return lambda event, data: data is not None and data.get("cursor", 0) >= cursor


def test_a_committed_event_reaches_the_screen_in_scope_and_not_the_one_outside(
    cases, personas, django_capture_on_commit_callbacks
):
    async def scenario():
        inside = await _open(personas["dispatcher"])
        outside = await _open(personas["outsider"])
        try:
            for stream in (inside, outside):
                assert (await stream.next())[0] == "cursor"
            case = await _committed(django_capture_on_commit_callbacks, lambda: cases.to("to_dispatch"))()
            last = await sync_to_async(lambda: CaseEvent.objects.filter(case=case).latest("id").id)()
            got = await inside.until(_reached(last))
            events = [e for kind, data in got if kind == "events" for e in data["events"]]
            assert [e["action"] for e in events] == ["report", "accept", "register"]
            assert {e["case"]["number"] for e in events} == {case.number}
            # The outsider's cursor moves past the same events without a word about them.
            missed = await outside.until(_reached(last))
            assert {kind for kind, _ in missed} == {"cursor"}
        finally:
            await inside.close()
            await outside.close()
            await _stop_hub()

    async_to_sync(scenario)()


def test_a_reconnection_replays_from_last_event_id_then_goes_live(cases, personas, django_capture_on_commit_callbacks):
    async def scenario():
        missed_from = await sync_to_async(event_feed_start)()
        # The screen was away while a case was reported and accepted.
        case = await _committed(django_capture_on_commit_callbacks, lambda: cases.to("to_register"))()
        stream = await _open(personas["dispatcher"], **{"Last-Event-ID": str(missed_from)})
        try:
            kind, data = await stream.next()
            assert (kind, data["cursor"]) == ("cursor", missed_from)
            kind, data = await stream.next()
            assert kind == "events" and [e["action"] for e in data["events"]] == ["report", "accept"]
            # Then live: the next step arrives without reconnecting.
            register = {"filing_condition": cases.condition.pk, "urgency": "normal"}
            await _committed(
                django_capture_on_commit_callbacks, lambda: cases.act(case, "shift_lead", "register", **register)
            )()
            got = await stream.until(lambda kind, data: kind == "events")
            assert [e["action"] for e in got[-1][1]["events"]] == ["register"]
        finally:
            await stream.close()
            await _stop_hub()

    async_to_sync(scenario)()


def test_the_screen_is_told_to_poll_when_the_subscription_fails(personas):
    async def scenario():
        stream = await _open(personas["dispatcher"])
        try:
            assert (await stream.next())[0] == "cursor"
            hub_module.feed_hub()._set_state(hub_module.DOWN)  # what a lost Redis connection does
            assert await stream.until(lambda kind, data: kind == "fallback")
            with pytest.raises(StopAsyncIteration):
                await stream.next()  # the stream has ended
        finally:
            await _stop_hub()

    async_to_sync(scenario)()


def test_without_redis_the_stream_says_503_and_pages_api_and_transitions_keep_working(
    cases, personas, settings, caplog, django_capture_on_commit_callbacks
):
    settings.REDIS_URL = "redis://127.0.0.1:9/0"  # nothing listens there
    monkey_client = feed_module._state.__dict__.pop("client", None)
    try:
        start = event_feed_start()
        with django_capture_on_commit_callbacks(execute=True):
            case = cases.to("to_dispatch")  # the announcement fails quietly; the transition stands

        async def refused():
            client = AsyncClient()
            await client.aforce_login(personas["dispatcher"])
            try:
                return await client.get("/live/events/", headers={**STREAM, "accept-language": "en"})
            finally:
                await _stop_hub()

        response = async_to_sync(refused)()
        assert response.status_code == 503
        assert "checks for changes" in response.json()["detail"]

        # The page's fallback: the poll API brings the same events.
        api = APIClient()
        api.force_authenticate(personas["dispatcher"])
        polled = api.get(f"/api/v1/events/?after={start}").json()["events"]
        assert [e["action"] for e in polled] == ["report", "accept", "register"]
        pages = Client()
        pages.force_login(personas["dispatcher"])
        page = pages.get("/command/")
        assert page.status_code == 200 and b"/live/events/" in page.content
        assert pages.get(f"/command/cases/{case.pk}/").status_code == 200

        health = Client().get("/healthz")
        assert health.status_code == 503
        body = health.json()
        assert body["redis"] == {"ok": False, "status": "not answering"}
        assert body["database"]["ok"] is True
        assert "Error" not in health.content.decode() and "9" not in json.dumps(body["redis"])
    finally:
        feed_module._state.__dict__.pop("client", None)
        if monkey_client is not None:
            feed_module._state.client = monkey_client


def test_the_cache_answers_as_a_miss_while_redis_is_down():
    from huizhou_cityops.cache import FallbackRedisCache

    cache = FallbackRedisCache("redis://127.0.0.1:9/0", {"OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1}})
    assert cache.get("calendar-version", "missing") == "missing"
    cache.set("calendar-version", "x")  # skipped, no error
    assert cache.get_many(["a", "b"]) == {}


def test_a_client_that_does_not_stream_gets_the_backlog_and_the_end(cases, personas):
    start = event_feed_start()
    cases.to("to_register")
    client = Client()
    client.force_login(personas["dispatcher"])
    response = client.get(f"/live/events/?after={start}")
    assert response.status_code == 200
    body = b"".join(response).decode()  # as a WSGI server reads it
    assert body.startswith(f"retry: 3000\nid: {start}\nevent: cursor\n")
    events = [json.loads(line[6:]) for line in body.splitlines() if line.startswith('data: {"events"')]
    assert [e["action"] for e in events[0]["events"]] == ["report", "accept"]


def test_bad_cursors_are_400_and_anonymous_callers_are_sent_to_sign_in(personas):
    client = Client()
    client.force_login(personas["dispatcher"])
    for bad in ("abc", "-1", "1.5", str(2**63)):
        response = client.get(f"/live/events/?after={bad}")
        assert response.status_code == 400 and "after" in response.json(), bad
    assert client.get("/live/events/", HTTP_LAST_EVENT_ID="x").status_code == 400
    assert client.post("/live/events/").status_code == 405
    anonymous = Client().get("/live/events/")
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]


async def _open_counting(user):
    client = AsyncClient()
    await client.aforce_login(user)
    response = await client.get("/live/events/?counts=1", headers=STREAM)
    assert response.status_code == 200, response.content
    return Stream(response)


def test_a_command_screen_gets_its_tab_counts_with_the_events_and_other_screens_do_not(
    cases, personas, django_capture_on_commit_callbacks
):
    from django.utils import timezone

    from dispatch.queue_counts import queue_counts_for_user

    async def scenario():
        city = await _open_counting(personas["dispatcher"])
        district = await _open_counting(personas["district_dispatcher"])
        handler = await _open_counting(personas["handler"])  # not a command-centre user: no counts
        try:
            for stream in (city, district, handler):
                assert (await stream.next())[0] == "cursor"
            case = await _committed(django_capture_on_commit_callbacks, lambda: cases.to("to_dispatch"))()
            last = await sync_to_async(lambda: CaseEvent.objects.filter(case=case).latest("id").id)()
            for user, stream in ((personas["dispatcher"], city), (personas["district_dispatcher"], district)):
                got = await stream.until(_reached(last))
                kind, data = got[-1]
                assert kind == "events" and data["counts"]["to_dispatch"] == 1
                expected = await sync_to_async(queue_counts_for_user)(user=user, now=timezone.now())
                assert data["counts"] == expected
            got = await handler.until(_reached(last))
            assert all("counts" not in data for _kind, data in got)
            # The heartbeat carries them too: the overdue tab moves with time, without any event.
            kind, data = await city.next()
            assert kind == "cursor" and data["counts"]["to_dispatch"] == 1
        finally:
            for stream in (city, district, handler):
                await stream.close()
            await _stop_hub()

    async_to_sync(scenario)()
