"""The web server's master builds what every worker needs before forking them (docker/gunicorn.conf.py,
huizhou_cityops/warmup.py), and leaves no connection open to be shared across the fork."""

import importlib.util
from pathlib import Path

import pytest
from django.db import connection

from grids import point_index
from huizhou_cityops import warmup

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def fresh_index(monkeypatch):
    monkeypatch.setattr(point_index, "_current", None)
    monkeypatch.setattr(point_index, "_checked_at", float("-inf"))


@pytest.mark.django_db(transaction=True)
def test_the_warm_up_builds_the_point_index_and_closes_the_connections(huizhou_grid, fresh_index):
    assert warmup.warm_up() is True
    assert point_index._current is not None and point_index._current.locate is not None
    assert connection.connection is None


@pytest.mark.django_db(transaction=True)
def test_a_failing_warm_up_is_logged_and_changes_nothing(huizhou_grid, fresh_index, monkeypatch, caplog):
    def broken():
        raise RuntimeError("no database yet")

    monkeypatch.setattr(point_index, "region_index_current", broken)
    assert warmup.warm_up() is False
    assert "warm-up before the fork failed" in caplog.text
    assert point_index._current is None and connection.connection is None


def _config(monkeypatch, preload):
    monkeypatch.setenv("GUNICORN_PRELOAD", preload)
    spec = importlib.util.spec_from_file_location("gunicorn_conf_under_test", ROOT / "docker" / "gunicorn.conf.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(("preload", "calls"), [("1", 1), ("0", 0)])
def test_the_server_warms_up_only_a_preloaded_application(monkeypatch, preload, calls):
    made = []
    monkeypatch.setattr(warmup, "warm_up", lambda: made.append(1) or True)
    _config(monkeypatch, preload).when_ready(server=None)
    assert len(made) == calls
