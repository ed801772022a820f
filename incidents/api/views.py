"""The incidents API: thin views over the selectors (reads) and the services (every change)."""

from datetime import timedelta

from django.http import HttpResponse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import BaseParser
from rest_framework.response import Response
from rest_framework.views import APIView

from agencies.selectors import active_agency
from incidents import services
from incidents.cap import DUPLICATE, MAX_BYTES, cap_ingest, incident_to_cap
from incidents.filters import AssignmentFilter, IncidentFilter
from incidents.idempotency import (
    IDEMPOTENCY_TTL,
    IdempotencyKeyInvalid,
    IdempotencyMismatch,
    clean_key,
    open_once,
    request_fingerprint,
)
from incidents.models import CapMessage, CapOutcome, IdempotencyScope, LinkagePlan
from incidents.plans import plan_expand
from incidents.selectors import (
    access_assignment,
    access_incident,
    assignment_ids_actable_by,
    assignments_visible_to,
    incident_list,
    similar_incidents,
    timeline_for,
)
from incidents.transitions import DISPATCH, require
from linkage.api import E400, E401, E404, E_PAGE, ErrorSerializer, WriteThrottle

from .serializers import (
    AssignmentAddSerializer,
    AssignmentSerializer,
    DeclineSerializer,
    IncidentOpenSerializer,
    IncidentSerializer,
    IncidentUpdateSerializer,
    LinkagePlanSerializer,
    NoteSerializer,
    PlannedTaskSerializer,
    PlanPreviewQuerySerializer,
    ProgressSerializer,
    ReasonSerializer,
    SimilarIncidentSerializer,
    SimilarQuerySerializer,
    TimelineEntrySerializer,
    TimelineQuerySerializer,
)

E403 = OpenApiResponse(ErrorSerializer, description="Signed in, but not allowed to do this.")
E409 = OpenApiResponse(
    ErrorSerializer, description="The state machine does not allow this now (or someone was faster)."
)
E413 = OpenApiResponse(ErrorSerializer, description="The body is too large.")
E415 = OpenApiResponse(ErrorSerializer, description="Send JSON.")
E429 = OpenApiResponse(ErrorSerializer, description="Too many requests: slow down.")
READ_ERRORS = {401: E401, 404: E404}
WRITE_ERRORS = {400: E400, 401: E401, 403: E403, 404: E404, 409: E409, 413: E413, 415: E415, 429: E429}


def _write(request_serializer, response_serializer, *, summary: str, operation_id: str, code: int = 200, **kwargs):
    return extend_schema(
        operation_id=operation_id,
        summary=summary,
        request=request_serializer,
        responses={code: response_serializer, **WRITE_ERRORS},
        **kwargs,
    )


@extend_schema_view(
    list=extend_schema(
        operation_id="incidents_list",
        summary="Incidents you may see",
        responses={200: IncidentSerializer(many=True), 400: E400, 401: E401, 404: E_PAGE},
    ),
    retrieve=extend_schema(
        operation_id="incidents_retrieve",
        summary="One incident with its assignments",
        responses={200: IncidentSerializer, **READ_ERRORS},
    ),
)
class IncidentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = IncidentSerializer
    filterset_class = IncidentFilter
    throttle_classes = [WriteThrottle]
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        return incident_list(self.request.user).select_related("created_by").order_by("severity", "-created_at", "-id")

    def get_object(self):
        """The incident in the URL if the user may see it (selectors.access_incident), else 404."""
        incident = access_incident(self.request.user, self.kwargs["pk"])
        self.check_object_permissions(self.request, incident)
        return incident

    def retrieve(self, request, pk=None):
        return self._fresh(self.get_object())

    def _fresh(self, incident) -> Response:
        """The incident as the caller sees it now, assignments included, with the moves they may make."""
        fresh = incident_list(self.request.user).select_related("created_by").get(pk=incident.pk)
        return Response(IncidentSerializer(fresh, context=self.get_serializer_context()).data)

    @extend_schema(
        operation_id="incidents_create",
        summary="Open an incident: the linkage plan (or the agencies named) brings in its agencies",
        description=(
            "With an `Idempotency-Key` header, the same key and the same body from the same user within "
            f"{IDEMPOTENCY_TTL.total_seconds() / 3600:g} hours open one incident: the first request gets 201, "
            "every repeat (even one sent at the same moment) 200 with that incident. The same key with "
            "another body is a 422."
        ),
        request=IncidentOpenSerializer,
        parameters=[
            OpenApiParameter(
                "Idempotency-Key",
                str,
                OpenApiParameter.HEADER,
                required=False,
                description="Any 1-200 printable ASCII characters, e.g. a UUID; kept per user for 24 hours.",
            )
        ],
        responses={
            201: IncidentSerializer,
            200: OpenApiResponse(IncidentSerializer, description="A repeat of an Idempotency-Key: the first incident."),
            422: OpenApiResponse(ErrorSerializer, description="This Idempotency-Key was used with another body."),
            **WRITE_ERRORS,
        },
    )
    def create(self, request):
        require(request.user, DISPATCH)
        try:
            key = clean_key(request.headers.get("Idempotency-Key"))
        except IdempotencyKeyInvalid as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_400_BAD_REQUEST)
        data = self._valid(IncidentOpenSerializer, request)
        if key is None:
            incident, opened = services.incident_open(by=request.user, **data), True
        else:
            try:
                incident, opened = open_once(
                    by=request.user,
                    scope=IdempotencyScope.API,
                    key=key,
                    fingerprint=request_fingerprint(request.data),
                    open_incident=lambda: services.incident_open(by=request.user, **data),
                )
            except IdempotencyMismatch as exc:
                return Response(
                    {
                        "detail": _(
                            "This Idempotency-Key was already used with a different body: "
                            "send the same body, or a new key for a new incident."
                        ),
                        "incident": exc.incident.pk,
                    },
                    status=status.HTTP_422_UNPROCESSABLE_ENTITY,
                )
        response = self._fresh(incident)
        response.status_code = status.HTTP_201_CREATED if opened else status.HTTP_200_OK
        response["Location"] = f"{request.path.rstrip('/')}/{incident.pk}/"
        if key is not None and not opened:
            response["Idempotent-Replayed"] = "true"
        return response

    @extend_schema(
        operation_id="incidents_similar",
        summary="Open incidents of a kind near a point, opened lately: likely duplicates of a new call",
        parameters=[SimilarQuerySerializer],
        responses={200: SimilarIncidentSerializer(many=True), 400: E400, 401: E401},
    )
    @action(detail=False, methods=["get"], filterset_class=None, pagination_class=None)
    def similar(self, request):
        query = SimilarQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        found = similar_incidents(
            request.user,
            kind=query.validated_data["kind"],
            latitude=query.validated_data["latitude"],
            longitude=query.validated_data["longitude"],
            within_m=query.validated_data["within"],
            since=timedelta(minutes=query.validated_data["since"]),
            exercise=query.validated_data["exercise"],
        )
        return Response(SimilarIncidentSerializer(found, many=True).data)

    @_write(
        IncidentUpdateSerializer,
        IncidentSerializer,
        operation_id="incidents_partial_update",
        summary="Change title, description, severity, address or commander (never status)",
    )
    def partial_update(self, request, pk=None):
        incident = self.get_object()
        require(request.user, DISPATCH)
        changes = self._valid(IncidentUpdateSerializer, request)
        return self._fresh(services.incident_update(incident=incident, by=request.user, **changes))

    def _valid(self, serializer_class, request) -> dict:
        serializer = serializer_class(data=request.data)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    def _move(self, service, request, **kwargs) -> Response:
        incident = self.get_object()
        return self._fresh(service(incident=incident, by=request.user, **kwargs))

    @_write(None, IncidentSerializer, operation_id="incidents_contain", summary="Contain (commanders)")
    @action(detail=True, methods=["post"])
    def contain(self, request, pk=None):
        return self._move(services.incident_contain, request)

    @_write(
        None, IncidentSerializer, operation_id="incidents_close", summary="Close (commanders); open tasks are cancelled"
    )
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        return self._move(services.incident_close, request)

    @_write(
        ReasonSerializer,
        IncidentSerializer,
        operation_id="incidents_cancel",
        summary="Cancel an incident opened in error; open tasks are cancelled",
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        return self._move(services.incident_cancel, request, **self._valid(ReasonSerializer, request))

    @_write(None, IncidentSerializer, operation_id="incidents_reopen", summary="Reopen a closed incident (commanders)")
    @action(detail=True, methods=["post"])
    def reopen(self, request, pk=None):
        return self._move(services.incident_reopen, request)

    @_write(
        AssignmentAddSerializer,
        AssignmentSerializer,
        code=201,
        operation_id="incidents_assignments_create",
        summary="Bring another agency onto the incident",
    )
    @action(detail=True, methods=["post"], url_path="assignments")
    def add_assignment(self, request, pk=None):
        incident = self.get_object()
        data = self._valid(AssignmentAddSerializer, request)
        agency = active_agency(data["agency"])
        if agency is None:
            return Response({"agency": [_("Unknown agency.")]}, status=status.HTTP_400_BAD_REQUEST)
        assignment = services.assignment_add(
            incident=incident,
            by=request.user,
            agency=agency,
            task=data["task"],
            accept_within_seconds=data["accept_within_seconds"],
        )
        return Response(
            AssignmentSerializer(assignment, context=self.get_serializer_context()).data, status=status.HTTP_201_CREATED
        )

    @extend_schema(
        operation_id="incidents_timeline",
        summary="Timeline entries after a sequence number",
        parameters=[TimelineQuerySerializer],
        responses={200: TimelineEntrySerializer(many=True), 400: E400, **READ_ERRORS},
    )
    @action(detail=True, methods=["get"], filterset_class=None, pagination_class=None)
    def timeline(self, request, pk=None):
        incident = self.get_object()
        query = TimelineQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        entries = timeline_for(request.user, incident, after=query.validated_data["after"])
        return Response(TimelineEntrySerializer(entries[: query.validated_data["limit"]], many=True).data)

    @_write(
        NoteSerializer,
        TimelineEntrySerializer,
        code=201,
        operation_id="incidents_notes_create",
        summary="Post a note to the shared timeline",
    )
    @action(detail=True, methods=["post"], filterset_class=None)
    def notes(self, request, pk=None):
        incident = self.get_object()
        entry = services.note_add(incident=incident, by=request.user, **self._valid(NoteSerializer, request))
        return Response(TimelineEntrySerializer(entry).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        operation_id="incidents_cap",
        summary="The incident as a CAP 1.2 alert",
        responses={(200, "application/xml"): OpenApiTypes.STR, **READ_ERRORS},
    )
    @action(detail=True, methods=["get"], filterset_class=None)
    def cap(self, request, pk=None):
        return HttpResponse(incident_to_cap(self.get_object()), content_type="application/xml; charset=utf-8")


@extend_schema_view(
    list=extend_schema(
        operation_id="assignments_list",
        summary="Assignments on incidents you may see",
        responses={200: AssignmentSerializer(many=True), 400: E400, 401: E401, 404: E_PAGE},
    ),
    retrieve=extend_schema(
        operation_id="assignments_retrieve",
        summary="One assignment",
        responses={200: AssignmentSerializer, **READ_ERRORS},
    ),
)
class AssignmentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = AssignmentSerializer
    filterset_class = AssignmentFilter
    throttle_classes = [WriteThrottle]

    def get_queryset(self):
        return assignments_visible_to(self.request.user).order_by("-created_at", "-id")

    def get_object(self):
        """The assignment in the URL if the user may see its incident (selectors.access_assignment), else 404."""
        assignment = access_assignment(self.request.user, self.kwargs["pk"])
        self.check_object_permissions(self.request, assignment)
        return assignment

    def get_serializer(self, *args, **kwargs):
        """A page of tasks checks the caller's permission to act on them in one query (for `moves`)."""
        if kwargs.get("many") and args:
            rows = list(args[0])
            kwargs["context"] = {
                **self.get_serializer_context(),
                "actable": assignment_ids_actable_by(self.request.user, [row.pk for row in rows]),
            }
            return super().get_serializer(rows, *args[1:], **kwargs)
        return super().get_serializer(*args, **kwargs)

    def _move(self, service, serializer_class=None, **kwargs) -> Response:
        assignment = self.get_object()
        if serializer_class is not None:
            serializer = serializer_class(data=self.request.data)
            serializer.is_valid(raise_exception=True)
            kwargs.update(serializer.validated_data)
        moved = service(assignment=assignment, by=self.request.user, **kwargs)
        return Response(AssignmentSerializer(moved, context=self.get_serializer_context()).data)

    @_write(
        None, AssignmentSerializer, operation_id="assignments_accept", summary="Accept the task (members of its agency)"
    )
    @action(detail=True, methods=["post"])
    def accept(self, request, pk=None):
        return self._move(services.assignment_accept)

    @_write(
        DeclineSerializer,
        AssignmentSerializer,
        operation_id="assignments_decline",
        summary="Decline the task, with a reason",
    )
    @action(detail=True, methods=["post"])
    def decline(self, request, pk=None):
        return self._move(services.assignment_decline, DeclineSerializer)

    @_write(
        ProgressSerializer,
        AssignmentSerializer,
        operation_id="assignments_progress",
        summary="Report en route, on scene or completed",
    )
    @action(detail=True, methods=["post"])
    def progress(self, request, pk=None):
        return self._move(services.assignment_progress, ProgressSerializer)

    @_write(
        ReasonSerializer,
        AssignmentSerializer,
        operation_id="assignments_cancel",
        summary="Take the agency off the incident (dispatchers and commanders), with an optional reason",
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        return self._move(services.assignment_cancel, ReasonSerializer)


@extend_schema_view(
    list=extend_schema(
        operation_id="plans_list", summary="Linkage plans", responses={200: LinkagePlanSerializer(many=True), 401: E401}
    ),
    retrieve=extend_schema(
        operation_id="plans_retrieve", summary="One linkage plan", responses={200: LinkagePlanSerializer, **READ_ERRORS}
    ),
)
class PlanViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = LinkagePlanSerializer
    pagination_class = None
    queryset = LinkagePlan.objects.prefetch_related("steps").order_by("kind")

    @extend_schema(
        operation_id="plans_preview",
        summary="Which agencies and tasks a new incident would get",
        parameters=[PlanPreviewQuerySerializer],
        responses={200: PlannedTaskSerializer(many=True), 400: E400, 401: E401},
    )
    @action(detail=False, methods=["get"])
    def preview(self, request):
        query = PlanPreviewQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        tasks = plan_expand(**query.validated_data)
        return Response(PlannedTaskSerializer(tasks, many=True).data)


class CapXmlParser(BaseParser):
    """CAP arrives as XML; the view parses it safely, so the parser hands over the bytes (at most one
    more than MAX_BYTES, so that an oversized body is told apart and answered 413)."""

    media_type = "application/xml"

    def parse(self, stream, media_type=None, parser_context=None):
        return stream.read(MAX_BYTES + 1) if stream is not None else b""


class CapTextXmlParser(CapXmlParser):
    media_type = "text/xml"


class CapCapXmlParser(CapXmlParser):
    media_type = "application/cap+xml"


class CapMessageSerializer(serializers.ModelSerializer):
    class Meta:
        model = CapMessage
        fields = ["sender", "identifier", "sent", "status", "msg_type", "references", "received_at"]


class CapResultSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(
        choices=[*CapOutcome.values, DUPLICATE],
        help_text="What the message did; every outcome but opened, opened_from_update, updated and cancelled "
        "changed nothing. duplicate: this (sender, identifier) was already taken in.",
    )
    detail = serializers.CharField(help_text="The outcome in a sentence.")
    message = CapMessageSerializer(help_text="The message as recorded (the first one, for a duplicate).")
    incident = IncidentSerializer(allow_null=True, help_text="The incident it opened, changed or concerned.")


class CapIngestView(APIView):
    parser_classes = [CapXmlParser, CapTextXmlParser, CapCapXmlParser]
    throttle_classes = [WriteThrottle]

    @extend_schema(
        operation_id="cap_ingest",
        summary="Take in a CAP 1.2 message; 201 when it opened an incident, 200 with its outcome otherwise",
        description="Follows DESIGN.md's CAP semantics (docs/api.md, 'CAP'): expired alerts, Test/Draft/System, "
        "an Exercise against a real incident, another sender's Update or Cancel and messages older than the "
        "last applied are recorded and change nothing (200).",
        request={"application/xml": OpenApiTypes.STR},
        responses={201: CapResultSerializer, 200: CapResultSerializer, **WRITE_ERRORS},
    )
    def post(self, request):
        require(request.user, DISPATCH)
        if not isinstance(request.data, bytes) or not request.data:
            return Response({"cap": ["Send a CAP 1.2 alert as application/xml."]}, status=status.HTTP_400_BAD_REQUEST)
        result = cap_ingest(by=request.user, xml=request.data)
        incident = None
        if result.incident is not None:
            incident = incident_list(request.user).select_related("created_by").filter(pk=result.incident.pk).first()
        body = {
            "outcome": result.outcome,
            "detail": result.detail,
            "message": CapMessageSerializer(result.message).data,
            "incident": IncidentSerializer(incident, context={"request": request}).data
            if incident is not None
            else None,
        }
        return Response(body, status=status.HTTP_201_CREATED if result.opened else status.HTTP_200_OK)
