from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from agencies.models import Agency, AgencyKind
from linkage.db import in_choices


class IncidentKind(models.TextChoices):
    BUILDING_FIRE = "building_fire", _("Building fire")
    FOREST_FIRE = "forest_fire", _("Forest fire")
    TRAFFIC_ACCIDENT = "traffic_accident", _("Traffic accident")
    HAZMAT = "hazmat", _("Hazardous materials")
    FLOOD = "flood", _("Flood")
    EARTHQUAKE = "earthquake", _("Earthquake")
    COLLAPSE = "collapse", _("Collapse")
    MASS_CASUALTY = "mass_casualty", _("Mass casualty")
    POLLUTION = "pollution", _("Pollution")
    PUBLIC_HEALTH = "public_health", _("Public health")
    OTHER = "other", _("Other")


# CAP 1.2 <category> of each kind.
CAP_CATEGORY = {
    IncidentKind.BUILDING_FIRE: "Fire",
    IncidentKind.FOREST_FIRE: "Fire",
    IncidentKind.TRAFFIC_ACCIDENT: "Transport",
    IncidentKind.HAZMAT: "CBRNE",
    IncidentKind.FLOOD: "Met",
    IncidentKind.EARTHQUAKE: "Geo",
    IncidentKind.COLLAPSE: "Rescue",
    IncidentKind.MASS_CASUALTY: "Health",
    IncidentKind.POLLUTION: "Env",
    IncidentKind.PUBLIC_HEALTH: "Health",
    IncidentKind.OTHER: "Other",
}


class Severity(models.IntegerChoices):
    """China's four levels; a smaller number is more serious."""

    I = 1, _("I · Especially major")  # noqa: E741  (the level's own name)
    II = 2, _("II · Major")
    III = 3, _("III · Large")
    IV = 4, _("IV · General")


CAP_SEVERITY = {Severity.I: "Extreme", Severity.II: "Severe", Severity.III: "Moderate", Severity.IV: "Minor"}


class IncidentStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    CONTAINED = "contained", _("Contained")
    CLOSED = "closed", _("Closed")
    CANCELLED = "cancelled", _("Cancelled")


class AssignmentStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    ACCEPTED = "accepted", _("Accepted")
    EN_ROUTE = "en_route", _("En route")
    ON_SCENE = "on_scene", _("On scene")
    COMPLETED = "completed", _("Completed")
    DECLINED = "declined", _("Declined")
    CANCELLED = "cancelled", _("Cancelled")


# An incident is open (on the board, taking agencies and moves of its tasks) in one of these.
OPEN_INCIDENT_STATUSES = (IncidentStatus.ACTIVE, IncidentStatus.CONTAINED)
# Notes go on an open incident and on a closed one (the after-action record), never on a cancelled one.
NOTE_INCIDENT_STATUSES = (*OPEN_INCIDENT_STATUSES, IncidentStatus.CLOSED)

# The longest text each free-text field takes, in characters: the models' max_length, the forms, the
# API's serializers and the services (linkage.text.clean_text) all read this one table.
TEXT_LIMITS = {
    "title": 200,
    "description": 5000,
    "address": 300,
    "task": 500,
    "reason": 1000,  # declining, cancelling an incident, taking an agency off
    "note": 1000,  # the note with a progress report
    "text": 5000,  # a note on the timeline
}

# An agency is "on" an incident while its assignment is in one of these.
OPEN_ASSIGNMENT_STATUSES = (
    AssignmentStatus.PENDING,
    AssignmentStatus.ACCEPTED,
    AssignmentStatus.EN_ROUTE,
    AssignmentStatus.ON_SCENE,
)


class EscalationTarget(models.TextChoices):
    AGENCY_CHIEFS = "agency_chiefs", _("The agency's duty chiefs")
    AGENCY_LIAISONS = "agency_liaisons", _("The agency's liaisons")
    COMMANDER_AND_DISPATCHERS = "commander_and_dispatchers", _("The incident's commander and every dispatcher")


class EscalationPolicy(models.Model):
    """Whom to tell, level by level, when nobody accepts a task in time.

    Level 1 is due at the assignment's accept_by, each further level `interval_seconds` later. A
    level past the last step repeats the last step's targets, up to `max_level`.
    """

    name = models.CharField(_("name"), max_length=120, unique=True)
    is_default = models.BooleanField(_("default"), default=False)
    interval_seconds = models.PositiveIntegerField(
        _("interval between levels (seconds)"), default=120, validators=[MinValueValidator(1)]
    )
    max_level = models.PositiveSmallIntegerField(
        _("highest level"), default=4, validators=[MinValueValidator(1), MaxValueValidator(20)]
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("escalation policy")
        verbose_name_plural = _("escalation policies")
        constraints = [
            models.UniqueConstraint(fields=["is_default"], condition=Q(is_default=True), name="escalation_one_default"),
            models.CheckConstraint(condition=Q(interval_seconds__gte=1), name="escalation_interval_positive"),
            models.CheckConstraint(condition=Q(max_level__gte=1, max_level__lte=20), name="escalation_max_level_range"),
        ]

    def __str__(self) -> str:
        return self.name

    def snapshot(self) -> dict:
        """The policy as plain data, copied onto an assignment so later edits leave it alone."""
        return {
            "policy": self.name,
            "interval_seconds": self.interval_seconds,
            "max_level": self.max_level,
            # .all() so that a prefetch serves every task of one incident from one query.
            "steps": [
                {"level": step.level, "notify": step.notify}
                for step in sorted(self.steps.all(), key=lambda step: step.level)
            ],
        }


class EscalationStep(models.Model):
    policy = models.ForeignKey(
        EscalationPolicy, on_delete=models.CASCADE, related_name="steps", verbose_name=_("escalation policy")
    )
    level = models.PositiveSmallIntegerField(_("level"), validators=[MinValueValidator(1), MaxValueValidator(20)])
    notify = models.CharField(_("notify"), max_length=40, choices=EscalationTarget.choices)

    class Meta:
        ordering = ["policy", "level"]
        verbose_name = _("escalation step")
        verbose_name_plural = _("escalation steps")
        constraints = [
            models.UniqueConstraint(fields=["policy", "level"], name="escalation_step_one_per_level"),
            models.CheckConstraint(
                condition=in_choices("notify", EscalationTarget), name="escalation_step_notify_valid"
            ),
            models.CheckConstraint(condition=Q(level__gte=1, level__lte=20), name="escalation_step_level_range"),
        ]

    def __str__(self) -> str:
        return f"{self.policy} · {self.level} · {self.get_notify_display()}"


class LinkagePlan(models.Model):
    """The standard linkage plan for one kind of incident."""

    kind = models.CharField(_("incident kind"), max_length=30, choices=IncidentKind.choices, unique=True)
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["kind"]
        verbose_name = _("linkage plan")
        verbose_name_plural = _("linkage plans")
        constraints = [models.CheckConstraint(condition=in_choices("kind", IncidentKind), name="plan_kind_valid")]

    def __str__(self) -> str:
        return self.name


class PlanStep(models.Model):
    plan = models.ForeignKey(
        LinkagePlan, on_delete=models.CASCADE, related_name="steps", verbose_name=_("linkage plan")
    )
    agency_kind = models.CharField(_("agency kind"), max_length=20, choices=AgencyKind.choices)
    task = models.CharField(_("task"), max_length=TEXT_LIMITS["task"])
    accept_within_seconds = models.PositiveIntegerField(_("accept within (seconds)"), validators=[MinValueValidator(1)])
    applies_up_to_level = models.PositiveSmallIntegerField(
        _("applies up to level"),
        choices=Severity.choices,
        default=Severity.IV,
        help_text=_("The least serious level at which this step applies: 3 means levels I, II and III."),
    )
    escalation_policy = models.ForeignKey(
        EscalationPolicy,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Empty: the default policy."),
        verbose_name=_("escalation policy"),
    )
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["plan", "order", "id"]
        verbose_name = _("plan step")
        verbose_name_plural = _("plan steps")
        constraints = [
            models.UniqueConstraint(fields=["plan", "agency_kind"], name="plan_step_one_per_agency_kind"),
            models.CheckConstraint(condition=in_choices("agency_kind", AgencyKind), name="plan_step_agency_kind_valid"),
            models.CheckConstraint(
                condition=Q(applies_up_to_level__gte=1, applies_up_to_level__lte=4), name="plan_step_level_range"
            ),
            models.CheckConstraint(condition=Q(accept_within_seconds__gte=1), name="plan_step_deadline_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.plan.kind} · {self.agency_kind}"

    def applies_to(self, severity: int) -> bool:
        return severity <= self.applies_up_to_level


class Incident(models.Model):
    # NULL for the moment between insert and numbering (the number is the primary key); NULLs never clash.
    reference = models.CharField(_("reference"), max_length=32, unique=True, null=True, editable=False)  # noqa: DJ001
    kind = models.CharField(_("kind"), max_length=30, choices=IncidentKind.choices)
    severity = models.PositiveSmallIntegerField(_("severity"), choices=Severity.choices)
    status = models.CharField(_("status"), max_length=20, choices=IncidentStatus.choices, default=IncidentStatus.ACTIVE)
    title = models.CharField(_("title"), max_length=TEXT_LIMITS["title"])
    description = models.TextField(_("what happened"), blank=True, max_length=TEXT_LIMITS["description"])
    address = models.CharField(_("address"), max_length=TEXT_LIMITS["address"], blank=True)
    latitude = models.DecimalField(
        _("latitude"),
        max_digits=9,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(-90), MaxValueValidator(90)],
    )
    longitude = models.DecimalField(
        _("longitude"),
        max_digits=9,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(-180), MaxValueValidator(180)],
    )
    exercise = models.BooleanField(_("exercise"), default=False, help_text=_("A drill, not a real emergency."))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        related_name="incidents_opened",
        verbose_name=_("opened by"),
    )
    commander = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="incidents_commanded",
        verbose_name=_("commander"),
    )
    created_at = models.DateTimeField(_("opened at"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    contained_at = models.DateTimeField(_("contained at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    reopened_at = models.DateTimeField(_("reopened at"), null=True, blank=True)

    class Meta:
        ordering = ["severity", "-created_at"]
        verbose_name = _("incident")
        verbose_name_plural = _("incidents")
        permissions = [
            ("dispatch_incident", _("Can open incidents and bring agencies in or out")),
            ("command_incident", _("Can contain, close and reopen incidents")),
        ]
        constraints = [
            models.CheckConstraint(condition=in_choices("kind", IncidentKind), name="incident_kind_valid"),
            models.CheckConstraint(condition=in_choices("status", IncidentStatus), name="incident_status_valid"),
            models.CheckConstraint(condition=Q(severity__gte=1, severity__lte=4), name="incident_severity_range"),
            models.CheckConstraint(condition=Q(title__regex=r"\S"), name="incident_title_not_blank"),
            models.CheckConstraint(
                condition=Q(latitude__isnull=True) | Q(latitude__gte=-90, latitude__lte=90),
                name="incident_latitude_range",
            ),
            models.CheckConstraint(
                condition=Q(longitude__isnull=True) | Q(longitude__gte=-180, longitude__lte=180),
                name="incident_longitude_range",
            ),
        ]
        indexes = [models.Index(fields=["status", "severity"], name="incident_status_severity_idx")]

    def __str__(self) -> str:
        return f"{self.reference} {self.title}"

    @property
    def cap_category(self) -> str:
        return CAP_CATEGORY[IncidentKind(self.kind)]

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_INCIDENT_STATUSES


class Assignment(models.Model):
    """One agency's task on one incident."""

    incident = models.ForeignKey(
        Incident, on_delete=models.CASCADE, related_name="assignments", verbose_name=_("incident")
    )
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="assignments", verbose_name=_("agency"))
    task = models.CharField(_("task"), max_length=TEXT_LIMITS["task"])
    status = models.CharField(
        _("status"), max_length=20, choices=AssignmentStatus.choices, default=AssignmentStatus.PENDING
    )
    plan_step = models.ForeignKey(
        PlanStep, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("plan step")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("dispatched by"),
    )
    created_at = models.DateTimeField(_("dispatched at"), auto_now_add=True)
    accept_by = models.DateTimeField(_("accept by"))
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    en_route_at = models.DateTimeField(_("en route at"), null=True, blank=True)
    on_scene_at = models.DateTimeField(_("on scene at"), null=True, blank=True)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    declined_at = models.DateTimeField(_("declined at"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    decline_reason = models.TextField(_("reason for declining"), blank=True, max_length=TEXT_LIMITS["reason"])
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("accepted by"),
    )
    # Escalation: the policy as it was when the task was created, the level reached, and when the
    # next level is due (the sweep looks only at pending rows whose next_escalation_at has passed).
    escalation_policy = models.ForeignKey(
        EscalationPolicy,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("escalation policy"),
    )
    escalation_snapshot = models.JSONField(
        _("escalation snapshot (the policy as dispatched)"), default=dict, blank=True
    )
    escalation_level = models.PositiveSmallIntegerField(_("escalation level"), default=0)
    escalated_at = models.DateTimeField(_("escalated at"), null=True, blank=True)
    next_escalation_at = models.DateTimeField(_("next escalation at"), null=True, blank=True)

    class Meta:
        ordering = ["incident", "created_at", "id"]
        verbose_name = _("assignment")
        verbose_name_plural = _("assignments")
        permissions = [("act_on_assignment", _("Can accept, decline and report progress on the task"))]
        constraints = [
            models.CheckConstraint(condition=in_choices("status", AssignmentStatus), name="assignment_status_valid"),
            # One open task per agency per incident; after declining, an agency can be brought back.
            models.UniqueConstraint(
                fields=["incident", "agency"],
                condition=Q(status__in=[s.value for s in OPEN_ASSIGNMENT_STATUSES]),
                name="assignment_one_open_per_agency",
            ),
            models.CheckConstraint(
                condition=~Q(status=AssignmentStatus.DECLINED) | Q(decline_reason__regex=r"\S"),
                name="assignment_decline_has_reason",
            ),
            models.CheckConstraint(condition=Q(task__regex=r"\S"), name="assignment_task_not_blank"),
        ]
        indexes = [
            models.Index(fields=["status", "next_escalation_at"], name="assignment_due_idx"),
            models.Index(fields=["agency", "status"], name="assignment_agency_status_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.incident.reference} · {self.agency.code} · {self.status}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_ASSIGNMENT_STATUSES

    def overdue_at(self, now) -> bool:
        """"Overdue", the one definition (board counts, page marks): still pending at or after `accept_by`.
        Pages' scripts only format the time of what the server marks."""
        return self.status == AssignmentStatus.PENDING and self.accept_by <= now


class TimelineKind(models.TextChoices):
    INCIDENT_OPENED = "incident_opened", _("Incident opened")
    INCIDENT_STATUS = "incident_status", _("Incident status changed")
    INCIDENT_UPDATED = "incident_updated", _("Incident details changed")
    ASSIGNMENT_CREATED = "assignment_created", _("Agency brought in")
    ASSIGNMENT_STATUS = "assignment_status", _("Task status changed")
    ASSIGNMENT_ESCALATED = "assignment_escalated", _("Task escalated")
    NOTE = "note", _("Note")


class TimelineEntry(models.Model):
    """One line of an incident's shared timeline. Append-only; its id is the event sequence number."""

    incident = models.ForeignKey(
        Incident, on_delete=models.CASCADE, related_name="timeline", verbose_name=_("incident")
    )
    assignment = models.ForeignKey(
        Assignment, on_delete=models.CASCADE, null=True, blank=True, related_name="+", verbose_name=_("assignment")
    )
    kind = models.CharField(_("kind"), max_length=30, choices=TimelineKind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    text = models.TextField(_("text"), blank=True, max_length=TEXT_LIMITS["text"])
    data = models.JSONField(_("data"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("timeline entry")
        verbose_name_plural = _("timeline entries")
        constraints = [
            models.CheckConstraint(condition=in_choices("kind", TimelineKind), name="timeline_kind_valid"),
            models.CheckConstraint(
                condition=~Q(kind=TimelineKind.NOTE) | Q(text__regex=r"\S"), name="timeline_note_not_blank"
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.kind}"

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None:
            raise ValueError("timeline entries are append-only")
        super().save(*args, **kwargs)

    @property
    def seq(self) -> int:
        return self.pk


# Direct-foreign-key object permissions (guardian's generic tables slow to seconds at scale).
class IncidentUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(Incident, on_delete=models.CASCADE)


class IncidentGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(Incident, on_delete=models.CASCADE)


class AssignmentUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(Assignment, on_delete=models.CASCADE)


class AssignmentGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(Assignment, on_delete=models.CASCADE)


class CapOutcome(models.TextChoices):
    """What one CAP message taken in did (DESIGN.md, "CAP semantics")."""

    OPENED = "opened", _("Opened an incident")
    OPENED_FROM_UPDATE = "opened_from_update", _("Opened an incident from an update whose original never arrived")
    UPDATED = "updated", _("Updated the incident")
    CANCELLED = "cancelled", _("Cancelled the incident")
    EXPIRED = "expired", _("Nothing: the alert had expired")
    NOT_ACTUAL = "not_actual", _("Nothing: a test, draft or system message")
    STATUS_MISMATCH = "status_mismatch", _("Nothing: an exercise and a real incident never touch")
    OTHER_SENDER = "other_sender", _("Nothing: the incident came from another sender")
    STALE = "stale", _("Nothing: older than the last message applied")
    UNKNOWN_ORIGINAL = "unknown_original", _("Nothing: cancels an alert never received")
    NOT_OPEN = "not_open", _("Nothing: the incident is already closed or cancelled")
    NOT_ACTED = "not_acted", _("Nothing: an acknowledgement, an error or our own message")
    ALREADY_CANCELLED = "already_cancelled", _("Nothing: its sender had already cancelled it")


# The outcomes that changed an incident: the last of these sets the time older messages lose to.
CAP_APPLIED = (CapOutcome.OPENED, CapOutcome.OPENED_FROM_UPDATE, CapOutcome.UPDATED, CapOutcome.CANCELLED)


class CapMessage(models.Model):
    """Every CAP 1.2 message taken in and what it did; the same one (sender, identifier) twice changes nothing."""

    sender = models.CharField(_("sender"), max_length=200)
    identifier = models.CharField(_("identifier"), max_length=200)
    sent = models.DateTimeField(_("sent at"), null=True)
    status = models.CharField(_("CAP status"), max_length=10, default="Actual")
    msg_type = models.CharField(_("message type"), max_length=10)
    references = models.TextField(_("references"), blank=True)
    outcome = models.CharField(_("outcome"), max_length=30, choices=CapOutcome.choices, default=CapOutcome.OPENED)
    detail = models.CharField(_("detail"), max_length=500, blank=True)
    # The incident it opened, changed or was about; None when it concerned none of ours.
    incident = models.ForeignKey(
        Incident,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="cap_messages",
        verbose_name=_("incident"),
    )
    received_at = models.DateTimeField(_("received at"), auto_now_add=True)

    class Meta:
        verbose_name = _("CAP message")
        verbose_name_plural = _("CAP messages")
        constraints = [
            models.UniqueConstraint(fields=["sender", "identifier"], name="cap_message_once"),
            models.CheckConstraint(condition=in_choices("outcome", CapOutcome), name="cap_message_outcome_valid"),
        ]
        indexes = [models.Index(fields=["incident", "outcome", "sent"], name="cap_message_applied_idx")]

    def __str__(self) -> str:
        return f"{self.msg_type} {self.sender},{self.identifier}: {self.outcome}"


class CapReference(models.Model):
    """One (sender, identifier) a recorded CAP message lists in its `<references>`, indexed.

    What finds an incident again from a message that names only an original never received (the
    original is known by the applied Update that listed it), an original that arrives after a later
    message already replaced it, and an original its sender cancelled before it arrived here.
    """

    message = models.ForeignKey(CapMessage, on_delete=models.CASCADE, related_name="referenced")
    sender = models.CharField(_("sender"), max_length=200)
    identifier = models.CharField(_("identifier"), max_length=200)

    class Meta:
        verbose_name = _("CAP reference")
        verbose_name_plural = _("CAP references")
        indexes = [models.Index(fields=["identifier", "sender"], name="cap_reference_key_idx")]

    def __str__(self) -> str:
        return f"{self.sender},{self.identifier}"


class IdempotencyScope(models.TextChoices):
    API = "api_incident_open", _("API: open an incident")
    FORM = "form_incident_open", _("Intake form: open an incident")


class IdempotencyKey(models.Model):
    """One opening of an incident, keyed by (user, scope, key): the same key again gets the same incident.

    The API's `Idempotency-Key` header and the intake form's one-time token both land here. The row is
    inserted in the transaction that opens the incident, so under the unique constraint a second
    request with the same key waits for the first to commit and then finds its incident (see
    incidents/idempotency.py). Rows are kept for IDEMPOTENCY_TTL (24 h) and removed on later writes.

    Written here rather than taken from a library (looked at, 2026): django-idempotency-key declares
    Django 2.2-4.2 only; drf-idempotency replays the stored response byte for byte (a 201 again, where
    we answer 200 with the incident as it is now) and answers a concurrent duplicate with 409 unless
    configured to wait; drf-idempotencykey answers a changed body with 400/409; all three are request
    middleware, none covers a browser form's one-time token, and none shares the transaction that
    opens the incident. The whole need is one table and one function.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    scope = models.CharField(_("scope"), max_length=30, choices=IdempotencyScope.choices)
    key = models.CharField(_("key"), max_length=200)
    # SHA-256 (hex) of the request body in canonical JSON; empty for form tokens (one token, one incident).
    request_hash = models.CharField(_("request hash"), max_length=64, blank=True)
    incident = models.ForeignKey(
        Incident, on_delete=models.CASCADE, null=True, blank=True, related_name="idempotency_keys"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires at"), db_index=True)

    class Meta:
        verbose_name = _("idempotency key")
        verbose_name_plural = _("idempotency keys")
        constraints = [
            models.UniqueConstraint(fields=["user", "scope", "key"], name="idempotency_key_once_per_user"),
            models.CheckConstraint(condition=in_choices("scope", IdempotencyScope), name="idempotency_scope_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.scope} {self.key}"
