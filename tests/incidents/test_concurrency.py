"""Two people press accept on the same task at the same moment: exactly one wins."""

import threading

import pytest
from django.db import connection

from incidents.errors import TransitionError
from incidents.models import Assignment, AssignmentStatus, TimelineEntry, TimelineKind
from incidents.services import assignment_accept, incident_open


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("attempt", range(5))
def test_two_threads_accepting_one_task(demo, attempt):
    incident = incident_open(by=demo.dispatcher, kind="building_fire", severity=4, title="仓库火灾")
    task = incident.assignments.get(agency__code="km-fire")
    people = [demo.fire_liaison, demo.fire_chief]
    start = threading.Barrier(len(people))
    outcomes: list[str] = []

    def accept(user):
        try:
            start.wait(timeout=10)
            assignment_accept(assignment=Assignment(pk=task.pk), by=user)
            outcomes.append("accepted")
        except TransitionError:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=accept, args=(user,)) for user in people]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(outcomes) == ["accepted", "refused"]
    row = Assignment.objects.get(pk=task.pk)
    assert row.status == AssignmentStatus.ACCEPTED
    assert row.accepted_at is not None
    assert row.accepted_by in people
    accepted_entries = TimelineEntry.objects.filter(
        assignment=task, kind=TimelineKind.ASSIGNMENT_STATUS, data__to=AssignmentStatus.ACCEPTED
    )
    assert accepted_entries.count() == 1
    assert accepted_entries.get().actor == row.accepted_by
