"""A fake HTTP SMS gateway for development and tests, speaking what `HttpSmsBackend` sends.

It takes `POST {"to": "...", "text": "...", "id": "<key>"}` with an `Idempotency-Key` header and honours the key
as a real gateway with idempotency does: the first request of a key "sends" the message, a later one with the
same key is answered 200 again (`"duplicate": true`) and sends nothing. It counts the requests per key, and can
be slow (`delay`) or hang (`hang`: it sends, then holds the answer) to play a gateway in trouble.
`GET /stats` answers what it received.

    .venv/bin/python -m devtools.fake_sms_gateway --port 9099 [--delay 0.5] [--hang 60]
    SMS_BACKEND=dispatch.notifications.sms.HttpSmsBackend SMS_HTTP_URL=http://127.0.0.1:9099/sms make run
"""

import argparse
import json
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class FakeSmsGateway:
    """The gateway on a thread: `start()`, its `url`, what it got (`receipts`, `sent`), `stop()` ends any hang."""

    def __init__(self, *, host: str = "127.0.0.1", port: int = 0, delay: float = 0.0, hang: float = 0.0):
        self.delay, self.hang = delay, hang
        self.receipts = Counter()  # key → requests received with it
        self.sent = {}  # key → (to, text): what reached a phone, once per key
        self.in_flight = 0
        self.max_in_flight = 0
        self.release = threading.Event()  # set: every hang ends now
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer((host, port), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/sms"

    def start(self) -> "FakeSmsGateway":
        self._thread.start()
        return self

    def stop(self) -> None:
        self.release.set()
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def stats(self) -> dict:
        with self._lock:
            return {
                "received": sum(self.receipts.values()),
                "sent": len(self.sent),
                "repeated_keys": sorted(k for k, n in self.receipts.items() if n > 1),
                "in_flight": self.in_flight,
                "max_in_flight": self.max_in_flight,
            }

    def _receive(self, key: str, message: dict) -> bool:
        """Count the request; send the message unless its key was sent already. True when it is a duplicate."""
        with self._lock:
            self.receipts[key] += 1
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            duplicate = key in self.sent
            if not duplicate:
                self.sent[key] = (message.get("to"), message.get("text"))
        return duplicate

    def _done(self) -> None:
        with self._lock:
            self.in_flight -= 1

    def _handler(self):
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's name
                message = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
                key = self.headers.get("Idempotency-Key") or message.get("id") or f"unkeyed-{time.monotonic_ns()}"
                duplicate = gateway._receive(key, message)
                try:
                    if gateway.hang:
                        gateway.release.wait(gateway.hang)
                    elif gateway.delay:
                        time.sleep(gateway.delay)
                    self._answer(200, {"id": key, "duplicate": duplicate})
                finally:
                    gateway._done()

            def do_GET(self):  # noqa: N802
                self._answer(200, gateway.stats()) if self.path == "/stats" else self._answer(404, {})

            def _answer(self, status, body):
                payload = json.dumps(body).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except OSError:  # the client gave up waiting (its read time-out)
                    pass

            def log_message(self, *args):
                pass

        return Handler


def main(argv=None):
    parser = argparse.ArgumentParser(description="A fake SMS gateway that honours idempotency keys.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9099)
    parser.add_argument("--delay", type=float, default=0.0, help="Seconds before each answer.")
    parser.add_argument("--hang", type=float, default=0.0, help="Send, then hold each answer this many seconds.")
    args = parser.parse_args(argv)
    gateway = FakeSmsGateway(host=args.host, port=args.port, delay=args.delay, hang=args.hang).start()
    print(f"fake SMS gateway at {gateway.url} (GET /stats); Ctrl-C stops it", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        gateway.stop()


if __name__ == "__main__":
    main()
