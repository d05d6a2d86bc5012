"""Celery app. Production: REDIS_URL → Redis broker and a worker + beat. Embedded default (no
REDIS_URL): tasks run eagerly in the calling process, so nothing but the web server is needed."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "anxin.settings")

app = Celery("anxin")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
