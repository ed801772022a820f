"""Bad input to a service: a clear error naming the field, and nothing written."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from incidents.models import Assignment, AssignmentStatus, Incident, TimelineEntry
from incidents.services import (
    assignment_add,
    assignment_decline,
    assignment_progress,
    incident_open,
    incident_update,
    note_add,
)


def _counts():
    return Incident.objects.count(), Assignment.objects.count(), TimelineEntry.objects.count()


GOOD = {"kind": "building_fire", "severity": 3, "title": "商场起火"}


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"kind": "alien_invasion"}, "kind"),
        ({"kind": ""}, "kind"),
        ({"severity": 7}, "severity"),
        ({"severity": 0}, "severity"),
        ({"severity": "serious"}, "severity"),
        ({"title": ""}, "title"),
        ({"title": "   \n "}, "title"),
        ({"title": "火" * 201}, "title"),
        ({"title": None}, "title"),
        ({"latitude": "91", "longitude": "102.7"}, "latitude"),
        ({"latitude": "25.0", "longitude": "-181"}, "longitude"),
        ({"latitude": "north", "longitude": "102.7"}, "latitude"),
        ({"latitude": "25.0"}, "latitude"),
        ({"agencies": ["km-fire", "km-nowhere"]}, "agencies"),
        ({"agencies": []}, "agencies"),
        ({"agencies": "km-fire"}, "agencies"),
        ({"agencies": [42]}, "agencies"),
    ],
)
def test_open_with_bad_input_names_the_field_and_writes_nothing(demo, changes, field):
    before = _counts()
    with pytest.raises(ValidationError) as caught:
        incident_open(by=demo.dispatcher, **{**GOOD, **changes})
    assert field in caught.value.message_dict
    assert caught.value.message_dict[field][0]
    assert _counts() == before


@pytest.mark.parametrize("reason", ["", "   ", None])
def test_decline_without_a_reason_is_refused(demo, fire_task, reason):
    before = _counts()
    with pytest.raises(ValidationError) as caught:
        assignment_decline(assignment=fire_task, by=demo.fire_liaison, reason=reason)
    assert "reason" in caught.value.message_dict
    fire_task.refresh_from_db()
    assert fire_task.status == AssignmentStatus.PENDING
    assert _counts() == before


@pytest.mark.parametrize("status", ["pending", "accepted", "declined", "teleported", ""])
def test_progress_accepts_only_progress_statuses(demo, fire_task, status):
    before = _counts()
    with pytest.raises(ValidationError) as caught:
        assignment_progress(assignment=fire_task, by=demo.fire_liaison, status=status)
    assert "status" in caught.value.message_dict
    assert _counts() == before


def test_empty_note_is_refused(demo, fire_task):
    before = _counts()
    with pytest.raises(ValidationError):
        note_add(incident=fire_task.incident, by=demo.fire_liaison, text="  ")
    assert _counts() == before


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"severity": 9}, "severity"),
        ({"title": ""}, "title"),
        ({"status": "closed"}, "status"),
        ({"reference": "KM-1"}, "reference"),
    ],
)
def test_update_rejects_bad_values_and_status(demo, fire_task, changes, field):
    incident = fire_task.incident
    before = (Incident.objects.values().get(pk=incident.pk), _counts())
    with pytest.raises(ValidationError) as caught:
        incident_update(incident=incident, by=demo.commander, **changes)
    assert field in caught.value.message_dict
    assert (Incident.objects.values().get(pk=incident.pk), _counts()) == before


def test_bring_in_with_bad_deadline_is_refused(demo, fire_task):
    before = _counts()
    with pytest.raises(ValidationError):
        assignment_add(
            incident=fire_task.incident, by=demo.dispatcher, agency=demo.agency("km-traffic"), accept_within_seconds=0
        )
    assert _counts() == before


# The database enforces the same rules, for anything that bypasses the services.
@pytest.mark.parametrize(
    ("model", "changes"),
    [
        (Incident, {"status": "burning"}),
        (Incident, {"kind": "alien_invasion"}),
        (Incident, {"severity": 7}),
        (Incident, {"title": "  "}),
        (Assignment, {"status": "maybe"}),
        (Assignment, {"status": "declined", "decline_reason": ""}),
    ],
)
def test_database_rejects_what_the_services_reject(demo, fire_task, model, changes):
    pk = fire_task.incident_id if model is Incident else fire_task.pk
    with pytest.raises(IntegrityError), transaction.atomic():
        model.objects.filter(pk=pk).update(**changes)


def test_database_allows_one_open_task_per_agency_and_one_more_after_declining(demo, fire_task):
    duplicate = {f: getattr(fire_task, f) for f in ("incident_id", "agency_id", "task", "accept_by")}
    with pytest.raises(IntegrityError), transaction.atomic():
        Assignment.objects.create(**duplicate)
    assignment_decline(assignment=fire_task, by=demo.fire_liaison, reason="全部出动 all out")
    again = assignment_add(incident=fire_task.incident, by=demo.dispatcher, agency=fire_task.agency)
    assert again.status == AssignmentStatus.PENDING
