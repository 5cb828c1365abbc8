"""Container health check for the web role: exit 0 when GET /healthz answers 200 (database and Redis up)."""

import http.client
import os
import sys


def _host():
    # Django answers 400 to a Host it does not allow, so ask as the first allowed host.
    first = os.environ.get("ALLOWED_HOSTS", "localhost").split(",")[0].strip()
    return "localhost" if first in ("", "*") else first.lstrip(".")


def main():
    connection = http.client.HTTPConnection("127.0.0.1", 8000, timeout=5)
    try:
        # X-Forwarded-Proto as the TLS proxy would send it, so SECURE_SSL_REDIRECT does not answer 301.
        connection.request("GET", "/healthz", headers={"Host": _host(), "X-Forwarded-Proto": "https"})
        response = connection.getresponse()
        body = response.read(500).decode(errors="replace")
    except OSError as exc:
        print(f"healthcheck: {exc}", file=sys.stderr)
        return 1
    finally:
        connection.close()
    if response.status != 200:
        print(f"healthcheck: /healthz answered {response.status}: {body}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
