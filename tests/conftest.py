"""Shared fixtures. Each area keeps its fixtures in its own plugin module listed here."""

import pytest
from django.utils import translation

pytest_plugins = [
    "tests.fixtures.grid",
    "tests.fixtures.people",
    "tests.fixtures.catalogue",
    "tests.fixtures.cases",
    "tests.fixtures.snapshot",
]


@pytest.fixture(autouse=True)
def _english_messages():
    """Tests read messages in English (the msgids); pages requested through the client still follow the
    request's language, so the Chinese default is tested where it matters (tests/test_settings.py)."""
    with translation.override("en"):
        yield
