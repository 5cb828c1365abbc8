"""Celery application. The beat schedule lives in settings (CELERY_BEAT_SCHEDULE), in one place."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "huizhou_cityops.settings.local")

app = Celery("huizhou_cityops")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
