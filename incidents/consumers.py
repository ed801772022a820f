"""The live sockets: /ws/agency/<id>/, /ws/board/, /ws/incident/<id>/.

Each checks, before joining its group, that the user may see what the group carries, and otherwise
closes the handshake. The sockets only listen: changes go through the services (HTTP), and events
come from the one sender in events.py.
"""

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from agencies.models import Membership

from .events import BOARD_GROUP, agency_group, incident_group
from .models import Incident
from .roles import can_view_all_incidents, is_commander, is_dispatcher
from .selectors import can_view_incident

# Close code for "not allowed": the 4000s are the application's own (RFC 6455 §7.4.2).
FORBIDDEN = 4403


class LiveConsumer(AsyncJsonWebsocketConsumer):
    group: str | None = None

    async def connect(self) -> None:
        user = self.scope.get("user")
        group = None
        if user is not None and user.is_authenticated and user.is_active:
            group = await database_sync_to_async(self.group_for)(user)
        if group is None:
            await self.close(code=FORBIDDEN)
            return
        self.group = group
        await self.channel_layer.group_add(group, self.channel_name)
        await self.accept()

    async def disconnect(self, code) -> None:
        if self.group is not None:
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive_json(self, content, **kwargs) -> None:
        """A client may ping to keep proxies from closing an idle socket; nothing else is read."""
        if isinstance(content, dict) and content.get("type") == "ping":
            await self.send_json({"type": "pong"})

    async def linkage_event(self, message) -> None:
        await self.send(text_data=message["text"])  # the envelope, already JSON

    def group_for(self, user) -> str | None:
        raise NotImplementedError


class AgencyConsumer(LiveConsumer):
    """Members of the agency, and commanders: events of every incident the agency is on."""

    def group_for(self, user) -> str | None:
        agency_id = self.scope["url_route"]["kwargs"]["agency_id"]
        member = Membership.objects.filter(
            user=user, agency_id=agency_id, is_active=True, agency__is_active=True
        ).exists()
        return agency_group(agency_id) if member or is_commander(user) else None


class BoardConsumer(LiveConsumer):
    """Commanders and dispatchers: every incident's events."""

    def group_for(self, user) -> str | None:
        return BOARD_GROUP if is_commander(user) or is_dispatcher(user) else None


class IncidentConsumer(LiveConsumer):
    """Anyone who may view the incident: its events."""

    def group_for(self, user) -> str | None:
        incident_id = self.scope["url_route"]["kwargs"]["incident_id"]
        incident = Incident.objects.filter(pk=incident_id).first()
        if incident is None:
            return None
        if can_view_all_incidents(user) or can_view_incident(user, incident):
            return incident_group(incident.pk)
        return None
