"""Rules written once (issue 12): text limits, open statuses, overdue, both-or-neither coordinates.
Each test fails if a door (model, form, serializer, service) says something else than the one rule."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from incidents import services
from incidents.api import serializers as api
from incidents.forms import DeclineForm, IncidentOpenForm, NoteForm, ProgressForm, ReasonForm
from incidents.models import Assignment, Incident, TimelineEntry

# The limits people see, written out (DESIGN does not give them; the model's columns did first).
LIMITS = {"title": 200, "description": 5000, "address": 300, "task": 500, "reason": 1000, "note": 1000, "text": 5000}


def test_every_door_takes_the_same_text_lengths(db):
    assert {
        "title": Incident._meta.get_field("title").max_length,
        "description": Incident._meta.get_field("description").max_length,
        "address": Incident._meta.get_field("address").max_length,
        "task": Assignment._meta.get_field("task").max_length,
        "reason": Assignment._meta.get_field("decline_reason").max_length,
        "text": TimelineEntry._meta.get_field("text").max_length,
    } == {key: value for key, value in LIMITS.items() if key != "note"}
    form = IncidentOpenForm()
    assert {name: form.fields[name].max_length for name in ("title", "description", "address")} == {
        name: LIMITS[name] for name in ("title", "description", "address")
    }
    assert DeclineForm().fields["reason"].max_length == ReasonForm().fields["reason"].max_length == LIMITS["reason"]
    assert ProgressForm().fields["note"].max_length == LIMITS["note"]
    assert NoteForm().fields["text"].max_length == LIMITS["text"]
    opening = api.IncidentOpenSerializer().fields
    assert {name: opening[name].max_length for name in ("title", "description", "address")} == {
        name: LIMITS[name] for name in ("title", "description", "address")
    }
    assert api.DeclineSerializer().fields["reason"].max_length == LIMITS["reason"]
    assert api.ProgressSerializer().fields["note"].max_length == LIMITS["note"]
    assert api.NoteSerializer().fields["text"].max_length == LIMITS["text"]
    assert api.AssignmentAddSerializer().fields["task"].max_length == LIMITS["task"]


@pytest.mark.parametrize("field", ["title", "address", "description"])
def test_the_service_refuses_one_character_over_the_limit(demo, field):
    text = "火" * (LIMITS[field] + 1)
    fields = {"title": "居民楼起火", field: text}
    with pytest.raises(ValidationError) as refused:
        services.incident_open(by=demo.dispatcher, kind="other", severity=4, agencies=["km-fire"], **fields)
    assert field in refused.value.message_dict
    fields[field] = text[:-1]
    services.incident_open(by=demo.dispatcher, kind="other", severity=4, agencies=["km-fire"], **fields)


def test_overdue_means_pending_at_or_past_accept_by(fire_task):
    now = timezone.now()
    fire_task.accept_by = now
    assert fire_task.overdue_at(now)
    assert not fire_task.overdue_at(now - timedelta(seconds=1))
    fire_task.status = "accepted"
    assert not fire_task.overdue_at(now + timedelta(hours=1))


def test_a_position_is_both_coordinates_or_neither_on_changes_too(demo, fire_incident):
    """incident_open refused half a position; incident_update let one through (the copy that was missing)."""
    with pytest.raises(ValidationError) as refused:
        services.incident_update(incident=fire_incident, by=demo.dispatcher, latitude=None)
    assert "latitude" in refused.value.message_dict
    fire_incident.refresh_from_db()
    assert fire_incident.latitude is not None and fire_incident.longitude is not None
    services.incident_update(incident=fire_incident, by=demo.dispatcher, latitude=None, longitude=None)
    fire_incident.refresh_from_db()
    assert (fire_incident.latitude, fire_incident.longitude) == (None, None)
    with pytest.raises(ValidationError):
        services.incident_open(by=demo.dispatcher, kind="other", severity=4, title="t", latitude="25.0")
    form = IncidentOpenForm({"kind": "other", "severity": 4, "title": "t", "longitude": "102.7"})
    assert not form.is_valid() and "latitude" in form.errors
