#!/usr/bin/env bash
# Lints (ruff), checks the architecture (import-linter's contracts in pyproject.toml), then runs the suite on
# the real stack. A failed check stops the run before pytest: the checks take seconds, the suite many minutes,
# and a lint or layering failure fails CI whatever the tests say. The exit code is the first failure's.
# pytest runs on TEST_WORKERS processes (pytest-xdist, 2 by default; 0 runs in this process), each with its own
# test database and Redis key prefix (huizhou_cityops/settings/test.py). Whole files go to one worker
# (--dist loadfile): a module's fixtures are built once, and a module's tests never run beside each other. They
# are handed out in collection order, where tests/conftest.py puts the slow files first (--no-loadscope-reorder).
set -uo pipefail
cd "$(dirname "$0")/.."
if [ -f .env ]; then set -a; . ./.env; set +a; fi
export REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379/0}"
step() { printf '\033[1m==> %s\033[0m\n' "$*"; }
step "ruff check"
.venv/bin/ruff check . || exit
step "ruff format --check"
.venv/bin/ruff format --check . || exit
step "lint-imports"
.venv/bin/lint-imports || exit
exec .venv/bin/pytest -n "${TEST_WORKERS:-2}" --dist loadfile --no-loadscope-reorder "$@"
