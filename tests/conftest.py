"""Shared fixtures. Each area keeps its fixtures in its own plugin module listed here."""

import os

import pytest
from django.utils import translation
from hypothesis import HealthCheck, settings

# Property tests: a few hundred examples in every run, many more in the nightly profile
# (HYPOTHESIS_PROFILE=nightly make test). No example database: a run never depends on an earlier one.
settings.register_profile(
    "ci", max_examples=250, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile(
    "quick", max_examples=15, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile(
    "nightly", max_examples=3000, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

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
