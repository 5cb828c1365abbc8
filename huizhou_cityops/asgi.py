"""ASGI entry point: what gunicorn's uvicorn workers serve (docker/gunicorn.conf.py, scripts/serve.sh).

Ordinary views run as before (Django runs them on a thread per request); the live stream (/live/events/) is an
async view, so an open screen holds no worker and no thread while it waits.
"""

import os
import warnings

from django.core.asgi import get_asgi_application

# Static files (whitenoise) are served from a file iterator, which Django reads on a thread under ASGI and warns
# about on every file; that is expected here, and the warning would fill the log.
warnings.filterwarnings("ignore", message="StreamingHttpResponse must consume synchronous iterators")

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "huizhou_cityops.settings.production")
application = get_asgi_application()
