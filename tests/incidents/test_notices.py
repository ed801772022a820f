"""Webhooks carry the live event: each webhook body is DESIGN's envelope for the change's timeline
entry (the same `seq`, incident, assignment and entry a page hears) plus the webhook's own fields —
never a hand-kept copy that drifts from it."""

import json
from datetime import timedelta

import pytest
from django.core.serializers.json import DjangoJSONEncoder
from django.utils import timezone

from agencies.models import MemberRole, Membership
from incidents import services
from incidents.escalation import escalate_due
from incidents.events import envelope
from incidents.models import Assignment, TimelineEntry, TimelineKind
from notifications.models import Notification, WebhookEndpoint

# DESIGN, "Live updates": the envelope and its parts.
ENVELOPE_KEYS = {"type", "seq", "at", "incident", "assignment", "entry"}
INCIDENT_KEYS = {"id", "reference", "kind", "severity", "status", "title", "exercise"}
ASSIGNMENT_KEYS = {"id", "agency", "agency_id", "agency_kind", "status", "accept_by", "escalation_level"}
# docs/escalation.md, "Webhook bodies": what each webhook adds to the envelope.
WEBHOOK_FIELDS = {
    "assignment.escalated": {"exercise", "task", "passed_over", "fallback"},
    "assignment.declined": {"exercise", "task", "reason"},
    "assignment.cancelled": {"exercise", "task"},
}


@pytest.fixture
def endpoint(db):
    return WebhookEndpoint.objects.create(name="119", url="http://127.0.0.1:9/hook", secret="s", events=[])


def _hook(event_type: str) -> dict:
    return Notification.objects.get(channel="webhook", subject=event_type).payload


def _live(entry: TimelineEntry) -> dict:
    """The envelope a page hears for `entry`, as it crosses the wire (JSON)."""
    entry = TimelineEntry.objects.select_related("incident", "actor", "assignment__agency").get(pk=entry.pk)
    return json.loads(json.dumps(envelope(entry), cls=DjangoJSONEncoder))


def _the_envelope_in(payload: dict, event_type: str) -> dict:
    assert set(payload) == ENVELOPE_KEYS | WEBHOOK_FIELDS[event_type]
    assert payload["type"] == event_type
    assert set(payload["incident"]) == INCIDENT_KEYS and set(payload["assignment"]) == ASSIGNMENT_KEYS
    return {key: payload[key] for key in ENVELOPE_KEYS - {"type"}}


def _medical(incident) -> Assignment:
    return incident.assignments.get(agency__code="km-medical")


def test_the_escalation_webhook_is_the_live_event_plus_who_was_passed_over(demo, fire_incident, endpoint):
    task = _medical(fire_incident)
    # No chief at the medical centre: level 1 is passed over, level 2 (commander and dispatchers) told.
    Membership.objects.filter(agency=task.agency, role=MemberRole.CHIEF).update(is_active=False)
    Assignment.objects.filter(pk=task.pk).update(next_escalation_at=timezone.now() - timedelta(seconds=1))
    assert escalate_due() == 1
    entry = TimelineEntry.objects.get(assignment=task, kind=TimelineKind.ASSIGNMENT_ESCALATED)
    payload = _hook("assignment.escalated")
    live = _live(entry)
    assert _the_envelope_in(payload, "assignment.escalated") == {k: v for k, v in live.items() if k != "type"}
    assert live["type"] == "assignment.escalated"
    assert payload["seq"] == entry.pk and payload["incident"]["reference"] == fire_incident.reference
    assert payload["assignment"]["escalation_level"] == 2 and payload["assignment"]["agency_kind"] == "medical"
    assert payload["incident"]["status"] == "active"  # the old hand-made copy left status out
    assert payload["passed_over"] == [{"level": 1, "notify": "agency_chiefs"}] and payload["fallback"] is None
    assert payload["exercise"] is False and payload["task"] == task.task


def test_the_decline_and_cancellation_webhooks_are_the_live_events_plus_reason_and_task(demo, fire_incident, endpoint):
    task = _medical(fire_incident)
    services.assignment_decline(assignment=task, by=demo.users["medical_liaison"], reason="两辆救护车均在转运途中")
    declined = _hook("assignment.declined")
    decline_entry = TimelineEntry.objects.get(pk=declined["seq"])
    assert decline_entry.assignment_id == task.pk and decline_entry.data["to"] == "declined"
    assert _the_envelope_in(declined, "assignment.declined") == {
        k: v for k, v in _live(decline_entry).items() if k != "type"
    }
    assert declined["reason"] == "两辆救护车均在转运途中" == declined["entry"]["text"]
    assert declined["assignment"]["status"] == "declined"

    services.incident_cancel(incident=fire_incident, by=demo.dispatcher, reason="误报")
    cancelled = _hook("assignment.cancelled")
    fire = fire_incident.assignments.get(agency__code="km-fire")
    cancel_entry = TimelineEntry.objects.get(pk=cancelled["seq"])
    assert cancel_entry.assignment_id == fire.pk and cancel_entry.data == {
        "agency": "km-fire",
        "from": "pending",
        "to": "cancelled",
        "incident": "cancelled",  # cancelled by the system, with its incident
    }
    live = _live(cancel_entry)
    assert live["type"] == "assignment.updated"  # on the socket; endpoints subscribe to assignment.cancelled
    assert _the_envelope_in(cancelled, "assignment.cancelled") == {k: v for k, v in live.items() if k != "type"}
    assert cancelled["incident"]["status"] == "cancelled" and cancelled["assignment"]["status"] == "cancelled"
    assert cancelled["task"] == fire.task


def test_a_drills_webhooks_say_so_at_the_top_and_in_the_incident(demo, endpoint):
    drill = services.incident_open(
        by=demo.dispatcher, kind="building_fire", severity=4, title="演练：居民楼起火", exercise=True
    )
    services.assignment_decline(assignment=_medical(drill), by=demo.users["medical_liaison"], reason="演练拒绝")
    payload = _hook("assignment.declined")
    assert payload["exercise"] is True and payload["incident"]["exercise"] is True


def test_events_webhooks_and_the_timeline_api_write_times_alike_in_local_time(api, demo, fire_incident, endpoint):
    """docs/live.md's example says +08:00 (TIME_ZONE): the live envelope, the webhook built from it and
    the timeline API give the same string for the same instant, not UTC in some and local in others."""
    task = _medical(fire_incident)
    services.assignment_decline(assignment=task, by=demo.users["medical_liaison"], reason="两辆救护车均在转运途中")
    payload = _hook("assignment.declined")
    timeline = api("dispatcher").get(f"/api/v1/incidents/{fire_incident.pk}/timeline/").json()
    line = next(entry for entry in timeline if entry["seq"] == payload["seq"])
    live = _live(TimelineEntry.objects.get(pk=payload["seq"]))
    assert payload["at"] == payload["entry"]["at"] == live["at"] == live["entry"]["at"] == line["at"]
    assert line["at"].endswith("+08:00")
    answer = api("dispatcher").get(f"/api/v1/assignments/{task.pk}/").json()
    assert payload["assignment"]["accept_by"] == live["assignment"]["accept_by"] == answer["accept_by"]
    assert answer["accept_by"].endswith("+08:00")
    # Times inside timeline data too (the task's accept-by when it was brought in).
    created = next(entry for entry in timeline if entry["kind"] == "assignment_created")
    assert created["data"]["accept_by"].endswith("+08:00")
