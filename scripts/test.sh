#!/usr/bin/env bash
# Runs the whole suite on the real stack; the exit code is the suite's.
set -uo pipefail
cd "$(dirname "$0")/.."
if [ -f .env ]; then set -a; . ./.env; set +a; fi
export REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379/0}"
exec .venv/bin/pytest "$@"
