#!/usr/bin/env bash
# Lints (ruff), checks the architecture (import-linter's contracts in pyproject.toml), then runs the suite on
# the real stack. A failed check stops the run before pytest: the checks take seconds, the suite many minutes,
# and a lint or layering failure fails CI whatever the tests say. The exit code is the first failure's.
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
exec .venv/bin/pytest "$@"
