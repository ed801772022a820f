"""Escalation: who hears of a task nobody accepted in time, the write that moves such tasks up a level
(`assignments_escalate`, with its message and webhook), and the sweep that finds them (`escalate_due`).

Deadlines live in PostgreSQL (`Assignment.next_escalation_at`), never in the broker. The sweep runs
every few seconds (Celery beat, or a thread in the embedded mode), locks the incidents of the due rows
with SKIP LOCKED and then the rows (the one lock order: incident first) — two sweeps at once share the
work, never double it — and moves each up to the next level that has someone to tell (a level with
nobody is passed over at once) in the same transaction as its timeline entry and its notification
rows. A dead worker or a restarted Redis loses nothing: the next sweep finds the same rows.
"""

import logging
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from linkage.api import wire_time
from notifications.services import Recipient, notify_many, notify_webhooks_many

from . import notices
from .models import Assignment, AssignmentStatus, EscalationTarget, TimelineKind
from .notices import ADMINS, recipients_for
from .timeline import timeline_add_many, timeline_entry

logger = logging.getLogger("linkage.escalation")


def step_target(snapshot: dict, level: int) -> str:
    """The policy snapshot's target for `level`: its own step, else the last step below it (levels
    past the last step repeat it), else the agency's chiefs."""
    steps = sorted(snapshot.get("steps", []), key=lambda step: step["level"])
    below = [step for step in steps if step["level"] <= level]
    return below[-1]["notify"] if below else EscalationTarget.AGENCY_CHIEFS


@dataclass(frozen=True)
class Reach:
    """Whom one escalation tells.

    `level`: the level reached; `recipients`: the active people told (none only when nobody at all
    could be); `passed_over`: the steps passed at once because nobody could hear them, as
    `[{"level": 1, "notify": "agency_chiefs"}, …]` in level order; `fallback`: the target told instead
    (`commander_and_dispatchers` or `admins`) when no level up to the policy's last had anyone."""

    level: int
    recipients: list[Recipient]
    passed_over: list[dict] = field(default_factory=list)
    fallback: str | None = None


def escalation_reach(assignment: Assignment, *, snapshot: dict, level: int, cache: dict | None = None) -> Reach:
    """The first level from `level` up to the policy snapshot's `max_level` whose step has someone
    to tell; a step with nobody (an agency with a liaison but no chief, say) is passed over at once.
    When no level has anyone: the incident's commander and the dispatchers (if no step already meant
    them), else the administrators — someone must hear that a task is going unanswered."""
    cache = {} if cache is None else cache
    max_level = max(int(snapshot.get("max_level") or 1), level)
    passed: list[dict] = []
    while True:
        target = step_target(snapshot, level)
        people = _active(recipients_for(assignment, target, cache))
        if people:
            return Reach(level=level, recipients=people, passed_over=passed)
        passed.append({"level": level, "notify": str(target)})
        if level >= max_level:
            break
        level += 1
    tried = {step["notify"] for step in passed}
    for fallback in (EscalationTarget.COMMANDER_AND_DISPATCHERS, ADMINS):
        if fallback in tried:
            continue
        people = _active(recipients_for(assignment, fallback, cache))
        if people:
            return Reach(level=level, recipients=people, passed_over=passed, fallback=str(fallback))
    return Reach(level=level, recipients=[], passed_over=passed)


def _nobody(target: str, agency: str) -> str:
    if target == EscalationTarget.AGENCY_CHIEFS:
        return _("no duty chief at %(agency)s") % {"agency": agency}
    if target == EscalationTarget.AGENCY_LIAISONS:
        return _("no liaison at %(agency)s") % {"agency": agency}
    if target == EscalationTarget.COMMANDER_AND_DISPATCHERS:
        return _("no commander or dispatcher")
    return _("nobody for %(target)s") % {"target": target}


def escalation_reasons(data: dict, agency: str) -> list[str]:
    """Why an escalation (its timeline data) went where it did, in the active language: one line per
    step passed over ("no duty chief at <agency>: passed to level 2"), or, when no level had anyone, one
    line saying so and who was told instead. Empty for an escalation that simply went up one level."""
    passed = [step for step in data.get("passed_over") or [] if isinstance(step, dict)]
    if not passed:
        return []
    reached = data.get("level")
    if passed[-1].get("level") != reached:  # a later level had someone
        return [
            _("%(why)s: passed to level %(level)s")
            % {"why": _nobody(step.get("notify"), agency), "level": step["level"] + 1}
            for step in passed
        ]
    why = "; ".join(dict.fromkeys(_nobody(step.get("notify"), agency) for step in passed))
    if data.get("fallback") == EscalationTarget.COMMANDER_AND_DISPATCHERS:
        return [_("nobody to tell at any level (%(why)s): told the commander and dispatchers instead") % {"why": why}]
    if data.get("fallback") == ADMINS:
        return [_("nobody to tell at any level (%(why)s): told the administrators instead") % {"why": why}]
    return [_("nobody to tell at any level (%(why)s): nobody could be told") % {"why": why}]


def overdue_words(seconds: float) -> str:
    """How late, in words, in the active language: "overdue by 45 s", "overdue by 4 min",
    "overdue by 1 h 5 min" (whole units, rounded down)."""
    seconds = max(0, int(seconds))
    if seconds < 60:
        return _("overdue by %(seconds)d s") % {"seconds": seconds}
    hours, minutes = divmod(seconds // 60, 60)
    if not hours:
        return _("overdue by %(minutes)d min") % {"minutes": minutes}
    return _("overdue by %(hours)d h %(minutes)d min") % {"hours": hours, "minutes": minutes}


def _active(people: list[Recipient]) -> list[Recipient]:
    return [person for person in people if person.user.is_active]


# --- Moving tasks up (the writes) -----------------------------------------------------------


def assignments_escalate(*, assignments: list[Assignment], recipients_cache: dict | None = None) -> list[Assignment]:
    """Move due pending tasks up one level of their policy snapshots: each gets a timeline entry,
    notifications and webhooks, and the next level's time (none after the policy's last level).

    The caller (the sweep) holds the rows' locks; a task no longer pending or not yet due is left
    alone. The writes are batched — one update, one timeline insert, one outbox insert for the lot —
    so that a sweep keeps up with a city's worth of deadlines. Returns the tasks it moved."""
    now = timezone.now()
    moved, entries, messages = [], [], []
    for assignment in assignments:
        due = assignment.next_escalation_at
        if assignment.status != AssignmentStatus.PENDING or due is None or due > now:
            continue
        snapshot = assignment.escalation_snapshot or {}
        interval = int(snapshot.get("interval_seconds") or 120)
        # A step with nobody to tell is passed over at once, in this sweep (escalation_reach).
        reach = escalation_reach(
            assignment, snapshot=snapshot, level=assignment.escalation_level + 1, cache=recipients_cache
        )
        level = reach.level
        people = reach.recipients
        assignment.escalation_level = level
        assignment.escalated_at = now
        assignment.next_escalation_at = (
            now + timedelta(seconds=interval) if level < int(snapshot.get("max_level") or 1) else None
        )
        data = {
            "agency": assignment.agency.code,
            "level": level,
            "due": wire_time(due),
            "accept_by": wire_time(assignment.accept_by),
            # How many, not who: the timeline goes to every agency on the incident, and who is
            # on duty elsewhere is for that agency, commanders and dispatchers (the outbox has it).
            "notified": len({person.user.pk for person in people}),
        }
        if reach.passed_over:
            data["passed_over"] = reach.passed_over
        if reach.fallback:
            data["fallback"] = reach.fallback
        entries.append(
            timeline_entry(
                incident=assignment.incident,
                kind=TimelineKind.ASSIGNMENT_ESCALATED,
                actor=None,
                assignment=assignment,
                data=data,
            )
        )
        cause = escalation_cause(assignment)
        subject, body = _escalation_message(assignment, data, now=now)
        messages.append(
            notices.incident_message(  # marks an exercise's notices as a drill
                incident=assignment.incident, cause=cause, level=level, recipients=people, subject=subject, body=body
            )
        )
        moved.append(assignment)
    if not moved:
        return moved
    Assignment.objects.bulk_update(moved, ["escalation_level", "escalated_at", "next_escalation_at"])
    saved = timeline_add_many(entries)
    notify_many(messages)
    # The live event's envelope (built from the saved entries: it carries their seq) plus who was
    # passed over and who was told instead.
    hooks = [
        notices.incident_webhook(
            entry=entry,
            cause=escalation_cause(entry.assignment),
            level=entry.data["level"],
            event_type="assignment.escalated",
            passed_over=entry.data.get("passed_over", []),
            fallback=entry.data.get("fallback"),
            task=entry.assignment.task,
        )
        for entry in saved
    ]
    notify_webhooks_many(event_type="assignment.escalated", items=hooks)
    return moved


def escalation_cause(assignment: Assignment) -> str:
    """The outbox cause of a task's escalation notices ("assignment:<id>:escalation"): accepting the
    task withdraws the ones not yet sent."""
    return f"assignment:{assignment.pk}:escalation"


def _escalation_message(assignment: Assignment, data: dict, *, now) -> tuple[str, str]:
    """Subject and body, in the site's language (people have no language of their own yet): the real
    accept deadline (`accept_by`) and how late it is now, and why any level was passed over."""
    incident = assignment.incident
    with translation.override(settings.LANGUAGE_CODE):
        agency = assignment.agency.display_name
        values = {
            **notices.message_values(assignment, incident),
            "level": assignment.escalation_level,
            "deadline": timezone.localtime(assignment.accept_by).strftime("%H:%M"),
            "overdue": overdue_words((now - assignment.accept_by).total_seconds()),
        }
        subject = _("Not accepted: %(reference)s · %(agency)s (escalation level %(level)d)") % values
        body = (
            _(
                "%(agency)s has not accepted its task on %(reference)s %(title)s (%(address)s): it was to be "
                "accepted by %(deadline)s and is now %(overdue)s. Task: %(task)s"
            )
            % values
        )
        reasons = escalation_reasons(data, agency)
        if reasons:
            body += "\n" + "\n".join(reasons)
        return subject, body


# --- The sweep ------------------------------------------------------------------------------


def escalate_due(*, batch: int = 200) -> int:
    """Move every due pending task up its policy. Returns how many moved.

    In the one lock order: the incidents of (at most `batch`) due tasks first, FOR NO KEY UPDATE SKIP
    LOCKED — an incident someone is changing right now (or another sweep holds) is left for the next
    sweep, seconds later — then those tasks, in id order, re-read under their locks."""
    moved = 0
    recipients: dict = {}
    while True:
        with transaction.atomic():
            now = timezone.now()
            found = list(
                Assignment.objects.select_for_update(skip_locked=True, no_key=True, of=("incident",))
                .filter(status=AssignmentStatus.PENDING, next_escalation_at__lte=now)
                .select_related("incident", "incident__commander")
                .order_by("next_escalation_at")[:batch]
            )
            # The incidents as locked (the lock returns their newest version); the tasks read again
            # under their own locks, since one may have been answered since this statement began.
            incidents = {task.incident_id: task.incident for task in found}
            due = list(
                Assignment.objects.select_for_update(no_key=True, of=("self",))
                .filter(pk__in=[task.pk for task in found], status=AssignmentStatus.PENDING)
                .select_related("agency")
                .order_by("pk")
            )
            for task in due:
                task.incident = incidents[task.incident_id]
            moved += _escalate_batch(due, recipients)
        if len(found) < batch:
            return moved


def _escalate_batch(due: list[Assignment], recipients: dict) -> int:
    """The batch together; should that fail, each task alone, so that one bad task (a broken policy
    snapshot, say) cannot hold up every escalation behind it: it is logged and retried later."""
    try:
        with transaction.atomic():
            return len(assignments_escalate(assignments=due, recipients_cache=recipients))
    except Exception:
        logger.exception("escalating a batch of %d failed; escalating them one by one", len(due))
    moved = 0
    for assignment in due:
        assignment.refresh_from_db(fields=["escalation_level", "escalated_at", "next_escalation_at", "status"])
        try:
            with transaction.atomic():
                moved += len(assignments_escalate(assignments=[assignment], recipients_cache=recipients))
        except Exception:
            logger.exception("escalating %s failed; trying again in a minute", assignment.pk)
            Assignment.objects.filter(pk=assignment.pk).update(
                next_escalation_at=timezone.now() + timedelta(seconds=POISON_RETRY_SECONDS)
            )
    return moved


# A task whose escalation raised is tried again this much later (and logged each time).
POISON_RETRY_SECONDS = 60
