#!/bin/sh
# Entrypoint of every CityOps container (web, worker, beat, one-shot commands): wait for PostgreSQL,
# migrate when this container is the web role, then run the given command as PID 1 so it receives signals.
set -eu

: "${DATABASE_URL:?DATABASE_URL is not set}"
# pg_isready takes a libpq URI; django-environ's postgis:// scheme is the same URI under another name.
db_uri="$(printf '%s' "$DATABASE_URL" | sed -E 's#^postgis://#postgresql://#')"
wait_seconds="${DB_WAIT_SECONDS:-60}"

waited=0
until pg_isready -q -d "$db_uri"; do
  if [ "$waited" -ge "$wait_seconds" ]; then
    echo "entrypoint: PostgreSQL did not answer within ${wait_seconds}s (DATABASE_URL host)." >&2
    exit 1
  fi
  waited=$((waited + 1))
  sleep 1
done

# Only the web role migrates: worker and beat start after web is healthy (compose depends_on), so they
# never see a half-migrated schema, and two containers never run migrate at the same time.
if [ "${CITYOPS_ROLE:-}" = "web" ]; then
  python manage.py migrate --no-input
fi

exec "$@"
