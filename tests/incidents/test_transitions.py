"""Every move of both state machines: the legal ones happen with a stamp and one timeline entry;
the illegal ones raise TransitionError and write nothing."""

import pytest
from django.utils import timezone

from incidents.errors import TransitionError
from incidents.models import (
    Assignment,
    AssignmentStatus,
    Incident,
    IncidentStatus,
    TimelineEntry,
    TimelineKind,
)
from incidents.services import (
    ASSIGNMENT_MOVES,
    INCIDENT_MOVES,
    assignment_accept,
    assignment_cancel,
    assignment_decline,
    assignment_progress,
    incident_cancel,
    incident_close,
    incident_contain,
    incident_open,
    incident_reopen,
)

A = AssignmentStatus
I = IncidentStatus  # noqa: E741

ASSIGNMENT_STAMPS = {
    A.ACCEPTED: "accepted_at",
    A.EN_ROUTE: "en_route_at",
    A.ON_SCENE: "on_scene_at",
    A.COMPLETED: "completed_at",
    A.DECLINED: "declined_at",
    A.CANCELLED: "cancelled_at",
}


def _assignment_call(demo, assignment, target):
    """The service a person would use to move `assignment` to `target`."""
    liaison = demo.fire_liaison
    if target == A.ACCEPTED:
        return assignment_accept(assignment=assignment, by=liaison)
    if target == A.DECLINED:
        return assignment_decline(assignment=assignment, by=liaison, reason="车辆全部出动 all engines out")
    if target in (A.EN_ROUTE, A.ON_SCENE, A.COMPLETED):
        return assignment_progress(assignment=assignment, by=liaison, status=target, note="")
    if target == A.CANCELLED:
        return assignment_cancel(assignment=assignment, by=demo.dispatcher, reason="not needed")
    raise AssertionError(target)


# Nothing moves a task back to pending: there is no service for it, so it is not a target here.
ASSIGNMENT_CASES = [(current, target) for current in A.values for target in A.values if target != A.PENDING]


@pytest.fixture
def fire_task(demo):
    incident = incident_open(by=demo.dispatcher, kind="building_fire", severity=4, title="居民楼起火")
    return incident.assignments.get(agency__code="km-fire")


@pytest.mark.parametrize(("current", "target"), ASSIGNMENT_CASES)
def test_assignment_moves(demo, fire_task, current, target):
    Assignment.objects.filter(pk=fire_task.pk).update(
        status=current, decline_reason="earlier" if current == A.DECLINED else ""
    )
    before = Assignment.objects.values().get(pk=fire_task.pk)
    entries_before = TimelineEntry.objects.count()

    if target in ASSIGNMENT_MOVES[current]:
        started = timezone.now()
        moved = _assignment_call(demo, fire_task, target)
        row = Assignment.objects.get(pk=fire_task.pk)
        assert moved.status == row.status == target
        assert started <= getattr(row, ASSIGNMENT_STAMPS[target]) <= timezone.now()
        assert TimelineEntry.objects.count() == entries_before + 1
        entry = TimelineEntry.objects.latest("pk")
        assert (entry.kind, entry.assignment_id, entry.data["from"], entry.data["to"]) == (
            TimelineKind.ASSIGNMENT_STATUS,
            fire_task.pk,
            current,
            target,
        )
        if current == A.PENDING:
            assert row.next_escalation_at is None, "answering a task stops its escalation"
    else:
        with pytest.raises(TransitionError):
            _assignment_call(demo, fire_task, target)
        assert Assignment.objects.values().get(pk=fire_task.pk) == before
        assert TimelineEntry.objects.count() == entries_before


def _incident_call(demo, incident, target):
    if target == I.CONTAINED:
        return incident_contain(incident=incident, by=demo.commander)
    if target == I.CLOSED:
        return incident_close(incident=incident, by=demo.commander)
    if target == I.CANCELLED:
        return incident_cancel(incident=incident, by=demo.dispatcher, reason="duplicate call")
    if target == I.ACTIVE:
        return incident_reopen(incident=incident, by=demo.commander)
    raise AssertionError(target)


INCIDENT_CASES = [(current, target) for current in I.values for target in I.values]
INCIDENT_STAMPS = {
    I.CONTAINED: "contained_at",
    I.CLOSED: "closed_at",
    I.CANCELLED: "cancelled_at",
    I.ACTIVE: "reopened_at",
}


@pytest.mark.parametrize(("current", "target"), INCIDENT_CASES)
def test_incident_moves(demo, current, target):
    incident = incident_open(by=demo.dispatcher, kind="other", severity=4, title="不明情况", agencies=["km-police"])
    Incident.objects.filter(pk=incident.pk).update(status=current)
    before = Incident.objects.values().get(pk=incident.pk)
    entries_before = TimelineEntry.objects.count()

    if target in INCIDENT_MOVES[current]:
        moved = _incident_call(demo, incident, target)
        row = Incident.objects.get(pk=incident.pk)
        assert moved.status == row.status == target
        assert getattr(row, INCIDENT_STAMPS[target]) is not None
        status_entries = TimelineEntry.objects.filter(incident=incident, kind=TimelineKind.INCIDENT_STATUS)
        assert [(e.data["from"], e.data["to"]) for e in status_entries] == [(current, target)]
    else:
        with pytest.raises(TransitionError):
            _incident_call(demo, incident, target)
        assert Incident.objects.values().get(pk=incident.pk) == before
        assert TimelineEntry.objects.count() == entries_before


@pytest.mark.parametrize("end", [I.CLOSED, I.CANCELLED])
def test_ending_an_incident_cancels_only_its_open_tasks(demo, end):
    incident = incident_open(by=demo.dispatcher, kind="hazmat", severity=3, title="槽罐车泄漏")
    tasks = {a.agency.code: a for a in incident.assignments.select_related("agency")}
    assignment_accept(assignment=tasks["km-fire"], by=demo.fire_liaison)
    assignment_decline(assignment=tasks["km-environment"], by=demo.environment_liaison, reason="无监测车 no van")
    for status in (A.EN_ROUTE, A.ON_SCENE, A.COMPLETED):
        assignment_progress(assignment=tasks["km-fire"], by=demo.fire_liaison, status=status)
    assignment_accept(assignment=tasks["km-police"], by=demo.police_liaison)

    if end == I.CLOSED:
        incident_contain(incident=incident, by=demo.commander)
        incident_close(incident=incident, by=demo.commander)
    else:
        incident_cancel(incident=incident, by=demo.dispatcher, reason="误报 false alarm")

    statuses = dict(incident.assignments.values_list("agency__code", "status"))
    assert statuses == {
        "km-fire": A.COMPLETED,
        "km-environment": A.DECLINED,
        "km-police": A.CANCELLED,
        "km-medical": A.CANCELLED,
        "km-traffic": A.CANCELLED,
    }
    cancelled = TimelineEntry.objects.filter(
        incident=incident, kind=TimelineKind.ASSIGNMENT_STATUS, data__to=A.CANCELLED
    )
    assert sorted(e.assignment.agency.code for e in cancelled) == ["km-medical", "km-police", "km-traffic"]


def test_reopened_incident_takes_agencies_again(demo):
    """After a close, the agency's old task stays cancelled and it can be brought back in."""
    from incidents.services import assignment_add

    incident = incident_open(by=demo.dispatcher, kind="other", severity=4, title="复燃", agencies=["km-fire"])
    incident_contain(incident=incident, by=demo.commander)
    incident_close(incident=incident, by=demo.commander)
    incident_reopen(incident=incident, by=demo.commander)
    again = assignment_add(incident=incident, by=demo.commander, agency=demo.agency("km-fire"))
    assert again.status == A.PENDING
    assert list(incident.assignments.order_by("pk").values_list("status", flat=True)) == [A.CANCELLED, A.PENDING]
