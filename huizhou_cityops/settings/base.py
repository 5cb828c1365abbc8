"""Settings shared by every environment; everything that differs comes from the environment."""

import ipaddress
from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

SECRET_KEY = env("SECRET_KEY", default="insecure-development-key-change-me")
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.gis",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_filters",
    "leaflet",
    "axes",
    # grids before accounts: seed_demo runs each app's demo in this order, and people need the grid.
    "grids",
    "accounts",
    "cases",
    "dispatch",
    "assessment",
    # Development tooling (seed_load); its commands refuse to run with DEBUG off unless forced.
    "devtools",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Outside the others so its headers are on every answer, the lockout page and error pages included.
    "huizhou_cityops.headers.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Compresses what the views below answer in JSON; outside them, so the size it sees is final.
    "huizhou_cityops.middleware.JsonGZipMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "accounts.security.sessions.SessionRenewalMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    # Before any view or CSRF check reads the form: a NUL character in a parameter is refused with 400.
    "huizhou_cityops.middleware.RefuseNulCharactersMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # After authentication: a refused request (403) is recorded with the person who made it. The last middleware
    # that runs only synchronously: under the ASGI server the ones after it run asynchronously, where each of
    # Django's costs a request two thread switches, so only Axes (asynchronous itself) follows it.
    "accounts.security.middleware.SecurityEventMiddleware",
    # Axes must come last: it inspects the outcome of authentication.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "huizhou_cityops.urls"
WSGI_APPLICATION = "huizhou_cityops.wsgi.application"
ASGI_APPLICATION = "huizhou_cityops.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": env.db_url("DATABASE_URL", default="postgis://postgres@127.0.0.1:5432/cityops"),
}
DATABASES["default"]["ENGINE"] = "django.contrib.gis.db.backends.postgis"
DATABASES["default"]["ATOMIC_REQUESTS"] = False
# Connections: the web server runs every request's view on a thread of its own (ASGI), and Django keeps a
# connection per thread, so a persistent connection (CONN_MAX_AGE > 0) is never reused by the next request and
# stays open until its thread is collected. Requests therefore close theirs (0), and the pooling is PgBouncer's in
# session mode, in front of PostgreSQL (docs/deploy.md, "Database connections"). Commands and Celery workers run
# on long-lived threads of their own and may keep theirs (CONN_MAX_AGE set in their environment).
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=0)
# A kept connection is checked before each request that reuses it, so a restarted database or pooler costs an
# error-free reconnect rather than a 500.
DATABASES["default"]["CONN_HEALTH_CHECKS"] = env.bool("CONN_HEALTH_CHECKS", default=True)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env("REDIS_URL", default="redis://127.0.0.1:6379/0")
# The cache only saves time: while Redis does not answer, reads miss and writes are skipped (huizhou_cityops.cache),
# after at most a second's wait.
CACHES = {
    "default": {
        "BACKEND": "huizhou_cityops.cache.FallbackRedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "cityops",
        "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
    }
}

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    # Axes first, so a locked-out user is refused before the password is checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Sessions end after SESSION_IDLE_MINUTES without a request: a request that uses the session renews its age, at
# most once every SESSION_RENEW_SECONDS (accounts.security.sessions: one write a minute, not one per request).
SESSION_COOKIE_AGE = env.int("SESSION_IDLE_MINUTES", default=30) * 60
SESSION_RENEW_SECONDS = env.int("SESSION_RENEW_SECONDS", default=60)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

# Lockout, counted twice: AXES_FAILURE_LIMIT failures for one account (from any address) lock that account, and
# AXES_ADDRESS_FAILURE_LIMIT failures from one client address (for any accounts) lock that address, each for the
# cool-off. The address limit is higher because an office behind one NAT address shares it.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_ADDRESS_FAILURE_LIMIT = env.int("AXES_ADDRESS_FAILURE_LIMIT", default=20)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_HANDLER = "accounts.security.lockout.LockoutHandler"
# The client address comes from accounts.security.clientip: REMOTE_ADDR, or, when the request came through one of
# TRUSTED_PROXIES (addresses or networks, e.g. "10.0.0.5,172.16.0.0/12"), the nearest address in X-Forwarded-For
# that is not a trusted proxy. With no trusted proxies X-Forwarded-For is ignored, so nobody can choose their
# address by sending the header. A bad entry stops the start (ValueError) rather than being skipped.
TRUSTED_PROXIES = [str(ipaddress.ip_network(n.strip(), strict=False)) for n in env.list("TRUSTED_PROXIES", default=[])]
AXES_CLIENT_IP_CALLABLE = "accounts.security.clientip.client_ip"
AXES_RESET_ON_SUCCESS = True
AXES_ENABLE_ACCESS_FAILURE_LOG = True
AXES_VERBOSE = False
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_USERNAME_CALLABLE = "accounts.axes_keys.attempted_username"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = env("STATIC_ROOT", default=str(BASE_DIR / "var" / "staticfiles"))
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = env("MEDIA_ROOT", default=str(BASE_DIR / "var" / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

vars().update(env.email_url("EMAIL_URL", default="consolemail://"))
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="cityops@localhost")

REST_FRAMEWORK = {
    # Token first: DRF takes the WWW-Authenticate header from the first class, so anonymous calls get 401, not 403.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.security.tokens.ExpiringTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "huizhou_cityops.api_schema.AutoSchema",
    "EXCEPTION_HANDLER": "huizhou_cityops.errors.api_exception_handler",
}
# API tokens (POST /api/v1/auth/token/) are refused this many hours after they were issued; asking again after
# that issues a new one. A password change or deactivation deletes the user's token at once.
API_TOKEN_LIFETIME = timedelta(hours=env.int("API_TOKEN_LIFETIME_HOURS", default=12))
SPECTACULAR_SETTINGS = {
    "TITLE": "Huizhou CityOps API",
    "VERSION": "1.0.0",
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Choice sets that share a field name ("kind", "level") get their own names in the schema.
    "ENUM_NAME_OVERRIDES": {
        "DepartmentKindEnum": "grids.models.DepartmentKind",
        "DepartmentLevelEnum": "grids.models.DepartmentLevel",
        "CommandLevelEnum": "cases.models.CommandLevel",
        "CategoryKindEnum": "cases.models.CategoryKind",
    },
}

CELERY_BROKER_URL = REDIS_URL
CELERY_RESULT_BACKEND = None
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = TIME_ZONE
# The one place for periodic work. Deadlines are swept from the database by these tasks;
# nothing is ever scheduled with ETA/countdown (Redis would redeliver or lose long-delayed tasks).
CELERY_BEAT_SCHEDULE = {}

# django-leaflet: the base-map tile URL is a setting so an intranet tile server can replace it.
# Categories (display-code prefixes) never shown on public pages such as /public/transparency/: classes about a
# person rather than a place (流浪乞讨). The catalogue API marks every other class `public`.
PUBLIC_HIDDEN_CATEGORIES = env.list("PUBLIC_HIDDEN_CATEGORIES", default=["E0502"])
# The transparency page's figures are kept this long (per month) in the shared cache.
TRANSPARENCY_CACHE_SECONDS = env.int("TRANSPARENCY_CACHE_SECONDS", default=300)

LEAFLET_TILE_URL = env("LEAFLET_TILE_URL", default="")
# The offline base map: a directory of z/x/y.png tiles served at /tiles/ (manage.py import_tiles fills it from an
# MBTiles file). With it set and LEAFLET_TILE_URL empty, the maps use the local tiles.
TILES_DIR = env("TILES_DIR", default="")
if TILES_DIR and not LEAFLET_TILE_URL:
    LEAFLET_TILE_URL = "/tiles/{z}/{x}/{y}.png"
LEAFLET_CONFIG = {
    "DEFAULT_CENTER": (23.11, 114.42),
    "DEFAULT_ZOOM": 9,
    "MIN_ZOOM": 3,
    "MAX_ZOOM": 18,
    "TILES": [("OSM", LEAFLET_TILE_URL, {"attribution": "&copy; OpenStreetMap"})] if LEAFLET_TILE_URL else [],
    "RESET_VIEW": False,
}

# gis.W001: Debian 12 ships GDAL 3.6, which cannot block file/network access while parsing a spatial
# reference. GDAL only ever reads boundary files that an administrator imports on the server itself.
SILENCED_SYSTEM_CHECKS = ["gis.W001"]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {"cityops.auth": {"level": "INFO"}},
}

# Case rules an administrator may tune: extensions a dispatcher may approve alone (the first one, up to
# this many working hours); anything longer, or a second one, needs a leader.
CASE_EXTENSION_MAX_HOURS = env.int("CASE_EXTENSION_MAX_HOURS", default=160)
CASE_EXTENSION_DISPATCHER_MAX_HOURS = env.int("CASE_EXTENSION_DISPATCHER_MAX_HOURS", default=21)
PHOTO_MAX_BYTES = env.int("PHOTO_MAX_BYTES", default=10 * 1024 * 1024)
# The most pixels one photo may make the server decode (a JPEG counts at the 1/2, 1/4 or 1/8 scale it is decoded
# at): larger images are refused from their header with a 400. Decoding and shrinking costs about 8 bytes per
# decoded pixel, so 13 MP (a 4032 × 3024 camera photo; a JPEG of up to about 52 MP) stays near 100 MB an upload.
PHOTO_MAX_PIXELS = env.int("PHOTO_MAX_PIXELS", default=13_000_000)
# Case photos are as private as their case: only the scoped /photos/ID/ views serve them, never /media/.
# "django" streams the file from the app; "x-accel" answers with an X-Accel-Redirect to PHOTO_ACCEL_PREFIX +
# the file's name, for an nginx `internal` location over MEDIA_ROOT (docs/deploy.md).
PHOTO_SERVING = env("PHOTO_SERVING", default="django")
PHOTO_ACCEL_PREFIX = env("PHOTO_ACCEL_PREFIX", default="/protected-photos/")
if PHOTO_SERVING not in ("django", "x-accel"):
    raise ImproperlyConfigured(f"PHOTO_SERVING must be 'django' or 'x-accel', not {PHOTO_SERVING!r}")
# Photos one report or action may carry. The API, the page forms and the phone all read this one value; a
# report waiting on a phone under a higher limit is answered with the new one (see README, mobile report form).
CASE_PHOTOS_MAX = env.int("CASE_PHOTOS_MAX", default=6)
# The farthest (metres) a 部件 report's point may lie from the facility it names: GPS error plus a step back.
FACILITY_REPORT_MAX_METRES = env.int("FACILITY_REPORT_MAX_METRES", default=50)

# The public portal (/public/): reports from anyone, without an account. Rate limits count per client address
# (accounts.security.clientip, through TRUSTED_PROXIES) and per phone number in fixed windows of the shared
# cache: reports per address per hour, SMS codes per phone per hour, wrong codes before a code is spent.
PUBLIC_PORTAL_USERNAME = env("PUBLIC_PORTAL_USERNAME", default="public-portal")
PUBLIC_REPORTS_PER_ADDRESS_HOUR = env.int("PUBLIC_REPORTS_PER_ADDRESS_HOUR", default=10)
PUBLIC_POSTS_PER_ADDRESS_MINUTE = env.int("PUBLIC_POSTS_PER_ADDRESS_MINUTE", default=30)
PUBLIC_CODES_PER_PHONE_HOUR = env.int("PUBLIC_CODES_PER_PHONE_HOUR", default=3)
PUBLIC_CODE_TTL_MINUTES = env.int("PUBLIC_CODE_TTL_MINUTES", default=10)
PUBLIC_CODE_MAX_TRIES = env.int("PUBLIC_CODE_MAX_TRIES", default=5)
# 回访: a call-back that did not reach the reporter is tried again, this many times in all.
CALLBACK_MAX_ATTEMPTS = env.int("CALLBACK_MAX_ATTEMPTS", default=3)
# Point lookups answer from an in-memory index of the region pieces in each process (grids.point_index); it reads
# the database's stamp of the regions at most this often, so an edit made by another process is seen within it.
GRIDS_LOCATE_RECHECK_SECONDS = env.float("GRIDS_LOCATE_RECHECK_SECONDS", default=5)

# Sensing intake: how long a process trusts what it read of a source's key and thresholds (a revoked key still
# works this long on the other server processes); the merging distance and window of a class without its own rule
# (admin: sensing merging rules); and the least time between two timeline entries of repeats without a snapshot.
SENSING_KEY_CACHE_SECONDS = env.int("SENSING_KEY_CACHE_SECONDS", default=10)
SENSING_MERGE_METRES = env.int("SENSING_MERGE_METRES", default=50)
SENSING_MERGE_HOURS = env.int("SENSING_MERGE_HOURS", default=24)
SENSING_TIMELINE_QUIET_SECONDS = env.int("SENSING_TIMELINE_QUIET_SECONDS", default=600)
# Threads per server process that run the ingestion endpoint's database work, each on one kept connection (0: on
# the request's own thread and connection, as the tests do inside their transaction).
SENSING_DB_THREADS = env.int("SENSING_DB_THREADS", default=4)
# The same for the case API's reports and list pages (POST and GET /api/v1/cases/): threads per server process that
# run the whole request (authentication, the work, the answer) on one kept connection each, instead of a new
# connection (a forked backend that reads the case table's catalogue afresh) per request. 0: on the request's own
# thread, as the tests do.
API_DB_THREADS = env.int("API_DB_THREADS", default=2)
# The POST only stores a detection (`received`); the task followup.sensing_process on the followup queue decides what it
# becomes (cases.services.sensing_queue). SENSING_KICK: the POST asks for a run (off in the tests, which run the step
# themselves). A run works at most SENSING_PROCESS_BUDGET_SECONDS (below the task's soft limit) in batches of
# SENSING_PROCESS_BATCH rows, then hands over to a new run; beat sweeps every SENSING_SWEEP_SECONDS for rows a lost
# kick or a killed run left.
SENSING_KICK = env.bool("SENSING_KICK", default=True)
SENSING_PROCESS_BUDGET_SECONDS = env.int("SENSING_PROCESS_BUDGET_SECONDS", default=40)
SENSING_PROCESS_BATCH = env.int("SENSING_PROCESS_BATCH", default=200)
SENSING_SWEEP_SECONDS = env.int("SENSING_SWEEP_SECONDS", default=10)
# The run's decisions commit without waiting for the WAL flush (a database crash loses the last fraction of a second
# of them whole; their detections are decided again): cases.services.sensing_queue._commit_mode.
SENSING_ASYNC_COMMIT = env.bool("SENSING_ASYNC_COMMIT", default=True)

# Unit grids (单元网格): the edge of a generated square cell in metres (100 m gives the classic 10,000 m²
# "万米单元网格"), and the area (m²) an imported layer's overlaps, gaps and cells outside their community may
# reach before the import is refused (coordinates rounded by a GIS tool leave slivers of a fraction of a square metre).
UNIT_GRID_SIZE_M = env.int("UNIT_GRID_SIZE_M", default=100)
UNIT_GRID_TOLERANCE_M2 = env.float("UNIT_GRID_TOLERANCE_M2", default=1.0)
# Patrols (上岗/下岗) and their tracks: how often the phone records its position while on duty (and how often
# when the battery is below 20 % and not charging), the most points one upload may carry, and how old a last
# fix may be before the command centre shows the worker as out of touch.
PATROL_TRACK_SECONDS = env.int("PATROL_TRACK_SECONDS", default=30)
PATROL_TRACK_LOW_BATTERY_SECONDS = env.int("PATROL_TRACK_LOW_BATTERY_SECONDS", default=120)
PATROL_TRACK_BATCH_MAX = env.int("PATROL_TRACK_BATCH_MAX", default=500)
PATROL_FIX_STALE_MINUTES = env.int("PATROL_FIX_STALE_MINUTES", default=10)

# Supervision orders and notifications (dispatch). Working hours a leader may give for a reply; how often the
# open orders are swept for overdue ones. SMS go through SMS_BACKEND: the logging backend by default,
# "dispatch.notifications.sms.HttpSmsBackend" posts JSON to SMS_HTTP_URL with SMS_HTTP_TOKEN as a bearer token.
ORDER_REPLY_MAX_HOURS = env.int("ORDER_REPLY_MAX_HOURS", default=80)
ORDER_SWEEP_SECONDS = env.int("ORDER_SWEEP_SECONDS", default=60)
SMS_BACKEND = env("SMS_BACKEND", default="dispatch.notifications.sms.LoggingSmsBackend")
SMS_HTTP_URL = env("SMS_HTTP_URL", default="")
SMS_HTTP_TOKEN = env("SMS_HTTP_TOKEN", default="")
# Gateway time-outs: a gateway that hangs costs one notify worker at most connect + read seconds per message
# (the read time-out counts per socket read). Email goes through Django's backend, EMAIL_TIMEOUT per SMTP step.
SMS_HTTP_CONNECT_TIMEOUT_SECONDS = env.float("SMS_HTTP_CONNECT_TIMEOUT_SECONDS", default=3)
SMS_HTTP_TIMEOUT_SECONDS = env.float("SMS_HTTP_TIMEOUT_SECONDS", default=5)
EMAIL_TIMEOUT = env.float("EMAIL_TIMEOUT_SECONDS", default=5)
# The outbox: a failed email or SMS is retried after 1, 2, 4, 8 … × NOTIFY_RETRY_BASE_SECONDS, and marked failed
# (visible in the admin, which can retry it) after NOTIFY_MAX_ATTEMPTS attempts.
NOTIFY_MAX_ATTEMPTS = env.int("NOTIFY_MAX_ATTEMPTS", default=6)
NOTIFY_RETRY_BASE_SECONDS = env.int("NOTIFY_RETRY_BASE_SECONDS", default=60)
NOTIFY_DELIVERY_SECONDS = env.int("NOTIFY_DELIVERY_SECONDS", default=15)
# The live feed's long poll (/api/v1/events/?wait=) holds a thread for up to this many seconds (at most 25); the
# pages use the stream below and poll without waiting when it is not available.
EVENTS_FEED_MAX_WAIT_SECONDS = env.int("EVENTS_FEED_MAX_WAIT_SECONDS", default=25)
# The live stream (/live/events/, server-sent events under ASGI; dispatch/live). A stream ends after
# EVENTS_STREAM_MAX_SECONDS and the browser reconnects where it was (a change of scope or sign-in is picked up);
# a comment every EVENTS_STREAM_HEARTBEAT_SECONDS keeps proxies from closing a quiet stream, and the stream looks
# at the database then too. Each server process reads for its streams on EVENTS_STREAM_DB_THREADS threads (one
# database connection each). Publishing an event waits at most EVENTS_PUBLISH_TIMEOUT_SECONDS for Redis.
EVENTS_STREAM_MAX_SECONDS = env.float("EVENTS_STREAM_MAX_SECONDS", default=300)
EVENTS_STREAM_HEARTBEAT_SECONDS = env.float("EVENTS_STREAM_HEARTBEAT_SECONDS", default=15)
EVENTS_STREAM_DB_THREADS = env.int("EVENTS_STREAM_DB_THREADS", default=4)
EVENTS_PUBLISH_TIMEOUT_SECONDS = env.float("EVENTS_PUBLISH_TIMEOUT_SECONDS", default=0.5)
# Requests one web server process handles at once under ASGI (huizhou_cityops.asgi.RequestLimit); the others wait
# their turn. Each holds a thread and a database connection: workers × this stays well under max_connections.
# Open live streams do not count.
WEB_MAX_CONCURRENT_REQUESTS = env.int("WEB_MAX_CONCURRENT_REQUESTS", default=8)
# /healthz answers its costlier lines (workers, calendar) from memory for this long (huizhou_cityops.health).
HEALTHZ_DETAIL_SECONDS = env.float("HEALTHZ_DETAIL_SECONDS", default=5)
# Both are idempotent: `expires` drops a run that waited in the queue longer than one interval.
CELERY_BEAT_SCHEDULE["dispatch-outbox-deliver"] = {
    "task": "dispatch.outbox_deliver",
    "schedule": NOTIFY_DELIVERY_SECONDS,
    "options": {"expires": NOTIFY_DELIVERY_SECONDS},
}
CELERY_BEAT_SCHEDULE["dispatch-orders-sweep"] = {
    "task": "dispatch.orders_sweep",
    "schedule": ORDER_SWEEP_SECONDS,
    "options": {"expires": ORDER_SWEEP_SECONDS},
}

# The command centre's tab counters (dispatch.models.counts): how often beat folds their changes (reads stay one
# index range), and how often it recounts them from the cases, repairing (and logging) any drift.
QUEUE_COUNT_COMPACT_SECONDS = env.int("QUEUE_COUNT_COMPACT_SECONDS", default=60)
QUEUE_COUNT_RECOUNT_SECONDS = env.int("QUEUE_COUNT_RECOUNT_SECONDS", default=3600)
CELERY_BEAT_SCHEDULE["dispatch-queue-counts-compact"] = {
    "task": "dispatch.queue_counts_compact",
    "schedule": QUEUE_COUNT_COMPACT_SECONDS,
    "options": {"expires": QUEUE_COUNT_COMPACT_SECONDS},
}
CELERY_BEAT_SCHEDULE["dispatch-queue-counts-recount"] = {
    "task": "dispatch.queue_counts_recount",
    "schedule": QUEUE_COUNT_RECOUNT_SECONDS,
    "options": {"expires": QUEUE_COUNT_RECOUNT_SECONDS},
}

# 街道吹哨、部门报到 (dispatch.services.whistles): working hours a summoned department has to report (报到), and
# how often beat sweeps the summonses past that deadline (idempotent, like the orders sweep).
WHISTLE_REPORT_HOURS = env.float("WHISTLE_REPORT_HOURS", default=2.0)
WHISTLE_SWEEP_SECONDS = env.int("WHISTLE_SWEEP_SECONDS", default=60)
CELERY_BEAT_SCHEDULE["dispatch-whistles-sweep"] = {
    "task": "dispatch.whistles_sweep",
    "schedule": WHISTLE_SWEEP_SECONDS,
    "options": {"expires": WHISTLE_SWEEP_SECONDS},
}

# Management credit (管理征信): the key of the HMAC an individual's ID number is kept as (never the number itself).
# Changing it makes every registered person a new party; set it once per installation.
CREDIT_ID_SALT = env("CREDIT_ID_SALT", default="cityops-credit:" + SECRET_KEY)

# The enforcement chain's step deadlines (cases.services.enforcement): its own small sweep, apart from the case
# timers, marks a step past its limit overdue once (idempotent, like the orders sweep). Its limits are working
# hours, so it runs on the `reports` worker: the `timers` worker's period is fully budgeted to the stage sweeps.
ENFORCEMENT_SWEEP_SECONDS = env.int("ENFORCEMENT_SWEEP_SECONDS", default=120)
CELERY_BEAT_SCHEDULE["dispatch-enforcement-sweep"] = {
    "task": "dispatch.enforcement_sweep",
    "schedule": ENFORCEMENT_SWEEP_SECONDS,
    "options": {"expires": ENFORCEMENT_SWEEP_SECONDS},
}

# Stage timers (dispatch): how often beat sweeps the due warnings, deadlines and escalation steps, and how many
# cases one sweep transaction claims. The sweep is idempotent, so a late or doubled beat is harmless; `expires`
# drops sweeps that waited in the queue longer than one interval (the next one does their work).
TIMER_SWEEP_SECONDS = env.int("TIMER_SWEEP_SECONDS", default=30)
TIMER_SWEEP_BATCH = env.int("TIMER_SWEEP_BATCH", default=1000)
CELERY_BEAT_SCHEDULE["dispatch-timers-sweep"] = {
    "task": "dispatch.timers_sweep",
    "schedule": TIMER_SWEEP_SECONDS,
    "options": {"expires": TIMER_SWEEP_SECONDS},
}

# The follow-up outbox (dispatch.services.followup): the work a change causes (routing, auto-dispatch, the
# notifications of transitions, orders, whistles and fired timers) is written as rows with the change and carried
# out by the `followup.run` task on the `followup` queue right after the commit. The repair sweep takes rows still
# pending FOLLOWUP_GRACE_SECONDS after they were written (a lost hand-over, a killed process) or whose claim
# (FOLLOWUP_LEASE_SECONDS, longer than any handler) ran out; failures are retried after 1, 2, 4 … ×
# FOLLOWUP_RETRY_BASE_SECONDS, up to FOLLOWUP_MAX_ATTEMPTS. FOLLOWUP_INLINE runs the fast path in the committing
# process instead (tests). Done rows are kept FOLLOWUP_KEEP_DAYS. A process sends at most one `followup.run` per
# FOLLOWUP_KICK_SECONDS: the ids of the commits in between go together in the next one, at most that long later
# (0 sends one per commit).
FOLLOWUP_QUEUE = "followup"
FOLLOWUP_KICK_SECONDS = env.float("FOLLOWUP_KICK_SECONDS", default=0.25)
FOLLOWUP_INLINE = env.bool("FOLLOWUP_INLINE", default=False)
FOLLOWUP_GRACE_SECONDS = env.int("FOLLOWUP_GRACE_SECONDS", default=30)
FOLLOWUP_LEASE_SECONDS = env.int("FOLLOWUP_LEASE_SECONDS", default=600)
FOLLOWUP_MAX_ATTEMPTS = env.int("FOLLOWUP_MAX_ATTEMPTS", default=8)
FOLLOWUP_RETRY_BASE_SECONDS = env.int("FOLLOWUP_RETRY_BASE_SECONDS", default=30)
FOLLOWUP_BATCH = env.int("FOLLOWUP_BATCH", default=100)
FOLLOWUP_KEEP_DAYS = env.int("FOLLOWUP_KEEP_DAYS", default=7)
FOLLOWUP_REPAIR_SECONDS = env.int("FOLLOWUP_REPAIR_SECONDS", default=60)
FOLLOWUP_REPAIR_BUDGET_SECONDS = env.int("FOLLOWUP_REPAIR_BUDGET_SECONDS", default=50)
CELERY_BEAT_SCHEDULE["sensing-process"] = {
    "task": "followup.sensing_process",
    "schedule": SENSING_SWEEP_SECONDS,
    "options": {"expires": SENSING_SWEEP_SECONDS, "queue": FOLLOWUP_QUEUE},
}
CELERY_BEAT_SCHEDULE["followup-repair"] = {
    "task": "followup.repair",
    "schedule": FOLLOWUP_REPAIR_SECONDS,
    "options": {"expires": FOLLOWUP_REPAIR_SECONDS, "queue": FOLLOWUP_QUEUE},
}

# The big screen (/screen/): its figures are kept this many seconds per scope and language (every wall of one
# scope shares one computation), the community polygons of its map SCREEN_GRID_CACHE_SECONDS (they rarely change).
SCREEN_CACHE_SECONDS = env.int("SCREEN_CACHE_SECONDS", default=10)
SCREEN_GRID_CACHE_SECONDS = env.int("SCREEN_GRID_CACHE_SECONDS", default=600)

# Assessment: a unit is ranked only when its score rests on at least this many cases (assessment/ranking.py);
# below it the score is shown with its sample size but no rank.
ASSESSMENT_MIN_CASES = env.int("ASSESSMENT_MIN_CASES", default=10)
# 漏报 (assessment/indicators/missed.py): a case another channel reported counts as missed by a grid worker whose
# patrol track passed through its unit grid within this many minutes before the report, within this many metres
# of the grid (GPS error; 0: a track point inside the grid).
ASSESSMENT_MISSED_WINDOW_MINUTES = env.int("ASSESSMENT_MISSED_WINDOW_MINUTES", default=120)
ASSESSMENT_MISSED_TOLERANCE_M = env.float("ASSESSMENT_MISSED_TOLERANCE_M", default=30.0)

# Assessment: freeze each day, week, month, quarter and year once it has ended (the task finds what is due and
# skips what is frozen already, so a late or doubled beat is harmless).
# Daily roll-ups (assessment/rollups/): each finished day is written once and again when late events land in it;
# the live dashboard sums them and computes only today.
CELERY_BEAT_SCHEDULE["assessment-rollup-days"] = {
    "task": "assessment.rollup_days",
    "schedule": env.int("ASSESSMENT_ROLLUP_SECONDS", default=600),
    "options": {"expires": 600},
}
CELERY_BEAT_SCHEDULE["assessment-freeze-due"] = {
    "task": "assessment.freeze_due",
    "schedule": env.int("ASSESSMENT_FREEZE_SECONDS", default=600),
    "options": {"expires": 600},
}

# Exports of the work lists (dispatch.exports). Up to EXPORT_SYNC_MAX_ROWS rows are streamed at once; a larger
# list becomes a background job on the "reports" queue whose file is kept EXPORT_KEEP_HOURS for its owner. The
# sweep runs jobs a lost message or a dead worker left (pending past the grace period, or a lease run out), gives
# up after EXPORT_MAX_ATTEMPTS, and deletes expired files.
EXPORT_SYNC_MAX_ROWS = env.int("EXPORT_SYNC_MAX_ROWS", default=5000)
EXPORT_KEEP_HOURS = env.int("EXPORT_KEEP_HOURS", default=24)
EXPORT_CHUNK_ROWS = env.int("EXPORT_CHUNK_ROWS", default=2000)
EXPORT_LEASE_SECONDS = env.int("EXPORT_LEASE_SECONDS", default=300)
EXPORT_MAX_ATTEMPTS = env.int("EXPORT_MAX_ATTEMPTS", default=3)
EXPORT_MAX_OPEN_PER_USER = env.int("EXPORT_MAX_OPEN_PER_USER", default=3)
EXPORT_PENDING_GRACE_SECONDS = env.int("EXPORT_PENDING_GRACE_SECONDS", default=60)
EXPORT_SWEEP_SECONDS = env.int("EXPORT_SWEEP_SECONDS", default=60)
EXPORT_SWEEP_BATCH = env.int("EXPORT_SWEEP_BATCH", default=2)
CELERY_BEAT_SCHEDULE["dispatch-exports-sweep"] = {
    "task": "dispatch.exports_sweep",
    "schedule": EXPORT_SWEEP_SECONDS,
    "options": {"expires": EXPORT_SWEEP_SECONDS, "queue": "reports"},
}

# ---- Celery queues by purpose, and time limits (docs/deploy.md, "Running a shift") ----
# Each queue has its own worker processes, so a hanging SMS gateway (notify) or a long export (reports) never
# holds up the deadline sweeps (timers). Tasks named "followup.<something>" (work a transition causes: routing,
# auto-dispatch, the feed) and "notify.<something>" find their queue by name; every other task is listed here.
WORKER_QUEUES = ("timers", "notify", "followup", "reports")
CELERY_TASK_DEFAULT_QUEUE = FOLLOWUP_QUEUE
CELERY_TASK_ROUTES = {
    "dispatch.timers_sweep": {"queue": "timers"},
    "dispatch.orders_sweep": {"queue": "timers"},
    "dispatch.whistles_sweep": {"queue": "timers"},
    "dispatch.enforcement_sweep": {"queue": "reports"},
    "dispatch.outbox_deliver": {"queue": "notify"},
    "notify.*": {"queue": "notify"},
    "followup.*": {"queue": FOLLOWUP_QUEUE},
    "dispatch.export_run": {"queue": "reports"},
    "dispatch.exports_sweep": {"queue": "reports"},
    "assessment.*": {"queue": "reports"},
    # The tab counters: folding their changes is short and frequent (it keeps the reads one index range), the hourly
    # recount reads every open case (seconds at city scale).
    "dispatch.queue_counts_compact": {"queue": FOLLOWUP_QUEUE},
    "dispatch.queue_counts_recount": {"queue": "reports"},
}


def _limits(soft: float, hard: float) -> tuple[float, float]:
    """(soft, hard) seconds. Soft raises SoftTimeLimitExceeded in the task, which rolls back and stops; hard
    kills the worker child that did not stop (its task is acknowledged as failed, never redelivered)."""
    return round(soft, 3), round(hard, 3)


# The timers worker runs one task at a time, and its three sweeps share one timer period: the stage sweep at most
# 80 % of it (a burst of 10,000 due stages takes about 18 s with its notifications), the orders and whistles sweeps
# 10 % each (at least a second). Even if every one ran to its hard limit, the worker is free again within a period,
# so a stage sweep starts at most one period late (and `expires` drops a run that waited longer: the next does its
# work). The sweeps commit in batches, so a run cut short loses only its batch in flight, which the next run redoes.
_TIMER_SHARE = max(TIMER_SWEEP_SECONDS * 0.1, 1)
# A worst-case send: the gateway hangs up to its time-outs. An outbox run claims new rows only while such a send
# still ends before its soft limit, which comes one period plus one send after the start; the hard limit leaves one
# more send to clean up. A claimed row is leased for the hard limit and a margin (clocks of different hosts), so
# no other run takes it while the run that claimed it may still be sending it.
NOTIFY_SEND_SECONDS = max(SMS_HTTP_CONNECT_TIMEOUT_SECONDS + SMS_HTTP_TIMEOUT_SECONDS, 2 * EMAIL_TIMEOUT)
NOTIFY_LEASE_MARGIN_SECONDS = env.int("NOTIFY_LEASE_MARGIN_SECONDS", default=30)
# An export job writes its file within its lease (renewed with progress); one worker child runs it.
EXPORT_TIME_LIMIT_SECONDS = env.int("EXPORT_TIME_LIMIT_SECONDS", default=900)
TASK_TIME_LIMITS = {
    "dispatch.timers_sweep": _limits(TIMER_SWEEP_SECONDS * 0.7, TIMER_SWEEP_SECONDS * 0.8),
    "dispatch.orders_sweep": _limits(
        min(ORDER_SWEEP_SECONDS, _TIMER_SHARE) * 0.8, min(ORDER_SWEEP_SECONDS, _TIMER_SHARE)
    ),
    "dispatch.whistles_sweep": _limits(
        min(WHISTLE_SWEEP_SECONDS, _TIMER_SHARE) * 0.8, min(WHISTLE_SWEEP_SECONDS, _TIMER_SHARE)
    ),
    "dispatch.enforcement_sweep": _limits(ENFORCEMENT_SWEEP_SECONDS * 0.4, ENFORCEMENT_SWEEP_SECONDS * 0.5),
    "dispatch.outbox_deliver": _limits(
        NOTIFY_DELIVERY_SECONDS + NOTIFY_SEND_SECONDS, NOTIFY_DELIVERY_SECONDS + 2 * NOTIFY_SEND_SECONDS
    ),
    "dispatch.export_run": _limits(EXPORT_TIME_LIMIT_SECONDS - 30, EXPORT_TIME_LIMIT_SECONDS),
    # The sweep runs up to EXPORT_SWEEP_BATCH jobs left behind itself, one after the other.
    "dispatch.exports_sweep": _limits(
        EXPORT_SWEEP_BATCH * EXPORT_TIME_LIMIT_SECONDS + 30, EXPORT_SWEEP_BATCH * EXPORT_TIME_LIMIT_SECONDS + 60
    ),
    "assessment.freeze_due": _limits(540, 600),  # every 10 minutes; a freeze is one transaction per period
    # Usually a day or two; after an outage the days it missed, each one statement (a second or so at city scale).
    "assessment.rollup_days": _limits(1740, 1800),
    "dispatch.queue_counts_recount": _limits(300, 330),
}
# Anything not listed (follow-up work of a transition is short): a minute at most.
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=50)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=60)
CELERY_TASK_ANNOTATIONS = {
    name: {"soft_time_limit": soft, "time_limit": hard} for name, (soft, hard) in TASK_TIME_LIMITS.items()
}

# Open311 GeoReport v2 (/open311/v2/): the jurisdiction_id clients may send (another one is a 404), what the
# discovery document says, and how many requests one client may POST per minute (HTTP 429 beyond).
OPEN311_JURISDICTION_ID = env("OPEN311_JURISDICTION_ID", default="huizhou.gov.cn")
OPEN311_CONTACT = env("OPEN311_CONTACT", default="惠州市城市管理和综合执法局 数字城管监督指挥中心 12319")
OPEN311_KEY_SERVICE = env(
    "OPEN311_KEY_SERVICE", default="api_key: ask the supervision centre's administrator (manage.py open311_client)"
)
OPEN311_CHANGESET = env("OPEN311_CHANGESET", default="2026-12-07T00:00:00+08:00")
OPEN311_POSTS_PER_MINUTE = env.int("OPEN311_POSTS_PER_MINUTE", default=30)
# Wrong keys from one address per minute before it is refused with 429 (guessing keys is pointless, but costs).
OPEN311_BAD_KEYS_PER_MINUTE = env.int("OPEN311_BAD_KEYS_PER_MINUTE", default=20)
