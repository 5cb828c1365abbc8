# One image for every role: web (gunicorn), worker and beat (Celery) differ only in their command.
# Build it where PyPI and Debian's mirror are reachable; an intranet host gets it through `docker save/load`
# (docs/deploy.md). The browser libraries are vendored under static/, so the running image fetches nothing.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore \
    DJANGO_SETTINGS_MODULE=huizhou_cityops.settings.production \
    STATIC_ROOT=/app/staticfiles \
    MEDIA_ROOT=/data/media

# GeoDjango loads GDAL (libgdal32 brings GEOS and PROJ); gettext compiles the translations; tzdata backs
# TIME_ZONE=Asia/Shanghai; postgresql-client gives the entrypoint pg_isready, and operators psql and pg_dump of
# the db service's major version (15). Unpinned on purpose: a rebuild should pick up Debian's security fixes.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends gdal-bin libgdal32 gettext postgresql-client tzdata \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app

# Requirements before the code, so a code change does not reinstall them. Only the runtime ones: the test and
# lint tools of requirements-dev.txt have no place in the production image.
COPY requirements.txt ./
RUN pip install -r requirements.txt

COPY . .

# Translations and static files are built into the image. Production settings insist on SECRET_KEY and
# ALLOWED_HOSTS, so this step gets throwaway values that exist only for this command; neither command opens
# the database. compilemessages refuses to run where there is no locale folder at all, hence the test.
RUN export SECRET_KEY=build-only-not-a-secret ALLOWED_HOSTS=localhost \
    && if [ -n "$(find . -path '*/locale/*' -name '*.po' -print -quit)" ]; then \
           python manage.py compilemessages -v 0; \
       fi \
    && python manage.py collectstatic --no-input -v 0

# The code stays root-owned and read-only for the app; only media and var/ (Celery beat's schedule) are writable.
RUN groupadd --system --gid 10001 cityops \
    && useradd --system --uid 10001 --gid cityops --home-dir /app --no-create-home --shell /usr/sbin/nologin cityops \
    && mkdir -p /data/media /app/var \
    && chown cityops:cityops /data/media /app/var \
    && chmod 0755 /app/docker/entrypoint.sh
# Numeric, so an orchestrator can tell it is not root without reading /etc/passwd.
USER 10001:10001

EXPOSE 8000
ENTRYPOINT ["/app/docker/entrypoint.sh"]
CMD ["gunicorn", "--config", "docker/gunicorn.conf.py", "huizhou_cityops.asgi"]
