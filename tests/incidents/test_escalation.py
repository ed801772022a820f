"""Escalation, in this process: who is told at which level, and that nothing fires twice."""

from datetime import timedelta

import pytest
from django.utils import timezone

from incidents import services
from incidents.escalation import escalate_due, step_target
from incidents.models import Assignment, TimelineKind
from notifications.models import Notification


@pytest.fixture
def fire_incident(demo):
    return services.incident_open(by=demo.dispatcher, kind="building_fire", severity=4, title="居民楼起火")


def make_due(assignment, *, seconds_ago=1):
    Assignment.objects.filter(pk=assignment.pk).update(
        next_escalation_at=timezone.now() - timedelta(seconds=seconds_ago)
    )


def medical(incident):
    return incident.assignments.get(agency__code="km-medical")


def test_level_one_tells_the_agencys_duty_chief_by_every_channel_they_have(demo, fire_incident):
    task = medical(fire_incident)
    make_due(task)
    assert escalate_due() == 1
    task.refresh_from_db()
    assert task.escalation_level == 1 and task.escalated_at is not None
    assert task.next_escalation_at == task.escalated_at + timedelta(seconds=120)  # the default policy's interval
    rows = Notification.objects.filter(cause=f"assignment:{task.pk}:escalation", level=1)
    assert {(row.recipient.username, row.channel) for row in rows} == {
        ("medical_chief", "in_app"),
        ("medical_chief", "email"),
        ("medical_chief", "sms"),
    }
    sms = rows.get(channel="sms")
    assert sms.address.startswith("138") and fire_incident.reference in sms.subject
    entry = fire_incident.timeline.get(kind=TimelineKind.ASSIGNMENT_ESCALATED)
    assert entry.data["level"] == 1 and entry.data["notified"] == 1  # how many, not who


def test_level_two_tells_the_commanders_and_every_dispatcher_and_the_last_level_stops(demo, fire_incident):
    task = medical(fire_incident)
    Assignment.objects.filter(pk=task.pk).update(escalation_plan={**task.escalation_plan, "max_level": 2})
    make_due(task)
    escalate_due()
    make_due(task)
    escalate_due()
    task.refresh_from_db()
    assert task.escalation_level == 2 and task.next_escalation_at is None  # no level 3 in this policy
    told = set(Notification.objects.filter(level=2, channel="in_app").values_list("recipient__username", flat=True))
    assert told == {"commander", "dispatcher"}
    assert escalate_due() == 0


def test_nothing_escalates_before_its_time_or_after_it_is_accepted(demo, fire_incident):
    assert escalate_due() == 0  # deadlines a minute or more away
    task = medical(fire_incident)
    services.assignment_accept(assignment=task, by=demo.medical_liaison)
    make_due(task)  # even with a stale deadline, an accepted task is not escalated
    assert escalate_due() == 0
    assert not Notification.objects.exists()


def test_a_second_sweep_right_after_the_first_does_nothing(demo, fire_incident):
    make_due(medical(fire_incident))
    assert escalate_due() == 1
    assert escalate_due() == 0
    assert fire_incident.timeline.filter(kind=TimelineKind.ASSIGNMENT_ESCALATED).count() == 1


def test_the_board_and_incident_page_show_the_escalation(client, demo, fire_incident):
    make_due(medical(fire_incident))
    escalate_due()
    client.force_login(demo.commander)
    board = client.get("/board/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "1 escalated" in board and "level 1</span>" in board
    page = client.get(f"/incidents/{fire_incident.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Kunming Emergency Medical Center: not accepted in time, escalated to level 1" in page


def test_the_policy_snapshot_repeats_its_last_step_past_it():
    plan = {"steps": [{"level": 1, "notify": "agency_chiefs"}, {"level": 2, "notify": "commander_and_dispatchers"}]}
    assert [step_target(plan, level) for level in (1, 2, 3, 4)] == [
        "agency_chiefs",
        "commander_and_dispatchers",
        "commander_and_dispatchers",
        "commander_and_dispatchers",
    ]
    assert step_target({"steps": []}, 1) == "agency_chiefs"


def test_accepting_withdraws_escalation_notices_not_yet_sent(demo, fire_incident):
    task = medical(fire_incident)
    make_due(task)
    escalate_due()
    services.assignment_accept(assignment=task, by=demo.medical_liaison)
    statuses = set(
        Notification.objects.filter(cause=f"assignment:{task.pk}:escalation").values_list("status", flat=True)
    )
    assert statuses == {"withdrawn"}


def test_one_broken_task_does_not_hold_up_the_others(demo, fire_incident, caplog):
    broken, fine = medical(fire_incident), fire_incident.assignments.get(agency__code="km-fire")
    Assignment.objects.filter(pk=broken.pk).update(escalation_plan={"steps": "not a list", "interval_seconds": "x"})
    make_due(broken, seconds_ago=5)  # the oldest: first in the batch
    make_due(fine)
    assert escalate_due() == 1
    fine.refresh_from_db()
    broken.refresh_from_db()
    assert fine.escalation_level == 1
    assert broken.escalation_level == 0 and broken.next_escalation_at > timezone.now() + timedelta(seconds=50)
    assert "trying again in a minute" in caplog.text
