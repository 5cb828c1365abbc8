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


# Files holding a test with one of these marks take from several seconds to over a minute.
HEAVY_MARKS = ("slow", "browser", "worker")


def pytest_collection_modifyitems(config, items):
    """Under pytest-xdist, files with slow, browser or worker tests come first (in their usual order otherwise).

    Each file goes to one worker (`--dist loadfile`, in collection order with `--no-loadscope-reorder`): the
    long files start while the other worker still has short ones to do, instead of one of them starting last
    while the other worker waits. A plain `pytest` run keeps the usual order."""
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        return
    heavy = {item.path for item in items if any(item.get_closest_marker(mark) for mark in HEAVY_MARKS)}
    items.sort(key=lambda item: item.path not in heavy)  # stable: the order within each group stays


@pytest.fixture(autouse=True)
def _english_messages():
    """Tests read messages in English (the msgids); pages requested through the client still follow the
    request's language, so the Chinese default is tested where it matters (tests/test_settings.py)."""
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def _calendar_read_afresh():
    """Each test reads the working calendar afresh at its first use. The process keeps the calendar with the version
    it saw in the cache and looks at that version every two seconds (cases.worktime.store); a test that cleared the
    cache left it due for a reload at its next look, which could fall between a later test's counted requests (three
    more queries in one of them)."""
    from cases.worktime import calendar_forget

    calendar_forget()
    yield


@pytest.fixture
def steady_rate_windows(monkeypatch):
    """The rate limits' fixed windows (a minute, an hour) pinned to the middle of the current hour: a test that posts
    past a limit would otherwise see its count start again when a minute or an hour turns between its posts."""
    import time
    from types import SimpleNamespace

    from accounts.security import ratelimit
    from cases.services import sensing_sources

    middle = (time.time() // 3600) * 3600 + 1800
    clock = SimpleNamespace(time=lambda: middle, monotonic=time.monotonic)
    monkeypatch.setattr(ratelimit, "time", clock)
    monkeypatch.setattr(sensing_sources, "time", clock)
