"""The live sockets (incidents/consumers.py), through the whole ASGI stack (origin check, session or
ticket auth, routing), on the settings' channel layer (in memory locally, Redis under CI): who may
connect, and what each socket hears."""

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from rest_framework.authtoken.models import Token

from incidents import services
from linkage.ws_auth import ws_ticket_issue
from tests.sockets import connects, headers, socket

pytestmark = [
    pytest.mark.django_db(transaction=True),
]


def test_who_may_open_which_socket(demo, fire_incident):
    fire, police = demo.agency("km-fire").pk, demo.agency("km-police").pk
    allowed = {
        (f"/ws/agency/{fire}/", "fire_liaison"): True,
        (f"/ws/agency/{fire}/", "fire_chief"): True,
        (f"/ws/agency/{fire}/", "commander"): True,
        (f"/ws/agency/{fire}/", "police_liaison"): False,
        (f"/ws/agency/{fire}/", "dispatcher"): False,
        (f"/ws/agency/{police}/", "police_liaison"): True,
        ("/ws/board/", "commander"): True,
        ("/ws/board/", "dispatcher"): True,
        ("/ws/board/", "fire_liaison"): False,
        ("/ws/board/", "fire_chief"): False,
        (f"/ws/incident/{fire_incident.pk}/", "fire_liaison"): True,
        (f"/ws/incident/{fire_incident.pk}/", "medical_chief"): True,
        (f"/ws/incident/{fire_incident.pk}/", "commander"): True,
        (f"/ws/incident/{fire_incident.pk}/", "police_liaison"): False,
        (f"/ws/incident/{fire_incident.pk + 1000}/", "commander"): False,
    }
    seen = {(path, username): connects(path, demo.users[username])[0] for path, username in allowed}
    assert seen == allowed


@pytest.mark.parametrize("path", ["/ws/board/", "/ws/agency/1/", "/ws/incident/1/"])
def test_anonymous_sockets_are_closed(demo, path):
    assert connects(path) == (False, 4403)


def test_foreign_origins_and_missing_origins_are_refused_even_with_a_session(demo):
    assert connects("/ws/board/", demo.commander, origin=(b"origin", b"https://evil.example"))[0] is False
    assert connects("/ws/board/", demo.commander, origin=None)[0] is False
    assert connects("/ws/board/", demo.commander)[0] is True


def test_api_clients_connect_with_a_ticket(demo):
    """The API token itself is not taken in a socket URL; a one-minute ticket is (tests/linkage/test_tokens.py)."""
    key = Token.objects.create(user=demo.commander).key
    assert connects("/ws/board/", query=f"?token={key}")[0] is False
    assert connects("/ws/board/", query=f"?ticket={ws_ticket_issue(user=demo.commander)}")[0] is True
    assert connects("/ws/board/", query="?ticket=not-a-ticket")[0] is False
    assert connects("/ws/board/", query=f"?ticket={ws_ticket_issue(user=demo.fire_liaison)}")[0] is False


def test_each_socket_hears_exactly_its_events_and_never_another_agencys(demo, fire_incident):
    fire, police = demo.agency("km-fire").pk, demo.agency("km-police").pk
    fire_task = fire_incident.assignments.get(agency__code="km-fire")

    who = {
        "fire": (f"/ws/agency/{fire}/", headers(demo.fire_liaison)),
        "police": (f"/ws/agency/{police}/", headers(demo.police_liaison)),
        "board": ("/ws/board/", headers(demo.commander)),
        "page": (f"/ws/incident/{fire_incident.pk}/", headers(demo.medical_liaison)),
    }

    async def scenario():
        sockets = {name: socket(path, made) for name, (path, made) in who.items()}
        for communicator in sockets.values():
            assert (await communicator.connect(timeout=3))[0]
        await database_sync_to_async(services.assignment_accept)(assignment=fire_task, by=demo.fire_liaison)
        heard = {}
        for name in ("fire", "board", "page"):
            event = await sockets[name].receive_json_from(timeout=3)
            heard[name] = (event["type"], event["assignment"]["agency"], event["assignment"]["status"])
            assert await sockets[name].receive_nothing(timeout=0.2)  # exactly one
        assert await sockets["police"].receive_nothing(timeout=0.5)  # not on this incident

        # Police is brought in: from then on its socket hears this incident.
        await database_sync_to_async(services.assignment_add)(
            incident=fire_incident, by=demo.dispatcher, agency=demo.agency("km-police")
        )
        await database_sync_to_async(services.note_add)(incident=fire_incident, by=demo.fire_liaison, text="请协助")
        police_heard = [(await sockets["police"].receive_json_from(timeout=3))["type"] for _ in range(2)]
        for communicator in sockets.values():
            await communicator.disconnect()
        return heard, police_heard

    heard, police_heard = async_to_sync(scenario)()
    assert heard == dict.fromkeys(("fire", "board", "page"), ("assignment.updated", "km-fire", "accepted"))
    assert police_heard == ["assignment.created", "note.added"]


def test_the_agencies_an_incident_brings_in_hear_it_opened(demo):
    """incident.created is written before the tasks exist; the agencies' groups are computed when the
    transaction's events are handed over, so each agency's socket hears the incident first."""
    fire, police = demo.agency("km-fire").pk, demo.agency("km-police").pk
    fire_made, police_made = headers(demo.fire_liaison), headers(demo.police_liaison)

    async def scenario():
        fire_socket = socket(f"/ws/agency/{fire}/", fire_made)
        police_socket = socket(f"/ws/agency/{police}/", police_made)
        for communicator in (fire_socket, police_socket):
            assert (await communicator.connect(timeout=3))[0]
        incident = await database_sync_to_async(services.incident_open)(
            by=demo.dispatcher, kind="building_fire", severity=4, title="民房起火"
        )
        heard = [await fire_socket.receive_json_from(timeout=3) for _ in range(2)]
        police_quiet = await police_socket.receive_nothing(timeout=0.5)  # not on a level-IV house fire
        for communicator in (fire_socket, police_socket):
            await communicator.disconnect()
        return incident, heard, police_quiet

    incident, heard, police_quiet = async_to_sync(scenario)()
    assert [event["type"] for event in heard] == ["incident.created", "assignment.created"]
    assert heard[0]["incident"]["id"] == incident.pk and heard[0]["incident"]["reference"] == incident.reference
    assert heard[1]["assignment"]["agency_id"] == fire
    assert police_quiet


def test_another_incident_is_not_heard_on_this_incidents_page(demo, fire_incident):
    other = services.incident_open(by=demo.dispatcher, kind="building_fire", severity=4, title="另一起火情")

    made = headers(demo.fire_liaison)

    async def scenario():
        page = socket(f"/ws/incident/{fire_incident.pk}/", made)
        assert (await page.connect(timeout=3))[0]
        await database_sync_to_async(services.note_add)(incident=other, by=demo.fire_liaison, text="另一起")
        quiet = await page.receive_nothing(timeout=0.5)
        await page.send_json_to({"type": "ping"})
        pong = await page.receive_json_from(timeout=2)
        await page.disconnect()
        return quiet, pong

    assert async_to_sync(scenario)() == (True, {"type": "pong"})


def test_a_socket_idle_longer_than_the_layers_blocking_read_still_hears_events(demo, fire_incident):
    """channels_redis blocks 5 s at a time waiting for a socket's messages; the Redis client must not
    give up on that read first (it would kill the socket's consumer with close code 1011)."""
    made = headers(demo.commander)

    async def scenario():
        import asyncio

        board = socket("/ws/board/", made)
        assert (await board.connect(timeout=3))[0]
        await asyncio.sleep(11)
        await database_sync_to_async(services.note_add)(incident=fire_incident, by=demo.commander, text="还在吗")
        event = await board.receive_json_from(timeout=3)
        await board.disconnect()
        return event["type"]

    assert async_to_sync(scenario)() == "note.added"
