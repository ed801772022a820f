"""Input and output shapes of the incidents API: one input serializer per action."""

from django.contrib.auth import get_user_model
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from agencies.api.serializers import AgencyBriefSerializer
from incidents.models import (
    TEXT_LIMITS,
    Assignment,
    Incident,
    IncidentKind,
    LinkagePlan,
    PlanStep,
    Severity,
    TimelineEntry,
)
from incidents.transitions import PROGRESS_STATUSES, available_moves
from linkage.numbers import NumberError, coordinate


class CoordinateField(serializers.DecimalField):
    """Degrees, rounded to six places (about 0.1 m): a map click gives more digits than anyone needs.
    Parsed by linkage.numbers.coordinate, so NaN, infinities and huge exponents are a 400."""

    def __init__(self, *, limit: int, **kwargs):
        self.axis = "latitude" if limit == 90 else "longitude"
        super().__init__(max_digits=9, decimal_places=6, min_value=-limit, max_value=limit, **kwargs)

    def to_internal_value(self, data):
        try:
            return coordinate(data, axis=self.axis)
        except NumberError as exc:
            raise serializers.ValidationError(exc.messages) from exc


class StrictPrimaryKeyField(serializers.PrimaryKeyRelatedField):
    """A user id, as a whole number: 1.5 is refused, not truncated to 1."""

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int | str) or (isinstance(data, str) and not data.isdigit()):
            self.fail("incorrect_type", data_type=type(data).__name__)
        return super().to_internal_value(data)


class PersonSerializer(serializers.ModelSerializer):
    name = serializers.SerializerMethodField()

    class Meta:
        model = get_user_model()
        fields = ["id", "username", "name"]
        read_only_fields = fields

    def get_name(self, user) -> str:
        return user.get_full_name() or user.username


class MoveSerializer(serializers.Serializer):
    """One move the caller may make now (incidents/transitions.py): POST to `action`, the state it reaches."""

    action = serializers.CharField(
        help_text="The POST action: contain, close, cancel, reopen; accept, decline, progress, cancel."
    )
    target = serializers.CharField(help_text="The status the move reaches (for progress: the `status` to send).")
    label = serializers.CharField(help_text="The button's words, in the request's language.")


def _moves(serializer, obj) -> list[dict]:
    """transitions.available_moves for the request's user; none without a request. `actable` in the
    context (ids the user may act on, checked in one query for a list) stands for the object permission."""
    request = serializer.context.get("request")
    if request is None:
        return []
    actable = serializer.context.get("actable")
    may_act = obj.pk in actable if actable is not None and isinstance(obj, Assignment) else None
    return [
        {"action": move.action, "target": move.target, "label": str(move.label)}
        for move in available_moves(obj, request.user, may_act=may_act)
    ]


class AssignmentSerializer(serializers.ModelSerializer):
    agency = AgencyBriefSerializer(read_only=True)
    incident_reference = serializers.CharField(source="incident.reference", read_only=True)
    moves = serializers.SerializerMethodField(
        help_text="The moves you may make on this task now: exactly those that would succeed."
    )

    class Meta:
        model = Assignment
        fields = [
            "id",
            "incident",
            "incident_reference",
            "agency",
            "task",
            "status",
            "created_at",
            "accept_by",
            "accepted_at",
            "en_route_at",
            "on_scene_at",
            "completed_at",
            "declined_at",
            "cancelled_at",
            "decline_reason",
            "escalation_level",
            "escalated_at",
            "moves",
        ]
        read_only_fields = fields

    @extend_schema_field(MoveSerializer(many=True))
    def get_moves(self, assignment) -> list[dict]:
        return _moves(self, assignment)


class IncidentAssignmentSerializer(AssignmentSerializer):
    """An assignment inside its incident: the incident is the parent already. Without `moves` (one
    permission check per task): `GET /assignments/{id}/` or `/assignments/?incident=` has them."""

    moves = None

    class Meta(AssignmentSerializer.Meta):
        fields = [f for f in AssignmentSerializer.Meta.fields if f not in ("incident", "incident_reference", "moves")]
        read_only_fields = fields


class IncidentSerializer(serializers.ModelSerializer):
    assignments = IncidentAssignmentSerializer(many=True, read_only=True)
    commander = PersonSerializer(read_only=True, allow_null=True)
    created_by = PersonSerializer(read_only=True, allow_null=True)
    cap_category = serializers.CharField(read_only=True)
    moves = serializers.SerializerMethodField(
        help_text="The moves you may make on this incident now: exactly those that would succeed."
    )

    class Meta:
        model = Incident
        fields = [
            "id",
            "reference",
            "kind",
            "cap_category",
            "severity",
            "status",
            "title",
            "description",
            "address",
            "latitude",
            "longitude",
            "exercise",
            "commander",
            "created_by",
            "created_at",
            "updated_at",
            "contained_at",
            "closed_at",
            "cancelled_at",
            "reopened_at",
            "assignments",
            "moves",
        ]
        read_only_fields = fields

    @extend_schema_field(MoveSerializer(many=True))
    def get_moves(self, incident) -> list[dict]:
        return _moves(self, incident)


class IncidentOpenSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=IncidentKind.choices)
    severity = serializers.ChoiceField(choices=Severity.choices)
    title = serializers.CharField(max_length=TEXT_LIMITS["title"])
    description = serializers.CharField(
        max_length=TEXT_LIMITS["description"], required=False, allow_blank=True, default=""
    )
    address = serializers.CharField(max_length=TEXT_LIMITS["address"], required=False, allow_blank=True, default="")
    latitude = CoordinateField(limit=90, required=False, allow_null=True, default=None)
    longitude = CoordinateField(limit=180, required=False, allow_null=True, default=None)
    exercise = serializers.BooleanField(required=False, default=False)
    agencies = serializers.ListField(
        child=serializers.SlugField(max_length=40),
        required=False,
        min_length=1,
        max_length=50,
        help_text="Agency codes to bring in instead of the plan's choice.",
    )


class IncidentUpdateSerializer(serializers.Serializer):
    """The facts a dispatcher or commander may change. Status changes only through the actions."""

    title = serializers.CharField(max_length=TEXT_LIMITS["title"], required=False)
    description = serializers.CharField(max_length=TEXT_LIMITS["description"], required=False, allow_blank=True)
    severity = serializers.ChoiceField(choices=Severity.choices, required=False)
    address = serializers.CharField(max_length=TEXT_LIMITS["address"], required=False, allow_blank=True)
    commander = StrictPrimaryKeyField(
        queryset=get_user_model().objects.filter(is_active=True), required=False, allow_null=True
    )

    def validate(self, attrs):
        unknown = set(self.initial_data) - set(self.fields) if isinstance(self.initial_data, dict) else set()
        if unknown:
            raise serializers.ValidationError(
                {
                    field: [_("This field cannot be changed here; use the incident's actions.")]
                    for field in sorted(unknown)
                }
            )
        if not attrs:
            raise serializers.ValidationError({"non_field_errors": [_("Nothing to change.")]})
        return attrs


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=TEXT_LIMITS["reason"], required=False, allow_blank=True, default="")


class DeclineSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=TEXT_LIMITS["reason"])


class ProgressSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=[(s.value, s.label) for s in PROGRESS_STATUSES])
    note = serializers.CharField(max_length=TEXT_LIMITS["note"], required=False, allow_blank=True, default="")


class AssignmentAddSerializer(serializers.Serializer):
    agency = serializers.SlugField(max_length=40, help_text="The agency's code, e.g. km-fire.")
    task = serializers.CharField(max_length=TEXT_LIMITS["task"], required=False, allow_blank=True, default="")
    accept_within_seconds = serializers.IntegerField(
        min_value=1, max_value=86_400, required=False, allow_null=True, default=None
    )


class NoteSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=TEXT_LIMITS["text"])


class TimelineQuerySerializer(serializers.Serializer):
    after = serializers.IntegerField(
        min_value=0, required=False, default=0, help_text="Only entries with a sequence number above this."
    )
    limit = serializers.IntegerField(min_value=1, max_value=1000, required=False, default=500)


class TimelineEntrySerializer(serializers.ModelSerializer):
    seq = serializers.IntegerField(source="pk", read_only=True)
    at = serializers.DateTimeField(source="created_at", read_only=True)
    actor = PersonSerializer(read_only=True, allow_null=True)
    agency = serializers.SerializerMethodField()

    class Meta:
        model = TimelineEntry
        fields = ["seq", "at", "kind", "actor", "assignment", "agency", "text", "data"]
        read_only_fields = fields

    def get_agency(self, entry) -> str | None:
        return entry.assignment.agency.code if entry.assignment_id else None


class PlanStepSerializer(serializers.ModelSerializer):
    class Meta:
        model = PlanStep
        fields = ["id", "agency_kind", "task", "accept_within_seconds", "applies_up_to_level", "order"]
        read_only_fields = fields


class LinkagePlanSerializer(serializers.ModelSerializer):
    steps = PlanStepSerializer(many=True, read_only=True)

    class Meta:
        model = LinkagePlan
        fields = ["id", "kind", "name", "description", "is_active", "steps"]
        read_only_fields = fields


class PlanPreviewQuerySerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=IncidentKind.choices)
    severity = serializers.ChoiceField(choices=Severity.choices)
    latitude = CoordinateField(limit=90, required=False)
    longitude = CoordinateField(limit=180, required=False)


class PlannedTaskSerializer(serializers.Serializer):
    agency_kind = serializers.CharField()
    agency = AgencyBriefSerializer(allow_null=True)
    task = serializers.CharField()
    accept_within_seconds = serializers.IntegerField()


class SimilarQuerySerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=IncidentKind.choices)
    latitude = CoordinateField(limit=90, help_text="WGS-84 degrees.")
    longitude = CoordinateField(limit=180, help_text="WGS-84 degrees.")
    within = serializers.IntegerField(
        min_value=1, max_value=5000, required=False, default=500, help_text="Radius in metres (great circle)."
    )
    since = serializers.IntegerField(
        min_value=1, max_value=1440, required=False, default=30, help_text="Opened in the last this many minutes."
    )
    exercise = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Whether the new call is a drill: a real call is compared with real incidents only, a drill "
        "with drills only.",
    )


class SimilarIncidentSerializer(serializers.ModelSerializer):
    """An open incident near a new call: how far (metres) and how long ago (minutes) it was opened."""

    distance_m = serializers.IntegerField(read_only=True)
    minutes_ago = serializers.IntegerField(read_only=True)

    class Meta:
        model = Incident
        fields = [
            "id",
            "reference",
            "kind",
            "severity",
            "status",
            "title",
            "address",
            "latitude",
            "longitude",
            "created_at",
            "exercise",
            "distance_m",
            "minutes_ago",
        ]
        read_only_fields = fields
