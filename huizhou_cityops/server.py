"""The gunicorn worker class of the web server (docker/gunicorn.conf.py, scripts/serve.sh): uvicorn's, serving
huizhou_cityops.asgi, with two settings of ours."""

from uvicorn_worker import UvicornWorker


class CityOpsWorker(UvicornWorker):
    """uvloop and httptools when installed; the client address left as the connection gives it.

    proxy_headers off: uvicorn would otherwise take the address from X-Forwarded-For whenever the peer is
    127.0.0.1, which anyone on the host could send. Which proxies are trusted is the application's decision
    (TRUSTED_PROXIES, accounts.security.clientip), as under any other server.
    """

    CONFIG_KWARGS = {"loop": "auto", "http": "auto", "proxy_headers": False, "server_header": False}
