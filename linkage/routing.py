"""WebSocket routes (DESIGN "Live updates")."""

from django.urls import path

from incidents.consumers import AgencyConsumer, BoardConsumer, IncidentConsumer
from notifications.consumers import NotificationConsumer

websocket_urlpatterns = [
    path("ws/agency/<int:agency_id>/", AgencyConsumer.as_asgi()),
    path("ws/board/", BoardConsumer.as_asgi()),
    path("ws/incident/<int:incident_id>/", IncidentConsumer.as_asgi()),
    path("ws/notifications/", NotificationConsumer.as_asgi()),
]
