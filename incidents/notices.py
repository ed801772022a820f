"""Who hears of what happens to a task, besides escalation (escalation.py), whom each escalation
target means (`recipients_for`, which escalation uses too), and the one way every message about an
incident is built.

- A decline: the dispatchers and the incident's commander (every commander when it has none), at once,
  with the reason — in-app (live), by e-mail where they have one — and the webhooks.
- A task cancelled because its incident closed or was cancelled, or taken off by a dispatcher: that
  agency's on-duty liaisons (every liaison when none is on shift), so that a crew on its way stands down.

Both are called by the services in the transaction of their cause, so the outbox rows and the change
commit together or not at all. `incident_message` and `incident_webhook` are what every notification
and webhook about an incident passes through: an exercise's are marked there (【演练】/[EXERCISE] in
subject and text, `"exercise": true` in the payload), never forgotten by one caller. A webhook's body
is the live event's envelope for the change's timeline entry (events.envelope) plus its own few
fields, so the two cannot drift apart.
"""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils import translation
from django.utils.translation import gettext as _

from agencies.models import MemberRole
from agencies.selectors import duty_chiefs, on_duty
from linkage.bilingual import in_language
from notifications.services import Message, Recipient, notify_many, notify_webhooks_many

from .events import envelope
from .models import Assignment, EscalationTarget, Incident, TimelineEntry, TimelineKind
from .roles import COMMANDERS, DISPATCHERS


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


# Told when no level of a policy has anyone to hear it, and the commander and dispatchers cannot
# be told either: the people who set up the rosters.
ADMINS = "admins"


def _recipients(assignment: Assignment, target: str) -> list[Recipient]:
    if target == ADMINS:
        return [Recipient(user) for user in get_user_model().objects.filter(is_active=True, is_superuser=True)]
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


def incident_link(incident: Incident) -> str:
    """The incident page, as a site path (the e-mail backend puts the site's address before it)."""
    return f"/incidents/{incident.pk}/"


def incident_message(
    *, incident: Incident, cause: str, level: int, recipients: list[Recipient], subject: str, body: str
) -> Message:
    """A notification about `incident`, linking to its page; an exercise's is marked as a drill."""
    return Message(
        cause=cause,
        level=level,
        recipients=recipients,
        subject=subject,
        body=body,
        link=incident_link(incident),
        exercise=incident.exercise,
    )


def message_values(assignment: Assignment, incident: Incident | None = None) -> dict:
    """What every notice about a task names — reference, title, address, agency, task — for %-formatting.
    Call under `translation.override(settings.LANGUAGE_CODE)`: the agency name and the task's half of a
    bilingual text are taken in the active language."""
    incident = incident or assignment.incident
    return {
        "reference": incident.reference,
        "title": incident.title,
        "address": incident.address or "—",
        "agency": assignment.agency.display_name,
        "task": in_language(assignment.task),
    }


def incident_webhook(
    *, entry: TimelineEntry, cause: str, level: int, event_type: str, **fields
) -> tuple[str, int, dict]:
    """A (cause, level, payload) item for `notify_webhooks_many(event_type=...)`.

    The payload is the live event's envelope for `entry` (events.envelope: type, seq, at, incident,
    assignment, entry) with the webhook's own fields on top: "type" is `event_type` (the type endpoints
    subscribe to; it differs from the live one only for "assignment.cancelled"), "exercise" is the
    incident's (always present), and `fields` (e.g. "passed_over", "reason") are added as given."""
    return cause, level, {**envelope(entry), **fields, "type": event_type, "exercise": entry.incident.exercise}


def _status_entry(assignment: Assignment) -> TimelineEntry:
    """The timeline entry the caller's move of `assignment` just wrote (the task is locked, so it is
    the newest of its status entries)."""
    return (
        TimelineEntry.objects.filter(assignment=assignment, kind=TimelineKind.ASSIGNMENT_STATUS)
        .select_related("incident", "actor", "assignment__agency")
        .latest("pk")
    )


def decline_cause(assignment: Assignment) -> str:
    return f"assignment:{assignment.pk}:declined"


def cancellation_cause(assignment: Assignment) -> str:
    return f"assignment:{assignment.pk}:cancelled"


def assignment_declined(*, assignment: Assignment) -> None:
    """Tell the dispatchers and the commander that `assignment` (just declined, its reason saved) was
    declined, and why. Call inside the decline's transaction."""
    incident = assignment.incident
    with translation.override(settings.LANGUAGE_CODE):  # the site's language: people have none of their own yet
        values = {**message_values(assignment, incident), "reason": assignment.decline_reason}
        subject = _("Declined: %(reference)s · %(agency)s") % values
        body = (
            _(
                "%(agency)s declined its task on %(reference)s %(title)s (%(address)s). Reason: %(reason)s. "
                "Task: %(task)s"
            )
            % values
        )
    recipients = recipients_for(assignment, EscalationTarget.COMMANDER_AND_DISPATCHERS)
    cause = decline_cause(assignment)
    notify_many(
        [incident_message(incident=incident, cause=cause, level=0, recipients=recipients, subject=subject, body=body)]
    )
    hook = incident_webhook(
        entry=_status_entry(assignment),
        cause=cause,
        level=0,
        event_type="assignment.declined",
        reason=assignment.decline_reason,
        task=assignment.task,
    )
    notify_webhooks_many(event_type="assignment.declined", items=[hook])


def assignment_cancelled_with_incident(*, assignment: Assignment, incident: Incident) -> None:
    """Tell the agency's on-duty liaisons that its task was cancelled because `incident` (already in
    its new status) was closed or cancelled. Call inside that transaction."""
    _tell_cancelled(assignment=assignment, incident=incident, reason=None)


def assignment_taken_off(*, assignment: Assignment, reason: str) -> None:
    """Tell the agency's on-duty liaisons that a dispatcher or commander took it off the incident, with
    the reason given (may be empty). Call inside that transaction."""
    _tell_cancelled(assignment=assignment, incident=assignment.incident, reason=reason)


def _tell_cancelled(*, assignment: Assignment, incident: Incident, reason: str | None) -> None:
    """`reason` None: the incident ended; else the task was taken off by hand (`reason` may be "")."""
    with translation.override(settings.LANGUAGE_CODE):
        values = {
            **message_values(assignment, incident),
            "status": str(incident.get_status_display()).lower(),  # mid-sentence
        }
        subject = _("Task cancelled: %(reference)s · %(agency)s") % values
        if reason is None:
            body = (
                _(
                    "Your task on %(reference)s %(title)s is cancelled: the incident was %(status)s. "
                    "Stand down. Task: %(task)s"
                )
                % values
            )
        else:
            body = (
                _(
                    "Dispatch took %(agency)s off %(reference)s %(title)s. Stand down. "
                    "Reason: %(reason)s. Task: %(task)s"
                )
                % {**values, "reason": reason or "—"}
            )
    recipients = recipients_for(assignment, EscalationTarget.AGENCY_LIAISONS)
    cause = cancellation_cause(assignment)
    notify_many(
        [incident_message(incident=incident, cause=cause, level=0, recipients=recipients, subject=subject, body=body)]
    )
    hook = incident_webhook(
        entry=_status_entry(assignment), cause=cause, level=0, event_type="assignment.cancelled", task=assignment.task
    )
    notify_webhooks_many(event_type="assignment.cancelled", items=[hook])
