"""Admin for plans and policies (edited here) and incidents (read here: they change only through
the transition services, so status and timeline are read-only)."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .models import (
    Assignment,
    CapMessage,
    EscalationPolicy,
    EscalationStep,
    Incident,
    LinkagePlan,
    PlanStep,
    TimelineEntry,
)


class PlanStepInline(admin.TabularInline):
    model = PlanStep
    extra = 1
    fields = ["order", "agency_kind", "task", "accept_within_seconds", "applies_up_to_level", "escalation_policy"]


@admin.register(LinkagePlan)
class LinkagePlanAdmin(admin.ModelAdmin):
    list_display = ["kind", "name", "is_active", "step_count"]
    list_filter = ["is_active"]
    search_fields = ["kind", "name", "steps__task"]
    inlines = [PlanStepInline]

    @admin.display(description=_("steps"))
    def step_count(self, obj) -> int:
        return obj.steps.count()


class EscalationStepInline(admin.TabularInline):
    model = EscalationStep
    extra = 1


@admin.register(EscalationPolicy)
class EscalationPolicyAdmin(admin.ModelAdmin):
    list_display = ["name", "is_default", "interval_seconds", "max_level"]
    inlines = [EscalationStepInline]


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class AssignmentInline(ReadOnlyInline):
    model = Assignment
    fields = ["agency", "task", "status", "accept_by", "accepted_at", "escalation_level", "decline_reason"]
    readonly_fields = fields


class TimelineInline(ReadOnlyInline):
    model = TimelineEntry
    fields = ["id", "created_at", "kind", "actor", "assignment", "text"]
    readonly_fields = fields
    ordering = ["id"]


@admin.register(Incident)
class IncidentAdmin(admin.ModelAdmin):
    list_display = ["reference", "title", "kind", "severity", "status", "exercise", "created_at"]
    list_filter = ["status", "kind", "severity", "exercise"]
    search_fields = ["reference", "title", "address", "description"]
    date_hierarchy = "created_at"
    readonly_fields = [
        "reference",
        "kind",
        "severity",
        "status",
        "title",
        "description",
        "address",
        "latitude",
        "longitude",
        "exercise",
        "created_by",
        "commander",
        "created_at",
        "contained_at",
        "closed_at",
        "cancelled_at",
        "reopened_at",
    ]
    inlines = [AssignmentInline, TimelineInline]

    # Opening expands a plan and changing status writes the timeline: both go through the services
    # (pages and API), never a form save.
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # the timeline is the record of what happened: it is never deleted


@admin.register(Assignment)
class AssignmentAdmin(admin.ModelAdmin):
    list_display = ["incident", "agency", "status", "accept_by", "accepted_at", "escalation_level"]
    list_filter = ["status", "agency", "escalation_level"]
    search_fields = ["incident__reference", "incident__title", "agency__code", "task"]
    list_select_related = ["incident", "agency"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(CapMessage)
class CapMessageAdmin(admin.ModelAdmin):
    """Every CAP message taken in and what it did, those that changed nothing included (read only)."""

    list_display = ["received_at", "sender", "identifier", "msg_type", "status", "outcome", "incident"]
    list_filter = ["outcome", "msg_type", "status"]
    search_fields = ["sender", "identifier", "incident__reference", "detail"]
    list_select_related = ["incident"]
    date_hierarchy = "received_at"

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
