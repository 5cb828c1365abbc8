"""Fixtures of the fuzz tests: the Django app as a WSGI callable that shares the test's database transaction."""

import pytest
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections


@pytest.fixture
def wsgi_app(db):
    """The project's WSGI app, called in-process inside the test's transaction.

    Django closes "old" connections at the start and end of every request; inside a test's transaction that would
    close the test's own connection, so, as Django's test client does, those two receivers are off meanwhile.
    """
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield get_wsgi_application()
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)
