"""WSGI entry point, `linkage.wsgi:application`: HTTP through Django (gunicorn's workers in the services
mode; WebSockets go to the ASGI server, `linkage.asgi:application`)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "linkage.settings")
# Before the settings load: a WSGI worker keeps its one database connection (DATABASE_CONN_MAX_AGE).
os.environ["LINKAGE_SERVER"] = "wsgi"
application = get_wsgi_application()
