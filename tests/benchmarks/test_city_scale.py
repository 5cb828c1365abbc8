"""benchmarks/city_scale.py runs each surface's script and puts their rows in one table, whatever they do."""

import json
import textwrap

import pytest
from django.db import connection

from benchmarks import city_scale

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


def test_only_runs_the_scripts_named(scripts, capsys):
    city_scale.main(["--database-url", _database_url(), "--scripts", str(scripts), "--only", "case_map.py", "--json"])
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert [row["what"] for row in result["rows"]] == ["map city", "map street"]


def test_a_missing_database_is_named_rather_than_measured(scripts, capsys):
    url = _database_url() + "_absent"
    with pytest.raises(SystemExit, match="give --build"):
        city_scale.main(["--database-url", url, "--scripts", str(scripts)])
