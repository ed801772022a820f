"""Every place that changes an incident announces it once, after commit, in DESIGN's envelope,
to the board, the incident's page and the agencies on it — and only to them."""

import asyncio
import json
from datetime import datetime

import pytest
from channels import DEFAULT_CHANNEL_LAYER
from channels.layers import channel_layers, get_channel_layer
from django.conf import settings
from django.db import transaction

from incidents import services
from incidents.cap import cap_ingest
from incidents.events import BOARD_GROUP, agency_group, groups_for, incident_group
from incidents.models import Incident

TYPES = {
    "incident.created",
    "incident.updated",
    "assignment.created",
    "assignment.updated",
    "assignment.escalated",
    "assignment.declined",
    "note.added",
}
INCIDENT_KEYS = {"id", "reference", "kind", "severity", "status", "title", "exercise"}
ASSIGNMENT_KEYS = {"id", "agency", "agency_id", "agency_kind", "status", "accept_by", "escalation_level"}
ENTRY_KEYS = {"seq", "at", "kind", "actor", "assignment", "agency", "text", "data"}


def assert_envelope(event: dict) -> None:
    """DESIGN's shape: {type, seq, at, incident{…}, assignment{…}|null, entry{…}}."""
    assert set(event) == {"type", "seq", "at", "incident", "assignment", "entry"}
    assert event["type"] in TYPES
    assert isinstance(event["seq"], int) and event["seq"] == event["entry"]["seq"]
    datetime.fromisoformat(event["at"])
    assert set(event["incident"]) == INCIDENT_KEYS
    assert event["incident"]["reference"].startswith("KM-")
    if event["type"].startswith("assignment."):
        assert set(event["assignment"]) == ASSIGNMENT_KEYS
        datetime.fromisoformat(event["assignment"]["accept_by"])
        assert event["entry"]["assignment"] == event["assignment"]["id"]
    elif event["assignment"] is not None:
        assert set(event["assignment"]) == ASSIGNMENT_KEYS
    assert set(event["entry"]) == ENTRY_KEYS


class Listener:
    """A channel on the settings' channel layer (Redis under CI), joined to some groups: what a socket hears.

    Its own layer instance on its own event loop (channels_redis binds a receive buffer to a loop)."""

    def __init__(self, *groups):
        self.loop = asyncio.new_event_loop()
        # Redis: a layer instance of its own (channels_redis binds a receive buffer to a loop). In
        # memory: the process's one instance, the one events.publish sends to.
        in_memory = "Redis" not in settings.CHANNEL_LAYERS["default"]["BACKEND"]
        self.layer = get_channel_layer() if in_memory else channel_layers.make_backend(DEFAULT_CHANNEL_LAYER)
        self.channel = self.run(lambda layer: layer.new_channel())
        for group in groups:
            self.run(lambda layer, group=group: layer.group_add(group, self.channel))
        OPEN.append(self)

    def run(self, call):
        """Run `call(layer)` on this listener's loop (the pub/sub layer is looked up per running loop)."""

        async def inside():
            return await call(self.layer)

        return self.loop.run_until_complete(inside())

    def events(self, timeout=0.3) -> list[dict]:
        async def drain():
            received = []
            while True:
                try:
                    message = await asyncio.wait_for(self.layer.receive(self.channel), timeout)
                except TimeoutError:
                    return received
                received.append(json.loads(message["text"]))

        return self.loop.run_until_complete(drain())


OPEN: list[Listener] = []


@pytest.fixture(autouse=True)
def _close_listeners():
    yield
    while OPEN:
        listener = OPEN.pop()
        listener.run(lambda layer: layer.flush() if not hasattr(layer, "close_pools") else layer.close_pools())
        listener.loop.close()


def test_groups_are_the_board_the_incident_and_each_agency():
    assert groups_for(incident_id=7, agency_ids=[3, 1]) == ["board", "incident.7", "agency.1", "agency.3"]


def test_opening_announces_the_incident_then_each_assignment(demo, django_capture_on_commit_callbacks):
    board = Listener(BOARD_GROUP)
    with django_capture_on_commit_callbacks(execute=True):
        incident = services.incident_open(by=demo.dispatcher, kind="hazmat", severity=2, title="氯气泄漏")
    events = board.events()
    assert [event["type"] for event in events] == ["incident.created"] + ["assignment.created"] * 5
    for event in events:
        assert_envelope(event)
    assert events[0]["incident"] == {
        "id": incident.pk,
        "reference": incident.reference,
        "kind": "hazmat",
        "severity": 2,
        "status": "active",
        "title": "氯气泄漏",
        "exercise": False,
    }
    assert [event["seq"] for event in events] == sorted(event["seq"] for event in events)
    assert {event["assignment"]["agency"] for event in events[1:]} == {
        "km-fire",
        "km-environment",
        "km-police",
        "km-medical",
        "km-traffic",
    }
    assert events[1]["entry"]["actor"]["username"] == "dispatcher"


def _task(incident, code):
    return incident.assignments.get(agency__code=code)


def _escalate(incident, code):
    from django.utils import timezone

    from incidents.escalation import escalate_due

    incident.assignments.filter(agency__code=code).update(next_escalation_at=timezone.now())
    assert escalate_due() == 1


# (what a person does, the event types it announces)
ACTIONS = {
    "accept": (
        lambda d, i: services.assignment_accept(assignment=_task(i, "km-fire"), by=d.fire_liaison),
        ["assignment.updated"],
    ),
    "decline": (
        lambda d, i: services.assignment_decline(
            assignment=_task(i, "km-medical"), by=d.medical_liaison, reason="无车"
        ),
        ["assignment.declined"],
    ),
    "progress": (
        lambda d, i: (
            services.assignment_accept(assignment=_task(i, "km-fire"), by=d.fire_liaison),
            services.assignment_progress(assignment=_task(i, "km-fire"), by=d.fire_liaison, status="en_route"),
        ),
        ["assignment.updated", "assignment.updated"],
    ),
    "take off": (
        lambda d, i: services.assignment_cancel(assignment=_task(i, "km-medical"), by=d.dispatcher),
        ["assignment.updated"],
    ),
    "bring in": (
        lambda d, i: services.assignment_add(incident=i, by=d.dispatcher, agency=d.agency("km-police")),
        ["assignment.created"],
    ),
    "note": (lambda d, i: services.note_add(incident=i, by=d.medical_chief, text="两名伤员"), ["note.added"]),
    "severity": (
        lambda d, i: services.incident_update(incident=i, by=d.commander, severity=3),
        ["incident.updated", "assignment.created", "assignment.created"],  # police and traffic join at III
    ),
    "contain": (lambda d, i: services.incident_contain(incident=i, by=d.commander), ["incident.updated"]),
    "escalate": (lambda d, i: _escalate(i, "km-medical"), ["assignment.escalated"]),
    "close": (
        lambda d, i: (
            services.incident_contain(incident=i, by=d.commander),
            services.incident_close(incident=i, by=d.commander),
        ),
        ["incident.updated", "incident.updated", "assignment.updated", "assignment.updated"],
    ),
    "cancel": (
        lambda d, i: services.incident_cancel(incident=i, by=d.dispatcher, reason="误报"),
        ["incident.updated", "assignment.updated", "assignment.updated"],
    ),
}


@pytest.mark.parametrize("action", list(ACTIONS))
def test_each_change_is_announced_once_in_the_envelope(demo, fire_incident, action, django_capture_on_commit_callbacks):
    do, expected = ACTIONS[action]
    board, page = Listener(BOARD_GROUP), Listener(incident_group(fire_incident.pk))
    with django_capture_on_commit_callbacks(execute=True):
        do(demo, fire_incident)
    events = board.events()
    assert sorted(event["type"] for event in events) == sorted(expected)
    for event in events:
        assert_envelope(event)
        assert event["incident"]["id"] == fire_incident.pk
    assert page.events(timeout=0.1) == events  # the incident's page hears the same, in the same order
    fire_incident.refresh_from_db()
    assert events[-1]["incident"]["status"] == fire_incident.status or action == "close"


def test_the_envelope_carries_the_state_after_the_change(demo, fire_incident, django_capture_on_commit_callbacks):
    board = Listener(BOARD_GROUP)
    with django_capture_on_commit_callbacks(execute=True):
        services.assignment_accept(assignment=_task(fire_incident, "km-fire"), by=demo.fire_liaison)
    [event] = board.events()
    assert event["assignment"]["status"] == "accepted"
    assert event["entry"]["data"] == {"agency": "km-fire", "from": "pending", "to": "accepted"}
    assert event["entry"]["agency"] == "km-fire"


def test_cap_alerts_are_announced_like_any_other_incident(demo, django_capture_on_commit_callbacks):
    from tests.api.test_cap import _alert

    board = Listener(BOARD_GROUP)
    with django_capture_on_commit_callbacks(execute=True):
        cap_ingest(by=demo.dispatcher, xml=_alert("ev-1"))
    assert board.events()[0]["type"] == "incident.created"


def test_a_rolled_back_change_announces_nothing(demo, fire_incident, django_capture_on_commit_callbacks):
    board = Listener(BOARD_GROUP)

    def request_that_fails_after_the_services_ran():
        with transaction.atomic():
            services.assignment_accept(assignment=_task(fire_incident, "km-fire"), by=demo.fire_liaison)
            services.note_add(incident=fire_incident, by=demo.fire_liaison, text="马上到")
            raise RuntimeError("the view failed afterwards")

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError):
        request_that_fails_after_the_services_ran()
    assert board.events() == []
    assert _task(fire_incident, "km-fire").status == "pending"


def test_a_refused_move_announces_nothing(demo, fire_incident, django_capture_on_commit_callbacks):
    board = Listener(BOARD_GROUP)
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(services.TransitionError):
        services.incident_close(incident=fire_incident, by=demo.commander)  # active cannot close
    assert board.events() == []


def test_agencies_hear_only_incidents_they_are_on(demo, fire_incident, django_capture_on_commit_callbacks):
    fire, police = (
        Listener(agency_group(demo.agency("km-fire").pk)),
        Listener(agency_group(demo.agency("km-police").pk)),
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.note_add(incident=fire_incident, by=demo.fire_liaison, text="到场")
    assert [event["type"] for event in fire.events()] == ["note.added"]
    assert police.events(timeout=0.1) == []
    # Brought in, police hears from then on (the assignment.created that brings it in included).
    with django_capture_on_commit_callbacks(execute=True):
        services.assignment_add(incident=fire_incident, by=demo.dispatcher, agency=demo.agency("km-police"))
        services.note_add(incident=fire_incident, by=demo.fire_liaison, text="请公安协助")
    assert [event["type"] for event in police.events()] == ["assignment.created", "note.added"]


def test_every_agency_an_incident_brings_in_hears_it_opened(demo, django_capture_on_commit_callbacks):
    codes = ("km-fire", "km-environment", "km-police", "km-medical", "km-traffic")
    agencies = {code: Listener(agency_group(demo.agency(code).pk)) for code in codes}
    with django_capture_on_commit_callbacks(execute=True):
        incident = services.incident_open(by=demo.dispatcher, kind="hazmat", severity=2, title="氯气泄漏")
    for code, listener in agencies.items():
        heard = listener.events()
        assert heard[0]["type"] == "incident.created", code
        assert heard[0]["incident"]["id"] == incident.pk
        assert [event["type"] for event in heard].count("assignment.created") == 5


def test_a_channel_layer_that_is_down_costs_the_push_not_the_change(
    demo, fire_incident, settings, django_capture_on_commit_callbacks
):
    settings.CHANNEL_LAYERS = {
        "default": {"BACKEND": "channels_redis.core.RedisChannelLayer", "CONFIG": {"hosts": ["redis://127.0.0.1:1/0"]}}
    }
    from channels.layers import channel_layers

    channel_layers.backends.pop("default", None)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            services.note_add(incident=fire_incident, by=demo.fire_liaison, text="仍然记录")
    finally:
        channel_layers.backends.pop("default", None)
    assert Incident.objects.get(pk=fire_incident.pk).timeline.filter(text="仍然记录").exists()


def test_a_change_after_a_rolled_back_one_is_still_announced(demo, fire_incident, django_capture_on_commit_callbacks):
    board = Listener(BOARD_GROUP)

    def fails():
        with transaction.atomic():
            services.note_add(incident=fire_incident, by=demo.fire_liaison, text="撤回")
            raise RuntimeError("rolled back")

    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(RuntimeError):
            fails()
        with transaction.atomic():
            services.note_add(incident=fire_incident, by=demo.fire_liaison, text="第一条")
            services.note_add(incident=fire_incident, by=demo.fire_liaison, text="第二条")
    assert [event["entry"]["text"] for event in board.events()] == ["第一条", "第二条"]
