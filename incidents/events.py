"""Live events: the one sender.

Every change to an incident writes a timeline entry (timeline.py), and every timeline entry is one
event. `publish` turns entries into DESIGN's JSON envelope inside the transaction (so it carries the
state as of that change) and, after commit, sends the transaction's events together to the groups
`groups_for` computes from the committed state — so a rolled back change is never announced, and the
agencies of an incident opened in the same transaction hear its `incident.created`. The channel
layer delivers at most once: pages resynchronise from
the timeline API after the last `seq` they saw.
"""

import asyncio
import json
import logging
from collections.abc import Iterable

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction

from linkage.api import wire_time

from .models import Assignment, Incident, TimelineEntry, TimelineKind

logger = logging.getLogger(__name__)

EVENT_TYPES = {
    TimelineKind.INCIDENT_OPENED: "incident.created",
    TimelineKind.INCIDENT_STATUS: "incident.updated",
    TimelineKind.INCIDENT_UPDATED: "incident.updated",
    TimelineKind.ASSIGNMENT_CREATED: "assignment.created",
    TimelineKind.ASSIGNMENT_STATUS: "assignment.updated",
    TimelineKind.ASSIGNMENT_ESCALATED: "assignment.escalated",
    TimelineKind.NOTE: "note.added",
}

BOARD_GROUP = "board"
# The channel-layer message type; consumers handle it in `linkage_event`.
MESSAGE_TYPE = "linkage.event"


def incident_group(incident_id: int) -> str:
    return f"incident.{incident_id}"


def agency_group(agency_id: int) -> str:
    return f"agency.{agency_id}"


def groups_for(*, incident_id: int, agency_ids: Iterable[int]) -> list[str]:
    """Who hears of a change to an incident: the board, the incident's page, and every agency on it."""
    return [BOARD_GROUP, incident_group(incident_id), *(agency_group(agency_id) for agency_id in sorted(agency_ids))]


def _person(user) -> dict | None:
    if user is None:
        return None
    return {"id": user.pk, "username": user.get_username(), "name": user.get_full_name() or user.get_username()}


def _incident(incident: Incident) -> dict:
    return {
        "id": incident.pk,
        "reference": incident.reference,
        "kind": incident.kind,
        "severity": incident.severity,
        "status": incident.status,
        "title": incident.title,
        "exercise": incident.exercise,
    }


def _assignment(assignment: Assignment) -> dict:
    return {
        "id": assignment.pk,
        "agency": assignment.agency.code,
        "agency_id": assignment.agency_id,
        "agency_kind": assignment.agency.kind,
        "status": assignment.status,
        "accept_by": wire_time(assignment.accept_by),
        "escalation_level": assignment.escalation_level,
    }


def _event_type(entry: TimelineEntry) -> str:
    """A decline is an exception pages handle louder than other task moves: its own type."""
    if entry.kind == TimelineKind.ASSIGNMENT_STATUS and (entry.data or {}).get("to") == "declined":
        return "assignment.declined"
    return EVENT_TYPES[entry.kind]


def envelope(entry: TimelineEntry) -> dict:
    """DESIGN's message: type, seq, at, incident, assignment (or null), entry."""
    assignment = entry.assignment if entry.assignment_id else None
    return {
        "type": _event_type(entry),
        "seq": entry.pk,
        "at": wire_time(entry.created_at),  # as the timeline API writes it: local time (TIME_ZONE)
        "incident": _incident(entry.incident),
        "assignment": _assignment(assignment) if assignment is not None else None,
        "entry": {
            "seq": entry.pk,
            "at": wire_time(entry.created_at),
            "kind": entry.kind,
            "actor": _person(entry.actor),
            "assignment": entry.assignment_id,
            "agency": assignment.agency.code if assignment is not None else None,
            "text": entry.text,
            "data": entry.data,
        },
    }


def publish(entries: list[TimelineEntry]) -> None:
    """Announce these (saved) entries once the surrounding transaction commits.

    The envelope is built now (the state as of this change); the groups when the events are handed
    over (`_addressed`), from the committed state: an incident opened with five agencies is announced
    before its tasks exist, and its `incident.created` must still reach those five agencies."""
    if not entries:
        return
    pending = [(entry.incident_id, envelope(entry)) for entry in entries]
    if transaction.get_connection().in_atomic_block:
        _batch_for_this_transaction().extend(pending)
    else:  # autocommit: the entry is already committed
        send(_addressed(pending))


def _addressed(pending: list[tuple[int, dict]]) -> list[tuple[list[str], dict]]:
    """(incident id, event) pairs → (groups, event): one query for the agencies on those incidents."""
    if not pending:
        return []
    agencies_by_incident: dict[int, set[int]] = {incident_id: set() for incident_id, _ in pending}
    on_them = Assignment.objects.filter(incident_id__in=agencies_by_incident).values_list("incident_id", "agency_id")
    # No ordering: the model's (by incident severity and time) would join incidents and widen DISTINCT.
    for incident_id, agency_id in on_them.order_by().distinct():
        agencies_by_incident[incident_id].add(agency_id)
    return [
        (groups_for(incident_id=incident_id, agency_ids=agencies_by_incident[incident_id]), event)
        for incident_id, event in pending
    ]


def _batch_for_this_transaction() -> list:
    """One send per transaction, however many changes it holds (a sweep escalating two hundred tasks
    is one hand-over to the channel layer, not two hundred).

    A batch is reused only while its on-commit callback is still pending in this transaction at the
    same savepoint: a rolled-back transaction or savepoint drops the callback, and the batch with it.
    """
    connection = transaction.get_connection()
    savepoints = tuple(connection.savepoint_ids)
    batch = getattr(connection, "_linkage_live_batch", None)
    if batch is not None and batch["savepoints"] == savepoints:
        pending = (hook[1] for hook in connection.run_on_commit)  # (savepoint ids, callback, robust)
        if any(callback is batch["flush"] for callback in pending):
            return batch["messages"]
    messages: list = []

    def flush() -> None:
        try:
            addressed = _addressed(messages)
        except Exception:  # the change is committed; a failed look-up costs the push, not the change
            logger.exception("live events not addressed (%d); pages will resynchronise", len(messages))
            return
        send(addressed)

    connection._linkage_live_batch = {"savepoints": savepoints, "messages": messages, "flush": flush}
    transaction.on_commit(flush)
    return messages


def send(messages: list[tuple[list[str], dict]]) -> None:
    """Hand the events to the channel layer. A layer that is down costs the live push, not the change:
    the pages catch up from the timeline when they reconnect."""
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(_send_all)(layer, messages)
    except Exception:
        logger.exception("live events not sent (%d); pages will resynchronise", len(messages))


async def _send_all(layer, messages) -> None:
    for groups, event in messages:  # in order: a page sees an incident's events in sequence
        # Encoded once here, not once per socket: the board may have a thousand of them.
        message = {"type": MESSAGE_TYPE, "text": json.dumps(event, ensure_ascii=False, cls=DjangoJSONEncoder)}
        await asyncio.gather(*(layer.group_send(group, message) for group in groups))
