#!/usr/bin/env bash
# Serves web + Celery worker + beat in the foreground; Ctrl-C stops all three.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -f .env ]; then set -a; . ./.env; set +a; fi
HOST="${HOST:-127.0.0.1}"
PORT="${PORT:-8000}"
mkdir -p var
pids=()
stop() { trap - INT TERM EXIT; kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; }
trap stop INT TERM EXIT
.venv/bin/celery -A huizhou_cityops worker -Q celery,followup,reports --loglevel=INFO --concurrency=2 & pids+=($!)
.venv/bin/celery -A huizhou_cityops beat --loglevel=INFO --schedule var/celerybeat-schedule & pids+=($!)
.venv/bin/python manage.py runserver --noreload "$HOST:$PORT" & pids+=($!)
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

  Ctrl-C stops web, worker and beat.
TXT
wait -n "${pids[@]}"
