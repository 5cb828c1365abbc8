"""Every first-party script in static/ parses: one syntax error (a block left open where two changes met) silently
switches off everything else in its file — on every page, for site.js — and no browser test of one feature sees it.

Checked with Node's parser (`node --check`), which the browser tests' machines have alongside Chromium."""

import shutil
import subprocess
from pathlib import Path

import pytest

STATIC = Path(__file__).resolve().parents[1] / "static"
SCRIPTS = sorted(p for p in STATIC.rglob("*.js") if "vendor" not in p.relative_to(STATIC).parts)
NODE = shutil.which("node")

pytestmark = pytest.mark.skipif(NODE is None, reason="Node.js is not installed")


def check(path):
    return subprocess.run([NODE, "--check", str(path)], capture_output=True, text=True, timeout=30)


def test_the_scripts_are_found():
    assert STATIC / "cityops" / "site.js" in SCRIPTS and len(SCRIPTS) >= 10


@pytest.mark.parametrize("path", SCRIPTS, ids=lambda p: str(p.relative_to(STATIC)))
def test_a_script_parses(path):
    result = check(path)
    assert result.returncode == 0, result.stderr


def test_the_check_catches_a_block_left_open(tmp_path):
    broken = tmp_path / "broken.js"
    broken.write_text('(() => {\n  document.addEventListener("x", () => {});\n// the closing line went missing\n')
    assert check(broken).returncode != 0
