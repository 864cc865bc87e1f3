"""The Celery app. Production: Redis broker (``CELERY_BROKER_URL``); embedded default: a filesystem
transport under ``var/celery`` so that background syncs and schedules need no external service."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "migrateiq.settings")

app = Celery("migrateiq")
app.config_from_object("migrateiq.celery_config")
app.autodiscover_tasks()
