"""The Celery app, `linkage.celery:app`. Tasks live in the apps; routes are declared in settings."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "linkage.settings")

app = Celery("linkage")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
