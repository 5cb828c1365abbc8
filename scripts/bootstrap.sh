#!/usr/bin/env bash
# Brings a Debian/Ubuntu machine to a working CityOps: system packages, PostgreSQL+PostGIS, Redis,
# the virtualenv, the database, migrations and (with --demo) the Huizhou demo data. Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."
MODE="${1:---demo}"
say() { printf '\033[1m==> %s\033[0m\n' "$*"; }
die() { printf '\033[31mError: %s\033[0m\n' "$*" >&2; exit 1; }
is_root() { [ "$(id -u)" = 0 ]; }

# Values from .env (written below when this script provisions its own server) count like the environment.
if [ -f .env ]; then set -a; . ./.env; set +a; fi

missing=()
need_pkg() { dpkg -s "$1" >/dev/null 2>&1 || missing+=("$1"); }
install_missing() {
  [ ${#missing[@]} -eq 0 ] && return 0
  if ! is_root; then
    die "missing system packages. Run as root:  apt-get update && apt-get install -y ${missing[*]}"
  fi
  say "Installing system packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  missing=()
}

# 1. Libraries GeoDjango needs, gettext for translations, the PostgreSQL client; Chromium for browser tests.
PYTHON="$(command -v python3.11 || command -v python3 || true)"
[ -n "$PYTHON" ] || need_pkg python3
need_pkg gdal-bin
need_pkg gettext
need_pkg postgresql-client
if [ "$MODE" = "--test" ]; then need_pkg chromium; need_pkg fonts-noto-cjk; fi
if [ -n "$PYTHON" ] && ! "$PYTHON" -c "import ensurepip, venv" >/dev/null 2>&1; then need_pkg python3-venv; fi
install_missing
PYTHON="$(command -v python3.11 || command -v python3)"

# 2. PostgreSQL: use DATABASE_URL when given, else a local server reachable without a password, else install one.
pg_ok() { psql "$1" -tAc 'select 1' >/dev/null 2>&1; }
admin_url() { printf '%s' "$1" | sed -E 's#^postgis://#postgresql://#; s#/[^/?]*(\?.*)?$#/postgres\1#'; }
if [ -z "${DATABASE_URL:-}" ]; then
  for user in postgres root; do
    if pg_ok "postgresql://$user@127.0.0.1:5432/postgres"; then
      DATABASE_URL="postgis://$user@127.0.0.1:5432/cityops"
      # Remembered, so serve/test scripts and manage.py use the same database as this run.
      [ "$user" = postgres ] || printf 'DATABASE_URL=%s\n' "$DATABASE_URL" >> .env
      break
    fi
  done
fi
if [ -z "${DATABASE_URL:-}" ]; then
  is_root || die "no PostgreSQL answers on 127.0.0.1:5432. Set DATABASE_URL=postgis://USER:PASSWORD@HOST:5432/cityops, or run as root to install one."
  if ! command -v pg_lsclusters >/dev/null 2>&1 || [ -z "$(pg_lsclusters -h 2>/dev/null)" ]; then
    missing+=(postgresql); install_missing
  fi
  say "Starting PostgreSQL"
  pg_lsclusters -h | while read -r ver cluster _; do pg_ctlcluster --skip-systemctl-redirect "$ver" "$cluster" start 2>/dev/null || true; done
  for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 && break; sleep 1; done
  pg_isready -q -h 127.0.0.1 || die "PostgreSQL did not start; see /var/log/postgresql/."
  # A dedicated superuser (PostGIS and the test database need one), remembered in .env for the next run.
  runuser -u postgres -- psql -qtAc "DO \$\$BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname='cityops') THEN CREATE ROLE cityops LOGIN SUPERUSER PASSWORD 'cityops'; END IF; END\$\$;"
  DATABASE_URL="postgis://cityops:cityops@127.0.0.1:5432/cityops"
  printf 'DATABASE_URL=%s\n' "$DATABASE_URL" >> .env
fi
export DATABASE_URL
ADMIN_URL="$(admin_url "$DATABASE_URL")"
pg_ok "$ADMIN_URL" || die "cannot connect to PostgreSQL with DATABASE_URL=$DATABASE_URL"
DB_NAME="$(printf '%s' "$DATABASE_URL" | sed -E 's#.*/([^/?]+)(\?.*)?$#\1#')"

# PostGIS: the package must match the server's major version.
if [ -z "$(psql "$ADMIN_URL" -tAc "select 1 from pg_available_extensions where name='postgis'")" ]; then
  major="$(psql "$ADMIN_URL" -tAc "select current_setting('server_version_num')::int / 10000")"
  case "$ADMIN_URL" in
    *@127.0.0.1*|*@localhost*) missing+=("postgresql-$major-postgis-3"); install_missing ;;
    *) die "PostGIS is not available on the database server; install postgresql-$major-postgis-3 there." ;;
  esac
  [ -n "$(psql "$ADMIN_URL" -tAc "select 1 from pg_available_extensions where name='postgis'")" ] \
    || die "PostGIS is not available on the database server; install postgresql-$major-postgis-3 there."
fi
if [ -z "$(psql "$ADMIN_URL" -tAc "select 1 from pg_database where datname='$DB_NAME'")" ]; then
  say "Creating database $DB_NAME"
  psql "$ADMIN_URL" -qc "CREATE DATABASE \"$DB_NAME\""
fi
psql "$(printf '%s' "$ADMIN_URL" | sed -E "s#/postgres(\?.*)?\$#/$DB_NAME\1#")" -qc "CREATE EXTENSION IF NOT EXISTS postgis" \
  || die "could not create the postgis extension in $DB_NAME (the database user needs to be a superuser, or create it once as one)."

# 3. The virtualenv, reinstalled only when a requirements file changes. A development machine (both modes)
# gets requirements-dev.txt: the runtime packages plus the test and lint tools; the production image installs
# requirements.txt alone (Dockerfile).
if [ ! -x .venv/bin/python ]; then say "Creating .venv"; "$PYTHON" -m venv .venv; fi
stamp=".venv/.requirements.sha"
want="$(cat requirements.txt requirements-dev.txt | sha256sum | cut -d' ' -f1)"
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  say "Installing Python requirements"
  .venv/bin/pip install -q --upgrade pip
  .venv/bin/pip install -q -r requirements-dev.txt
  echo "$want" > "$stamp"
fi

# 4. Redis: REDIS_URL when given, else the local one, started (or installed) when it does not answer.
REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379/0}"
export REDIS_URL
redis_ok() { .venv/bin/python -c "import redis,sys; redis.Redis.from_url(sys.argv[1], socket_connect_timeout=2).ping()" "$REDIS_URL" >/dev/null 2>&1; }
if ! redis_ok; then
  case "$REDIS_URL" in
    redis://127.0.0.1*|redis://localhost*)
      is_root || die "Redis does not answer at $REDIS_URL. Start it, or set REDIS_URL."
      command -v redis-server >/dev/null 2>&1 || { missing+=(redis-server); install_missing; }
      say "Starting Redis"
      mkdir -p /var/lib/redis /var/log/redis
      redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no \
        --dir /var/lib/redis --logfile /var/log/redis/cityops.log
      for _ in $(seq 1 20); do redis_ok && break; sleep 0.5; done
      redis_ok || die "Redis did not start; see /var/log/redis/cityops.log." ;;
    *) die "Redis does not answer at REDIS_URL=$REDIS_URL" ;;
  esac
fi

# 5. Translations, schema, demo data.
.venv/bin/python manage.py compilemessages --ignore '.venv/*' --ignore 'var/*' -v 0
say "Migrating"
.venv/bin/python manage.py migrate --no-input -v 0
if [ "$MODE" = "--demo" ]; then
  say "Loading the Huizhou demo: grid, people, six weeks of cases (first run takes about a minute)"
  .venv/bin/python manage.py seed_demo
fi
