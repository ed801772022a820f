"""One rule for an agency member's access, on HTTP and on sockets alike.

What HTTP shows a member comes from the agency's group (its object permissions). So:
- taking the group away from a member (membership left active) hides the agency's incidents on HTTP,
  closes their open agency and incident sockets and refuses new handshakes; giving it back restores both;
- switching an agency off takes its members out of its group: incidents, timelines and notes answer
  404, the agency and incident sockets close; switching it on again brings the access back.

Through the whole ASGI stack and real commits (transaction=True)."""

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from django.contrib.auth.models import Group
from django.test import Client

from agencies.selectors import can_watch_agency
from incidents import services
from linkage.consumers import FORBIDDEN
from tests.sockets import closed_with, connects, headers, socket

pytestmark = [pytest.mark.django_db(transaction=True)]


def http_sees(user, incident) -> dict[str, int]:
    page = Client()
    page.force_login(user)
    api = Client()
    api.force_login(user)
    return {
        "page": page.get(f"/incidents/{incident.pk}/").status_code,
        "api": api.get(f"/api/v1/incidents/{incident.pk}/").status_code,
        "timeline": api.get(f"/api/v1/incidents/{incident.pk}/timeline/").status_code,
        "note": api.post(
            f"/api/v1/incidents/{incident.pk}/notes/", {"text": "还在吗"}, content_type="application/json"
        ).status_code,
    }


def sockets_after(user, agency, incident, change) -> tuple[int | None, int | None]:
    """(agency socket's close code, incident socket's) within a second of `change` committing."""
    made, made_too = headers(user), headers(user)

    async def scenario():
        agency_socket = socket(f"/ws/agency/{agency.pk}/", made)
        incident_socket = socket(f"/ws/incident/{incident.pk}/", made_too)
        assert (await agency_socket.connect(timeout=3))[0] and (await incident_socket.connect(timeout=3))[0]
        await database_sync_to_async(change)()
        codes = await closed_with(agency_socket, timeout=1), await closed_with(incident_socket, timeout=1)
        await agency_socket.disconnect()
        await incident_socket.disconnect()
        return codes

    return async_to_sync(scenario)()


@pytest.fixture
def medical_incident(demo):
    incident = services.incident_open(by=demo.dispatcher, kind="building_fire", severity=4, title="医疗也在")
    assert incident.assignments.filter(agency__code="km-medical").exists()
    return incident


def test_taking_the_agency_group_away_ends_http_and_socket_access_alike(demo, medical_incident):
    medical, liaison = demo.agency("km-medical"), demo.medical_liaison
    group = Group.objects.get(name="agency:km-medical")
    assert http_sees(liaison, medical_incident)["page"] == 200

    closed = sockets_after(liaison, medical, medical_incident, lambda: liaison.groups.remove(group))

    assert closed == (FORBIDDEN, FORBIDDEN)
    assert liaison.memberships.get(agency=medical).is_active  # the membership was left as it was
    seen = http_sees(liaison, medical_incident)
    assert seen == {"page": 404, "api": 404, "timeline": 404, "note": 404}, seen
    assert not can_watch_agency(liaison, medical.pk)
    assert connects(f"/ws/agency/{medical.pk}/", liaison) == (False, FORBIDDEN)
    assert connects(f"/ws/incident/{medical_incident.pk}/", liaison) == (False, FORBIDDEN)
    dashboard = Client()
    dashboard.force_login(liaison)
    assert dashboard.get("/dashboard/").status_code in (403, 404)

    # The other direction: the group given back, both doors open again.
    liaison.groups.add(group)
    assert http_sees(liaison, medical_incident)["page"] == 200
    assert connects(f"/ws/agency/{medical.pk}/", liaison)[0]
    assert connects(f"/ws/incident/{medical_incident.pk}/", liaison)[0]


def test_switching_an_agency_off_ends_its_members_access_everywhere(demo, medical_incident):
    medical, liaison, chief = demo.agency("km-medical"), demo.medical_liaison, demo.medical_chief

    def switch_off():
        medical.is_active = False
        medical.save()

    closed = sockets_after(liaison, medical, medical_incident, switch_off)

    assert closed == (FORBIDDEN, FORBIDDEN)
    for member in (liaison, chief):
        seen = http_sees(member, medical_incident)
        assert seen == {"page": 404, "api": 404, "timeline": 404, "note": 404}, seen
        assert connects(f"/ws/incident/{medical_incident.pk}/", member) == (False, FORBIDDEN)
        assert connects(f"/ws/agency/{medical.pk}/", member) == (False, FORBIDDEN)
    # Others on the incident keep theirs.
    assert http_sees(demo.fire_liaison, medical_incident)["page"] == 200

    medical.is_active = True
    medical.save()
    assert http_sees(liaison, medical_incident)["page"] == 200
    assert connects(f"/ws/agency/{medical.pk}/", liaison)[0]
    assert connects(f"/ws/incident/{medical_incident.pk}/", liaison)[0]
