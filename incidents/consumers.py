"""The live sockets: /ws/agency/<id>/, /ws/board/, /ws/incident/<id>/.

Each checks, before joining its group, that the user may see what the group carries, and otherwise
closes the handshake. The sockets only listen: changes go through the services (HTTP), and events
come from the one sender in events.py.
"""

from agencies.selectors import can_watch_agency
from linkage.consumers import GroupConsumer

from .events import BOARD_GROUP, agency_group, incident_group
from .models import Incident
from .roles import can_view_all_incidents, is_commander, is_dispatcher
from .selectors import can_view_incident


class LiveConsumer(GroupConsumer):
    """An incident-event socket: forwards the envelope, already JSON, as it comes."""

    async def linkage_event(self, message) -> None:
        if not self.ended:  # a socket closed for lost access forwards nothing already queued
            await self.send(text_data=message["text"])


class AgencyConsumer(LiveConsumer):
    """Members of the agency, and commanders: events of every incident the agency is on."""

    def group_for(self, user) -> str | None:
        agency_id = self.scope["url_route"]["kwargs"]["agency_id"]
        # The dashboard's rule (agencies.selectors), so the socket refuses exactly what HTTP refuses.
        return agency_group(agency_id) if can_watch_agency(user, agency_id) or is_commander(user) else None


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
