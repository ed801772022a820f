"""ASGI entry point, `linkage.asgi:application`: HTTP through Django, WebSockets through Channels."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "linkage.settings")
# Before the settings load: under ASGI each request's database connection closes when it ends.
os.environ["LINKAGE_SERVER"] = "asgi"
# Django must be set up before the routing imports consumers and models.
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from .routing import websocket_urlpatterns  # noqa: E402
from .ws_auth import TicketAuthMiddleware  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        # Origin checked first; then the session cookie, or ?ticket= for API clients; then the route.
        "websocket": AllowedHostsOriginValidator(
            AuthMiddlewareStack(TicketAuthMiddleware(URLRouter(websocket_urlpatterns)))
        ),
    }
)

# The embedded mode has no Celery worker or beat: the sweeps run in this process.
from django.conf import settings  # noqa: E402

if settings.LINKAGE_SWEEP_IN_PROCESS:
    from .sweeper import EmbeddedSweeper

    application = EmbeddedSweeper(application)
