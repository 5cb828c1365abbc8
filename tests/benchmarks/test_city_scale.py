"""benchmarks/city_scale.py runs each surface's script and puts their rows in one table, whatever they do."""

import json
import os
import subprocess
import textwrap
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from benchmarks import city_scale
from dispatch.models import QueueCount, QueueCountDelta

pytestmark = pytest.mark.django_db

SCRIPTS = {
    # Measures, prints its own lines, then the rows; says which database it was given.
    "intake_api.py": """
        import json, os
        print("warming up")
        print(json.dumps({"rows": [{"what": "intake", "value": 812.5, "unit": "cases/s", "goal": ">= 0.5x",
                                     "met": True, "baseline": os.environ["DATABASE_URL"], "queries": 7}]}))
    """,
    "case_map.py": """
        import json
        rows = [{"what": f"map {z}", "value": 180, "unit": "ms", "goal": "<= 150 ms", "met": z != "city",
                 "baseline": "count 3 ms", "queries": 5} for z in ("city", "street")]
        print(json.dumps({"rows": rows}))
    """,
    "api_list.py": """
        import sys
        print("the list endpoint is missing", file=sys.stderr)
        sys.exit(3)
    """,
    "command_counts.py": """
        print("p95 12 ms, but no rows")
    """,
}


@pytest.fixture(autouse=True)
def beats(monkeypatch):
    """The database URLs beat's catch-up ran for, in order (the real one is tested on its own, below)."""
    calls = []
    monkeypatch.setattr(city_scale, "beat_between", lambda url, env: calls.append(url))
    return calls


@pytest.fixture
def scripts(tmp_path):
    for name, body in SCRIPTS.items():
        (tmp_path / name).write_text(textwrap.dedent(body))
    return tmp_path


def _database_url():
    s = connection.settings_dict
    return f"postgis://{s['USER']}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def test_every_surface_gives_rows_or_says_why_not(scripts, capsys):
    url = _database_url()
    assert city_scale.main(["--database-url", url, "--scripts", str(scripts), "--json"]) == 0
    out = capsys.readouterr().out
    result = json.loads(out.strip().splitlines()[-1])
    rows = {row["what"]: row for row in result["rows"]}
    assert rows["intake"]["met"] is True and rows["intake"]["baseline"] == url and rows["intake"]["queries"] == 7
    assert rows["map city"]["met"] is False and rows["map street"]["met"] is True
    failed = [row for row in result["rows"] if row.get("state") == "failed"]
    assert {row["script"] for row in failed} == {"api_list.py", "command_counts.py"}
    assert "exit 3" in rows[city_scale.SURFACES[3].what]["why"]
    assert "the list endpoint is missing" in rows[city_scale.SURFACES[3].what]["why"]
    missing = {row["script"] for row in result["rows"] if row.get("state") == "not available"}
    assert missing == {s.script for s in city_scale.SURFACES} - set(SCRIPTS)
    assert result["met"] == 2 and result["goals"] == len(result["rows"]) == 3 + 2 + len(missing)
    assert f"2 of {result['goals']} goals met" in out
    assert (
        "| intake | 812.5 cases/s | >= 0.5x |" in out
        and "| map city | 180 ms | <= 150 ms | count 3 ms | 5 | NO |" in out
    )


def test_only_runs_the_scripts_named(scripts, capsys, beats):
    city_scale.main(["--database-url", _database_url(), "--scripts", str(scripts), "--only", "case_map.py", "--json"])
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert [row["what"] for row in result["rows"]] == ["map city", "map street"]
    assert beats == [_database_url()]


def test_beat_catches_up_before_every_script_there_is(scripts, capsys, beats):
    city_scale.main(["--database-url", _database_url(), "--scripts", str(scripts)])
    assert beats == [_database_url()] * len(SCRIPTS)


def test_a_catch_up_that_fails_is_a_row_and_the_others_go_on(scripts, capsys, monkeypatch):
    def failing(url, env):
        raise subprocess.CalledProcessError(1, ["manage.py", "queue_counts"])

    monkeypatch.setattr(city_scale, "beat_between", failing)
    only = "case_map.py,intake_api.py"
    city_scale.main(["--database-url", _database_url(), "--scripts", str(scripts), "--only", only, "--json"])
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    states = {row["script"]: row["state"] for row in result["rows"]}
    assert states == {"intake_api.py": "failed", "case_map.py": "failed"}
    assert all("beat's catch-up before it failed" in row["why"] for row in result["rows"])


@pytest.mark.django_db(transaction=True)
def test_beats_catch_up_folds_the_counters_changes(monkeypatch, capfd):
    """What beat does every minute, done between two scripts: the tab counters' changes older than the fold's
    margin become counters, and the recount that follows checks them against the cases."""
    monkeypatch.undo()  # the real catch-up, not the autouse fixture's recorder
    long_ago = timezone.now() - timedelta(hours=1)
    QueueCountDelta.objects.bulk_create(
        [QueueCountDelta(path="", queue="reported", due=long_ago, n=n) for n in (1, 1, -1)]
    )
    city_scale.beat_between(_database_url(), {**os.environ, "DATABASE_URL": _database_url()})
    assert not QueueCountDelta.objects.exists()
    assert list(QueueCount.objects.values_list("path", "queue", "n")) == [("", "reported", 1)]
    # No case is reported, so the recount finds the folded counter one too many; --check says so and leaves it.
    assert "reported +1" in capfd.readouterr().out


def test_a_missing_database_is_named_rather_than_measured(scripts, capsys):
    url = _database_url() + "_absent"
    with pytest.raises(SystemExit, match="give --build"):
        city_scale.main(["--database-url", url, "--scripts", str(scripts)])
