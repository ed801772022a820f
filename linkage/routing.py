"""WebSocket routes (DESIGN "Live updates")."""

from django.urls import path, re_path

from incidents.consumers import AgencyConsumer, BoardConsumer, IncidentConsumer
from notifications.consumers import NotificationConsumer

from .consumers import NoSuchSocket

websocket_urlpatterns = [
    path("ws/agency/<int:agency_id>/", AgencyConsumer.as_asgi()),
    path("ws/board/", BoardConsumer.as_asgi()),
    path("ws/incident/<int:incident_id>/", IncidentConsumer.as_asgi()),
    path("ws/notifications/", NotificationConsumer.as_asgi()),
    re_path(r"", NoSuchSocket.as_asgi()),  # anything else: close code 4404, not a router error
]
