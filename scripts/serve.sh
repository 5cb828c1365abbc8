#!/usr/bin/env bash
# Serves web (gunicorn + uvicorn workers, as in production) + the Celery workers (one per queue group) + beat in
# the foreground; Ctrl-C stops them all.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -f .env ]; then set -a; . ./.env; set +a; fi
HOST="${HOST:-127.0.0.1}"
PORT="${PORT:-8000}"
mkdir -p var
pids=()
stop() { trap - INT TERM EXIT; kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; }
trap stop INT TERM EXIT
# One Celery worker per queue group, each with its own processes (docs/deploy.md, "Running a shift"): a hanging
# SMS gateway holds notify workers only, never the deadline sweeps on timers. Exactly one beat.
worker() {
  .venv/bin/celery -A huizhou_cityops worker -Q "$1" -n "$1@%h" --concurrency="$2" --loglevel=INFO & pids+=($!)
}
worker timers "${CELERY_TIMERS_CONCURRENCY:-1}"
worker notify "${CELERY_NOTIFY_CONCURRENCY:-3}"
worker followup "${CELERY_FOLLOWUP_CONCURRENCY:-2}"
worker reports "${CELERY_REPORTS_CONCURRENCY:-1}"
.venv/bin/celery -A huizhou_cityops beat --loglevel=INFO --schedule var/celerybeat-schedule & pids+=($!)
# The production server type (docker/gunicorn.conf.py: gunicorn with uvicorn workers on huizhou_cityops.asgi),
# so the live stream behaves as in production; development settings (DEBUG, static files from the app folders
# through whitenoise). `manage.py runserver` remains for debugging only (README, Running it).
DJANGO_SETTINGS_MODULE="${DJANGO_SETTINGS_MODULE:-huizhou_cityops.settings.local}" \
  GUNICORN_WORKERS="${GUNICORN_WORKERS:-2}" GUNICORN_MAX_REQUESTS="${GUNICORN_MAX_REQUESTS:-0}" \
  .venv/bin/gunicorn --config docker/gunicorn.conf.py --bind "$HOST:$PORT" --worker-tmp-dir "${TMPDIR:-/tmp}" \
  huizhou_cityops.asgi & pids+=($!)
cat <<TXT

  Huizhou CityOps is running at  http://$HOST:$PORT/
  Admin: http://$HOST:$PORT/admin/    Health: http://$HOST:$PORT/healthz    API docs: http://$HOST:$PORT/api/docs/

  Demo logins (password: cityops-demo)
    admin                superuser
    gridworker           grid worker, 桥东街道
    operator             city operator (受理员)
    shiftlead            city shift lead (值班长)
    dispatcher           city dispatcher (派遣员)
    district-dispatcher  惠城区 dispatcher
    handler              city urban-management bureau (处置单位)
    street-handler       桥东街道 office
    leader               leader (领导)
    auditor              assessor (考评员)

  Celery: workers timers(1) notify(3) followup(2) reports(1), one beat; manage.py queue_status shows them.
  Ctrl-C stops web, workers and beat.
TXT
wait -n "${pids[@]}"
