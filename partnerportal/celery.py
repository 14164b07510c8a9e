"""The Celery app. Without a broker (demo, tests) settings make tasks run eagerly in-process."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "partnerportal.settings")

app = Celery("partnerportal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
