"""Escalation: who hears of a task nobody accepted in time, and the sweep that finds such tasks.

Deadlines live in PostgreSQL (`Assignment.next_escalation_at`), never in the broker. The sweep runs
every few seconds (Celery beat, or a thread in the embedded mode), locks the due rows with
SKIP LOCKED — two sweeps at once share the work, never double it — and moves each up one level in
the same transaction as its timeline entry and its notification rows. A dead worker or a restarted
Redis loses nothing: the next sweep finds the same rows.
"""

import logging
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from agencies.models import MemberRole
from agencies.selectors import duty_chiefs, on_duty
from notifications.services import Recipient

from .models import Assignment, AssignmentStatus, EscalationTarget
from .roles import COMMANDERS, DISPATCHERS

logger = logging.getLogger("linkage.escalation")


def step_target(plan: dict, level: int) -> str:
    """The policy snapshot's target for `level`: its own step, else the last step below it (levels
    past the last step repeat it), else the agency's chiefs."""
    steps = sorted(plan.get("steps", []), key=lambda step: step["level"])
    below = [step for step in steps if step["level"] <= level]
    return below[-1]["notify"] if below else EscalationTarget.AGENCY_CHIEFS


def recipients_for(assignment: Assignment, target: str, cache: dict | None = None) -> list[Recipient]:
    """Whom `target` means for this task, now. `cache` (one sweep's) saves asking twice for the same
    agency's chiefs, or for the dispatchers."""
    key = (target, assignment.agency_id, assignment.incident.commander_id)
    if cache is not None and key in cache:
        return cache[key]
    found = _recipients(assignment, target)
    if cache is not None:
        cache[key] = found
    return found


def _recipients(assignment: Assignment, target: str) -> list[Recipient]:
    if target == EscalationTarget.AGENCY_CHIEFS:
        return [Recipient(member.user, member.phone) for member in duty_chiefs(agency=assignment.agency)]
    if target == EscalationTarget.AGENCY_LIAISONS:
        members = list(on_duty(agency=assignment.agency, roles=[MemberRole.LIAISON])) or list(
            assignment.agency.memberships.filter(role=MemberRole.LIAISON, is_active=True).select_related("user")
        )
        return [Recipient(member.user, member.phone) for member in members]
    # The incident's commander (every commander when it has none) and every dispatcher.
    users = get_user_model().objects.filter(is_active=True)
    people = list(users.filter(groups__name=DISPATCHERS).distinct())
    commander = assignment.incident.commander
    people += [commander] if commander is not None else list(users.filter(groups__name=COMMANDERS).distinct())
    return [Recipient(user) for user in people]


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
    from .services import assignments_escalate

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
