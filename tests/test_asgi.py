"""The ASGI entry point bounds the requests a server process handles at once; open live streams do not count."""

import asyncio

from huizhou_cityops.asgi import RequestLimit


def test_requests_beyond_the_limit_wait_their_turn_and_an_open_stream_gives_its_place_back():
    log = []
    stream_may_end = None

    async def app(scope, receive, send):
        log.append(f"start {scope['path']}")
        if scope["path"] == "/live/events/":
            headers = [(b"content-type", b"text/event-stream; charset=utf-8")]
            await send({"type": "http.response.start", "status": 200, "headers": headers})
            await stream_may_end.wait()
        else:
            await asyncio.sleep(0.01)
            await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b""})
        log.append(f"end {scope['path']}")

    async def sent(message):
        pass

    async def scenario():
        nonlocal stream_may_end
        stream_may_end = asyncio.Event()
        limited = RequestLimit(app, limit=1)

        def call(path):
            return asyncio.create_task(limited({"type": "http", "path": path}, None, sent))

        stream = call("/live/events/")
        await asyncio.sleep(0)
        first, second = call("/a/"), call("/b/")
        await asyncio.wait_for(asyncio.gather(first, second), 5)  # the open stream does not hold them up
        assert not stream.done()
        stream_may_end.set()
        await asyncio.wait_for(stream, 5)

    asyncio.run(scenario())
    # One ordinary request at a time: /b/ starts only after /a/ has ended.
    assert log == ["start /live/events/", "start /a/", "end /a/", "start /b/", "end /b/", "end /live/events/"]
