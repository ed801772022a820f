"""Escalation, in this process: who is told at which level, and that nothing fires twice."""

from datetime import timedelta

import pytest
from django.utils import timezone

from agencies.models import MemberRole
from incidents import services
from incidents.escalation import escalate_due, step_target
from incidents.models import Assignment, TimelineKind
from notifications.models import Notification


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
    Assignment.objects.filter(pk=task.pk).update(escalation_snapshot={**task.escalation_snapshot, "max_level": 2})
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
    Assignment.objects.filter(pk=broken.pk).update(escalation_snapshot={"steps": "not a list", "interval_seconds": "x"})
    make_due(broken, seconds_ago=5)  # the oldest: first in the batch
    make_due(fine)
    assert escalate_due() == 1
    fine.refresh_from_db()
    broken.refresh_from_db()
    assert fine.escalation_level == 1
    assert broken.escalation_level == 0 and broken.next_escalation_at > timezone.now() + timedelta(seconds=50)
    assert "trying again in a minute" in caplog.text


# --- What an escalation says: the real deadline and how late ---------------------------------


def overdue_task(incident, *, minutes_late: float):
    """The medical task, its accept deadline `minutes_late` ago and its next level due now."""
    task = medical(incident)
    accept_by = timezone.now() - timedelta(minutes=minutes_late)
    Assignment.objects.filter(pk=task.pk).update(
        accept_by=accept_by, next_escalation_at=timezone.now() - timedelta(seconds=1)
    )
    task.refresh_from_db()
    return task


@pytest.mark.parametrize(
    ("language", "deadline_words", "late_words"),
    [("en", "accepted by {deadline}", "overdue by 4 min"), ("zh-hans", "接受时限为 {deadline}", "已超时 4 分钟")],
)
def test_the_level_two_message_gives_the_real_accept_deadline_and_how_late_it_is(
    demo, fire_incident, settings, language, deadline_words, late_words
):
    settings.LANGUAGE_CODE = language
    task = overdue_task(fire_incident, minutes_late=4.2)
    Assignment.objects.filter(pk=task.pk).update(escalation_level=1)  # level 1 went out two minutes ago
    assert escalate_due() == 1
    task.refresh_from_db()
    assert task.escalation_level == 2
    row = Notification.objects.get(
        cause=f"assignment:{task.pk}:escalation", level=2, recipient=demo.dispatcher, channel="in_app"
    )
    deadline = timezone.localtime(task.accept_by).strftime("%H:%M")
    assert deadline_words.format(deadline=deadline) in row.body
    assert late_words in row.body
    # Not the escalation's own time (the old message called that "due at").
    assert timezone.localtime(task.escalated_at + timedelta(seconds=120)).strftime("%H:%M:%S") not in row.body


def test_overdue_in_words_counts_seconds_minutes_and_hours():
    from django.utils import translation

    from incidents.escalation import overdue_words

    with translation.override("en"):
        assert [overdue_words(s) for s in (-3, 45, 60, 4 * 60 + 59, 3600 + 5 * 60)] == [
            "overdue by 0 s",
            "overdue by 45 s",
            "overdue by 1 min",
            "overdue by 4 min",
            "overdue by 1 h 5 min",
        ]
    with translation.override("zh-hans"):
        assert overdue_words(3600 + 5 * 60) == "已超时 1 小时 5 分钟"


# --- A step with nobody to tell falls through at once ----------------------------------------


def test_an_agency_with_no_chief_passes_level_one_to_level_two_in_the_same_sweep(client, demo, fire_incident, no_chief):
    no_chief()
    task = medical(fire_incident)
    make_due(task)
    assert escalate_due() == 1
    task.refresh_from_db()
    assert task.escalation_level == 2
    assert task.next_escalation_at == task.escalated_at + timedelta(seconds=120)  # level 3 keeps its pace
    cause = f"assignment:{task.pk}:escalation"
    assert not Notification.objects.filter(cause=cause, level=1).exists()
    told = set(
        Notification.objects.filter(cause=cause, level=2, channel="in_app").values_list(
            "recipient__username", flat=True
        )
    )
    assert told == {"commander", "dispatcher"}
    [entry] = fire_incident.timeline.filter(kind=TimelineKind.ASSIGNMENT_ESCALATED)
    assert entry.data["level"] == 2 and entry.data["notified"] == 2
    assert entry.data["passed_over"] == [{"level": 1, "notify": "agency_chiefs"}]
    # The message says why it skipped a level, in the site's language (Chinese by default).
    body = Notification.objects.filter(cause=cause, level=2).first().body
    assert "昆明市急救中心无值班长：已转至 2 级" in body
    # The pages say it in the reader's language.
    client.force_login(demo.commander)
    page = client.get(f"/incidents/{fire_incident.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert (
        "Kunming Emergency Medical Center: not accepted in time, escalated to level 2 — "
        "no duty chief at Kunming Emergency Medical Center: passed to level 2"
    ) in page
    page = client.get(f"/incidents/{fire_incident.pk}/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "昆明市急救中心无值班长：已转至 2 级" in page


def test_a_chief_off_shift_is_still_told_rather_than_passed_over(demo, fire_incident):
    from agencies.models import Shift

    Shift.objects.filter(membership__agency=demo.agency("km-medical"), membership__role=MemberRole.CHIEF).delete()
    task = medical(fire_incident)
    make_due(task)
    escalate_due()
    task.refresh_from_db()
    assert task.escalation_level == 1
    assert Notification.objects.filter(level=1, recipient__username="medical_chief").exists()


def test_a_policy_whose_every_level_has_nobody_tells_the_commander_and_dispatchers(
    client, demo, fire_incident, no_chief
):
    no_chief()
    task = medical(fire_incident)
    plan = {
        "policy": "chiefs only",
        "interval_seconds": 60,
        "max_level": 3,
        "steps": [{"level": 1, "notify": "agency_chiefs"}],
    }
    Assignment.objects.filter(pk=task.pk).update(escalation_snapshot=plan)
    make_due(task)
    assert escalate_due() == 1
    task.refresh_from_db()
    assert task.escalation_level == 3 and task.next_escalation_at is None  # its last level: nothing further
    told = set(Notification.objects.filter(level=3, channel="in_app").values_list("recipient__username", flat=True))
    assert told == {"commander", "dispatcher"}
    [entry] = fire_incident.timeline.filter(kind=TimelineKind.ASSIGNMENT_ESCALATED)
    assert entry.data["fallback"] == "commander_and_dispatchers"
    assert [step["level"] for step in entry.data["passed_over"]] == [1, 2, 3]
    client.force_login(demo.dispatcher)
    page = client.get(f"/incidents/{fire_incident.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert (
        "nobody to tell at any level (no duty chief at Kunming Emergency Medical Center): "
        "told the commander and dispatchers instead"
    ) in page


def test_with_no_chief_no_commander_and_no_dispatcher_the_administrators_hear_of_it(demo, fire_incident, no_chief):
    no_chief()
    for name in ("commander", "dispatcher"):
        demo.users[name].groups.clear()
    task = medical(fire_incident)
    make_due(task)
    assert escalate_due() == 1
    task.refresh_from_db()
    assert task.escalation_level == 4 and task.next_escalation_at is None  # the default policy's last
    [entry] = fire_incident.timeline.filter(kind=TimelineKind.ASSIGNMENT_ESCALATED)
    assert entry.data["fallback"] == "admins" and entry.data["notified"] == 1
    assert set(Notification.objects.filter(level=4).values_list("recipient__username", flat=True)) == {"admin"}
    from django.utils import translation

    from incidents.templatetags.incidents_tags import describe_entry

    with translation.override("en"):
        line = describe_entry(entry)
    assert line.endswith(
        "nobody to tell at any level (no duty chief at Kunming Emergency Medical Center; no commander or dispatcher): "
        "told the administrators instead"
    )
