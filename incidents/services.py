"""Every change to incidents and assignments: one function per transition.

Each runs in one transaction, locks the row it changes, checks the move with `transitions.guard` (the
tables of incidents/transitions.py: which moves, who may make them, the time each stamps), writes the
row and one timeline entry per change, and stamps the time. Nothing else in Linkage sets a status.
Each docstring says who hears of the change: every timeline entry is a live event (events.py), and
some changes also notify people and webhooks (notices.py)."""

from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from agencies.models import Agency, AgencyKind
from agencies.selectors import active_agencies_by_code
from linkage.api import wire_time
from linkage.bilingual import both
from linkage.numbers import both_or_neither
from linkage.text import clean_text
from notifications.services import withdraw

from . import notices, transitions
from .errors import TransitionError
from .escalation import escalation_cause
from .models import (
    OPEN_ASSIGNMENT_STATUSES,
    OPEN_INCIDENT_STATUSES,
    TEXT_LIMITS,
    Assignment,
    AssignmentStatus,
    EscalationPolicy,
    Incident,
    IncidentStatus,
    TimelineEntry,
    TimelineKind,
)
from .permissions import grant_agency_access
from .plans import PlannedTask, default_escalation_policy, plan_expand, plan_steps_for
from .selectors import can_view_incident
from .timeline import person, timeline_add, timeline_add_many, timeline_entry

A = AssignmentStatus
I = IncidentStatus  # noqa: E741
PROGRESS_STATUSES = transitions.PROGRESS_STATUSES

# Free text kept on one line; every other field (description, note, reason, text) may hold newlines.
ONE_LINE_FIELDS = frozenset({"title", "address", "task"})


def _clean_text(value, *, field: str, required: bool) -> str:
    """linkage.text.clean_text: NFC, no invisible edges, nothing-visible refused (ValidationError),
    at most TEXT_LIMITS[field] characters."""
    return clean_text(
        value, field=field, required=required, limit=TEXT_LIMITS[field], multiline=field not in ONE_LINE_FIELDS
    )


# --- Opening an incident --------------------------------------------------------------------


def _validated_incident(**fields) -> Incident:
    """An unsaved Incident with every field checked; ValidationError names each bad field."""
    incident = Incident(**fields)
    errors: dict[str, list[str]] = {}
    try:
        incident.full_clean(
            exclude=["reference", "created_by", "commander", "status"],
            validate_unique=False,
            validate_constraints=False,
        )
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    return incident


def _resolve_agencies(agencies) -> list[Agency]:
    """Agency instances or codes → active agencies, in order, each once."""
    if isinstance(agencies, str | Agency) or not hasattr(agencies, "__iter__"):
        raise ValidationError({"agencies": _("Give a list of agency codes.")})
    codes = []
    for item in agencies:
        code = item.code if isinstance(item, Agency) else item
        if not isinstance(code, str) or not code.strip():
            raise ValidationError({"agencies": _("Each agency is given by its code.")})
        if code not in codes:
            codes.append(code)
    if not codes:
        raise ValidationError({"agencies": _("Name at least one agency, or leave it out to follow the plan.")})
    found = active_agencies_by_code(codes)
    unknown = [code for code in codes if code not in found]
    if unknown:
        raise ValidationError({"agencies": _("Unknown agency: %(codes)s.") % {"codes": ", ".join(unknown)}})
    return [found[code] for code in codes]


def _tasks_for_agencies(kind: str, agencies: list[Agency]) -> list[PlannedTask]:
    """Explicit agencies still get the plan's task and deadline for their kind where it has one."""
    steps = {step.agency_kind: step for step in plan_steps_for(kind)}
    tasks = []
    for agency in agencies:
        step = steps.get(agency.kind)
        tasks.append(
            PlannedTask(
                agency_kind=agency.kind,
                agency=agency,
                task=step.task if step else both(gettext_noop("Respond as requested by dispatch.")),
                accept_within_seconds=step.accept_within_seconds if step else settings.LINKAGE_DEFAULT_ACCEPT_SECONDS,
                step=step,
            )
        )
    return tasks


def incident_open(
    *,
    by: AbstractBaseUser | None,
    kind: str,
    severity: int,
    title: str,
    description: str = "",
    address: str = "",
    latitude: Decimal | float | str | None = None,
    longitude: Decimal | float | str | None = None,
    exercise: bool = False,
    agencies=None,
    follow_plan: bool = True,
) -> Incident:
    """Open an incident and bring in its agencies: the plan's for kind and severity, or `agencies`.

    `follow_plan=False` with no `agencies` opens it with nobody brought in (a CAP alert of unknown kind):
    the dispatcher chooses.

    Who hears: an `incident.created` event and one `assignment.created` per agency brought in, to the
    board, the incident's page and each of those agencies (their dashboards sound the new task); no
    notification until a task is overdue (escalation.py). Dispatchers and commanders only
    (PermissionDenied); bad fields are a ValidationError naming each.
    """
    transitions.require(by, transitions.DISPATCH)
    incident = _validated_incident(
        kind=kind,
        severity=severity,
        title=_clean_text(title, field="title", required=True),
        description=_clean_text(description, field="description", required=False),
        address=_clean_text(address, field="address", required=False),
        latitude=latitude,
        longitude=longitude,
        exercise=bool(exercise),
    )
    both_or_neither(incident.latitude, incident.longitude)
    if agencies is not None:
        tasks = _tasks_for_agencies(incident.kind, _resolve_agencies(agencies))
    elif not follow_plan:
        tasks = []
    else:
        tasks = plan_expand(
            kind=incident.kind, severity=incident.severity, latitude=incident.latitude, longitude=incident.longitude
        )
    policy = default_escalation_policy()

    with transaction.atomic():
        incident.created_by = by
        incident.save()
        year = timezone.localtime(incident.created_at).year
        incident.reference = f"{settings.LINKAGE_REFERENCE_PREFIX}-{year}-{incident.pk:06d}"
        Incident.objects.filter(pk=incident.pk).update(reference=incident.reference)
        timeline_add_many(
            [
                timeline_entry(
                    incident=incident,
                    kind=TimelineKind.INCIDENT_OPENED,
                    actor=by,
                    text=incident.title,
                    data={"kind": incident.kind, "severity": incident.severity},
                ),
                *(
                    timeline_entry(
                        incident=incident,
                        kind=TimelineKind.INCIDENT_UPDATED,
                        actor=None,
                        text=both(
                            gettext_noop("No %(kind)s agency to bring in for this plan step."),
                            {"kind": dict(AgencyKind.choices).get(task.agency_kind, task.agency_kind)},
                        ),
                        data={"missing_agency_kind": task.agency_kind},
                    )
                    for task in tasks
                    if task.agency is None
                ),
            ]
        )
        _assignments_create(
            incident=incident,
            tasks=[task for task in tasks if task.agency is not None],
            default_policy=policy,
            by=by,
            new_incident=True,
        )
    return incident


def _assignments_create(
    *,
    incident: Incident,
    tasks: list[PlannedTask],
    default_policy: EscalationPolicy | None,
    by: AbstractBaseUser | None,
    new_incident: bool = False,
) -> list[Assignment]:
    """One pending assignment per task (agencies known), with its timeline entry and permissions.

    Inserted together: opening an incident with five agencies is a handful of queries, not dozens.
    An agency already on the incident is a TransitionError; on an existing incident the insert has a
    savepoint of its own so the caller's transaction stays usable. `new_incident`: the incident was
    inserted in the caller's transaction, which a failure here rolls back whole — no savepoint.
    """
    now = timezone.now()
    actor = person(by)
    assignments = []
    for task in tasks:
        policy = task.step.escalation_policy if task.step and task.step.escalation_policy else default_policy
        accept_by = now + timedelta(seconds=task.accept_within_seconds)
        assignments.append(
            Assignment(
                incident=incident,
                agency=task.agency,
                task=task.task,
                plan_step=task.step,
                created_by=actor,
                accept_by=accept_by,
                escalation_policy=policy,
                escalation_snapshot=policy.snapshot() if policy else {},
                next_escalation_at=accept_by if policy else None,
            )
        )
    try:
        with transaction.atomic(savepoint=not new_incident):
            Assignment.objects.bulk_create(assignments)
    except IntegrityError as exc:
        names = ", ".join(task.agency.name for task in tasks)
        raise TransitionError(_("%(agency)s is already on this incident.") % {"agency": names}) from exc
    timeline_add_many(
        [
            timeline_entry(
                incident=incident,
                kind=TimelineKind.ASSIGNMENT_CREATED,
                actor=by,
                assignment=assignment,
                text=assignment.task,
                data={"agency": assignment.agency.code, "accept_by": wire_time(assignment.accept_by)},
            )
            for assignment in assignments
        ]
    )
    grant_agency_access(assignments)
    return assignments


# --- Incident transitions -------------------------------------------------------------------


# One lock order (STYLE.md): every service that touches an incident and its tasks locks the incident
# row first, then the tasks in id order, so that two people acting on one incident at once wait for
# each other and never deadlock. Both are FOR NO KEY UPDATE: rows that merely point at them (timeline
# entries, permissions) take a key-share lock on insert, which that does not block.


def _incident_locked(incident: Incident) -> Incident:
    """The incident, re-read under its row lock (the first lock any change to it takes)."""
    return Incident.objects.select_for_update(no_key=True).get(pk=incident.pk)


def _incident_move(*, incident: Incident, target: str, by: AbstractBaseUser | None, text: str = "") -> Incident:
    """The one way an incident's status changes: under its lock, through `transitions.guard` (the
    INCIDENT table and who may make each move), stamped with the move's time field."""
    with transaction.atomic():
        locked = _incident_locked(incident)
        current = locked.status
        move = transitions.guard(locked, target, by)
        now = timezone.now()
        locked.status = target
        setattr(locked, move.stamp, now)
        locked.save(update_fields=["status", move.stamp, "updated_at"])
        timeline_add(
            incident=locked,
            kind=TimelineKind.INCIDENT_STATUS,
            actor=by,
            text=text,
            data={"from": current, "to": target},
        )
        if target not in OPEN_INCIDENT_STATUSES:
            open_tasks = (
                Assignment.objects.select_for_update(no_key=True, of=("self",))
                .filter(incident=locked, status__in=OPEN_ASSIGNMENT_STATUSES)
                .select_related("agency")
                .order_by("pk")
            )
            for assignment in open_tasks:
                assignment.incident = locked
                _assignment_set_status(
                    assignment,
                    A.CANCELLED,
                    by=by,
                    now=now,
                    text=both(
                        gettext_noop("The incident was %(status)s."),
                        {"status": lambda: str(I(locked.status).label).lower()},
                    ),
                    cascade=True,
                    data={"incident": target},  # why, kept: the incident may be reopened later
                )
                notices.assignment_cancelled_with_incident(assignment=assignment, incident=locked)
    return locked


# Who hears of an incident's move: its timeline entry is an `incident.updated` event to the board,
# the incident's page and every agency ever on it (events.groups_for), after commit. Closing and
# cancelling also cancel the open tasks: one `assignment.updated` event each, and each such agency's
# on-duty liaisons get a notification (in-app, e-mail, SMS) and the webhooks an `assignment.cancelled`
# (notices.assignment_cancelled_with_incident).


def incident_contain(*, incident: Incident, by: AbstractBaseUser | None) -> Incident:
    """active → contained (commanders). Who hears: the `incident.updated` event only (above); no notification.

    Raises PermissionDenied (not a commander) or TransitionError (not active)."""
    return _incident_move(incident=incident, target=I.CONTAINED, by=by)


def incident_close(*, incident: Incident, by: AbstractBaseUser | None) -> Incident:
    """contained → closed (commanders); the tasks still open are cancelled.

    Who hears: `incident.updated`; per open task `assignment.updated`, a notification to its agency's
    on-duty liaisons and an `assignment.cancelled` webhook. Raises PermissionDenied or TransitionError."""
    return _incident_move(incident=incident, target=I.CLOSED, by=by)


def incident_cancel(*, incident: Incident, by: AbstractBaseUser | None, reason: str = "") -> Incident:
    """active or contained → cancelled (dispatchers and commanders): an incident opened in error (a false
    alarm, a duplicate). `reason` (≤ TEXT_LIMITS["reason"]) goes on the timeline; open tasks are cancelled.

    Who hears: as `incident_close`. Raises ValidationError (reason), PermissionDenied or TransitionError."""
    transitions.require(by, transitions.DISPATCH)
    reason = _clean_text(reason, field="reason", required=False)
    return _incident_move(incident=incident, target=I.CANCELLED, by=by, text=reason)


def incident_reopen(*, incident: Incident, by: AbstractBaseUser | None) -> Incident:
    """closed → active (commanders). Agencies are brought back in by hand (`assignment_add`).

    Who hears: the `incident.updated` event only; no notification. Raises PermissionDenied or
    TransitionError."""
    return _incident_move(incident=incident, target=I.ACTIVE, by=by)


UPDATABLE_FIELDS = ("title", "description", "severity", "address", "latitude", "longitude", "commander")


def incident_update(*, incident: Incident, by: AbstractBaseUser | None, **changes) -> Incident:
    """Change an incident's facts — never its status (dispatchers and commanders).

    A more serious level brings in the plan's agencies that only apply from that level. Who hears: an
    `incident.updated` event to the board, the incident's page and every agency on it (and
    `assignment.created` for each agency a higher level brings in); no notification. Raises
    ValidationError (a field, half a position), PermissionDenied, TransitionError (not open).
    """
    transitions.require(by, transitions.DISPATCH)
    unknown = set(changes) - set(UPDATABLE_FIELDS)
    if unknown:
        raise ValidationError({field: _("This field cannot be changed here.") for field in sorted(unknown)})
    if "title" in changes:
        changes["title"] = _clean_text(changes["title"], field="title", required=True)
    if "description" in changes:
        changes["description"] = _clean_text(changes["description"], field="description", required=False)
    if "address" in changes:
        changes["address"] = _clean_text(changes["address"], field="address", required=False)
    commander = changes.get("commander")
    if commander is not None and not commander.has_perm("incidents.command_incident"):
        raise ValidationError({"commander": _("This person is not a commander.")})

    with transaction.atomic():
        locked = _incident_locked(incident)
        if not locked.is_open:
            raise TransitionError(
                _("A %(status)s incident cannot be changed.")
                % {"status": transitions.state_word(locked.get_status_display())},
                current=locked.status,
            )
        before = {field: getattr(locked, field) for field in changes}
        for field, value in changes.items():
            setattr(locked, field, value)
        both_or_neither(locked.latitude, locked.longitude)
        try:
            locked.full_clean(
                exclude=["reference", "created_by", "commander"], validate_unique=False, validate_constraints=False
            )
        except ValidationError as exc:
            raise ValidationError(exc.message_dict) from exc
        changed = [field for field in changes if getattr(locked, field) != before[field]]
        if not changed:
            return locked
        locked.save(update_fields=[*changed, "updated_at"])
        timeline_add(
            incident=locked,
            kind=TimelineKind.INCIDENT_UPDATED,
            actor=by,
            data={field: {"from": _plain(before[field]), "to": _plain(getattr(locked, field))} for field in changed},
        )
        if "severity" in changed and locked.severity < before["severity"]:
            _bring_in_for_severity(incident=locked, old=before["severity"], by=by)
    return locked


def _plain(value):
    if isinstance(value, Decimal):
        return str(value)
    return value.pk if hasattr(value, "pk") else value


def _bring_in_for_severity(*, incident: Incident, old: int, by: AbstractBaseUser | None) -> None:
    already = set(incident.assignments.filter(status__in=OPEN_ASSIGNMENT_STATUSES).values_list("agency_id", flat=True))
    newly = [
        task
        for task in plan_expand(
            kind=incident.kind, severity=incident.severity, latitude=incident.latitude, longitude=incident.longitude
        )
        if task.step is not None
        and task.step.applies_up_to_level < old
        and task.agency is not None
        and task.agency.pk not in already
    ]
    if newly:
        _assignments_create(incident=incident, tasks=newly, default_policy=default_escalation_policy(), by=by)


# --- Assignments ----------------------------------------------------------------------------


def assignment_add(
    *,
    incident: Incident,
    by: AbstractBaseUser | None,
    agency: Agency,
    task: str = "",
    accept_within_seconds: int | None = None,
) -> Assignment:
    """Bring another agency onto an open incident (or one back after it declined); dispatchers and
    commanders. Who hears: an `assignment.created` event to the board, the incident's page and every
    agency on it, the new one included (its dashboard sounds the task); no notification until it is
    overdue. Raises ValidationError, PermissionDenied, TransitionError (closed incident, or the agency
    already on it)."""
    transitions.require(by, transitions.DISPATCH)
    if not isinstance(agency, Agency) or not agency.is_active:
        raise ValidationError({"agency": _("Choose an active agency.")})
    task = _clean_text(task, field="task", required=False)
    if accept_within_seconds is not None and (
        not isinstance(accept_within_seconds, int) or not 1 <= accept_within_seconds <= 86_400
    ):
        raise ValidationError({"accept_within_seconds": _("Between 1 second and one day.")})
    with transaction.atomic():
        locked = _incident_locked(incident)
        if not locked.is_open:
            raise TransitionError(
                _("Agencies cannot be brought onto a %(status)s incident.")
                % {"status": transitions.state_word(locked.get_status_display())},
                current=locked.status,
            )
        planned = _tasks_for_agencies(locked.kind, [agency])[0]
        wanted = PlannedTask(
            agency_kind=agency.kind,
            agency=agency,
            task=task or planned.task,
            accept_within_seconds=accept_within_seconds or planned.accept_within_seconds,
            step=planned.step,
        )
        [assignment] = _assignments_create(
            incident=locked, tasks=[wanted], default_policy=default_escalation_policy(), by=by
        )
    return assignment


def _assignment_locked(assignment: Assignment) -> Assignment:
    """The task re-read under its row lock, its incident locked before it (the one lock order).

    Raises Assignment.DoesNotExist for a task that is gone."""
    # A task never moves to another incident, so its incident may be looked up before any lock.
    incident_id = assignment.incident_id or Assignment.objects.values_list("incident_id", flat=True).get(
        pk=assignment.pk
    )
    incident = _incident_locked(Incident(pk=incident_id))
    locked = (
        Assignment.objects.select_for_update(no_key=True, of=("self",)).select_related("agency").get(pk=assignment.pk)
    )
    locked.incident = incident
    return locked


def _assignment_set_status(
    assignment: Assignment,
    target: str,
    *,
    by: AbstractBaseUser | None,
    now,
    text: str = "",
    changes: dict | None = None,
    cascade: bool = False,
    data: dict | None = None,
) -> TimelineEntry:
    """Write one move of a locked assignment (with `changes` to other fields) and its timeline entry:
    `transitions.guard` checks it (ASSIGNMENT table, who may, the incident still open; with `cascade`,
    a move the system makes as part of the incident's, only the table) and names the time to stamp.
    `data` adds keys to the entry's data (`{"incident": "closed"}`: the incident's move that caused it)."""
    current = assignment.status
    move = transitions.guard(assignment, target, by, cascade=cascade)
    assignment.status = target
    setattr(assignment, move.stamp, now)
    fields = ["status", move.stamp]
    for field, value in (changes or {}).items():
        setattr(assignment, field, value)
        fields.append(field)
    if current == A.PENDING:
        assignment.next_escalation_at = None  # answered one way or another: escalation stops
        fields.append("next_escalation_at")
        # …at once: escalation notices not yet out (or waiting to retry) are withdrawn.
        withdraw(cause=escalation_cause(assignment))
    if target == A.ACCEPTED:
        assignment.accepted_by = person(by)
        fields.append("accepted_by")
    assignment.save(update_fields=fields)
    return timeline_add(
        incident=assignment.incident,
        kind=TimelineKind.ASSIGNMENT_STATUS,
        actor=by,
        assignment=assignment,
        text=text,
        data={"agency": assignment.agency.code, "from": current, "to": target, **(data or {})},
    )


def _assignment_move(
    *,
    assignment: Assignment,
    target: str,
    by: AbstractBaseUser | None,
    text: str = "",
    changes: dict | None = None,
) -> Assignment:
    with transaction.atomic():
        locked = _assignment_locked(assignment)
        _assignment_set_status(locked, target, by=by, now=timezone.now(), text=text, changes=changes)
    return locked


# Who hears of a task's move: its timeline entry is an `assignment.updated` event (`assignment.declined`
# for a decline) to the board, the incident's page and every agency on the incident
# (events.groups_for), after commit. Moving a pending task also withdraws its escalation notices not
# yet delivered. All raise PermissionDenied (transitions.refusal) or TransitionError
# (transitions.guard); a lost race (two accepting at once) is a TransitionError for the second.


def assignment_accept(*, assignment: Assignment, by: AbstractBaseUser | None) -> Assignment:
    """pending → accepted (members of the task's agency): take the task; escalation stops at once.

    Who hears: the `assignment.updated` event; no notification. Of two people accepting at once,
    exactly one succeeds; the other gets TransitionError."""
    return _assignment_move(assignment=assignment, target=A.ACCEPTED, by=by)


def assignment_decline(*, assignment: Assignment, by: AbstractBaseUser | None, reason: str) -> Assignment:
    """pending → declined (members of the task's agency), `reason` required (≤ TEXT_LIMITS["reason"]).

    Who hears, loudest of all: the `assignment.declined` event; the dispatchers and the incident's
    commander get a notification with the reason (in-app, e-mail, SMS) and the webhooks an
    `assignment.declined` (notices.assignment_declined), committed with the decline or not at all."""
    reason = _clean_text(reason, field="reason", required=True)
    with transaction.atomic():
        declined = _assignment_move(
            assignment=assignment, target=A.DECLINED, by=by, text=reason, changes={"decline_reason": reason}
        )
        notices.assignment_declined(assignment=declined)
    return declined


def assignment_progress(
    *, assignment: Assignment, by: AbstractBaseUser | None, status: str, note: str = ""
) -> Assignment:
    """accepted → en_route → on_scene → completed, one step at a time (members of the task's agency),
    with an optional `note` (≤ TEXT_LIMITS["note"]). `status` not one of PROGRESS_STATUSES is a
    ValidationError. Who hears: the `assignment.updated` event; no notification."""
    if status not in PROGRESS_STATUSES:
        raise ValidationError({"status": _("Report one of: %(choices)s.") % {"choices": ", ".join(PROGRESS_STATUSES)}})
    note = _clean_text(note, field="note", required=False)
    return _assignment_move(assignment=assignment, target=status, by=by, text=note)


def assignment_cancel(*, assignment: Assignment, by: AbstractBaseUser | None, reason: str = "") -> Assignment:
    """pending, accepted, en_route or on_scene → cancelled (dispatchers and commanders): take an agency
    off the incident, with an optional `reason` (≤ TEXT_LIMITS["reason"]).

    Who hears: the `assignment.updated` event (the agency's dashboard among its groups); the agency's
    on-duty liaisons get a notification to stand down, with the reason (in-app, e-mail, SMS), and the
    webhooks an `assignment.cancelled` (notices.assignment_taken_off), committed with the move."""
    reason = _clean_text(reason, field="reason", required=False)
    with transaction.atomic():
        cancelled = _assignment_move(assignment=assignment, target=A.CANCELLED, by=by, text=reason)
        notices.assignment_taken_off(assignment=cancelled, reason=reason)
    return cancelled


# --- Notes ----------------------------------------------------------------------------------


def note_add(*, incident: Incident, by: AbstractBaseUser, text: str) -> TimelineEntry:
    """A note on the shared timeline (≤ TEXT_LIMITS["text"]), from anyone who may see the incident, while
    it is active, contained or closed (the after-action record); a cancelled incident takes none
    (transitions.guard_note: TransitionError). Someone who may not see it gets PermissionDenied.

    Who hears: a `note.added` event to the board, the incident's page and every agency on it; no
    notification."""
    if by is None or not can_view_incident(by, incident):
        raise PermissionDenied(_("You may not do this."))
    text = _clean_text(text, field="text", required=True)
    with transaction.atomic():
        # Under the incident's lock like every other write to its timeline, so that one incident's
        # entries commit in the order of their sequence numbers (pages catch up "after seq N").
        locked = _incident_locked(incident)
        transitions.guard_note(locked)
        return timeline_add(incident=locked, kind=TimelineKind.NOTE, actor=by, text=text)
