from django.contrib import admin, messages
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import Agency, MemberRole, Membership, Shift


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    fields = ["user", "role", "phone", "is_active"]
    autocomplete_fields = ["user"]


def _active_members(role: str):
    return Membership.objects.filter(agency=OuterRef("pk"), role=role, is_active=True, user__is_active=True)


class ChiefFilter(admin.SimpleListFilter):
    """Agencies with nobody to escalate to: their tasks skip the duty-chief level."""

    title = _("duty chief")
    parameter_name = "chief"

    def lookups(self, request, model_admin):
        return [("none", _("No chief")), ("some", _("Has a chief"))]

    def queryset(self, request, queryset):
        if self.value() == "none":
            return queryset.filter(_has_chief=False)
        if self.value() == "some":
            return queryset.filter(_has_chief=True)
        return queryset


@admin.register(Agency)
class AgencyAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "name_en", "kind", "hotline", "is_default_for_kind", "is_active", "has_chief"]
    list_filter = ["kind", "is_active", "is_default_for_kind", ChiefFilter]
    search_fields = ["code", "name", "name_en", "jurisdiction"]
    inlines = [MembershipInline]
    fieldsets = [
        (None, {"fields": ["code", "name", "name_en", "kind", "hotline", "is_active", "is_default_for_kind"]}),
        (
            _("Jurisdiction"),
            {
                "fields": [
                    "jurisdiction",
                    ("jurisdiction_south", "jurisdiction_north"),
                    ("jurisdiction_west", "jurisdiction_east"),
                ]
            },
        ),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_has_chief=Exists(_active_members(MemberRole.CHIEF)))

    @admin.display(boolean=True, description=_("duty chief"), ordering="_has_chief")
    def has_chief(self, obj) -> bool:
        return obj._has_chief

    def change_view(self, request, object_id, form_url="", extra_context=None):
        """A warning above the form while the agency has no active chief (or liaison): escalation has
        nobody to call at that level and passes its tasks straight on."""
        if request.method == "GET":
            agency = self.get_object(request, object_id)
            if agency is not None:
                for text in missing_roles_warnings(agency):
                    messages.warning(request, text)
        return super().change_view(request, object_id, form_url, extra_context)


def missing_roles_warnings(agency: Agency) -> list[str]:
    """What the admin is told about an agency whose roster leaves escalation without someone to call."""
    roles = set(
        Membership.objects.filter(agency=agency, is_active=True, user__is_active=True).values_list("role", flat=True)
    )
    warnings = []
    if MemberRole.CHIEF not in roles:
        warnings.append(
            _(
                "%(agency)s has no active duty chief: when its liaisons do not accept a task in time, "
                "escalation passes the chief level over and goes straight to the next (the commander and "
                "dispatchers by default). Add a member with the role Duty chief below."
            )
            % {"agency": agency.display_name}
        )
    if MemberRole.LIAISON not in roles:
        warnings.append(
            _("%(agency)s has no active liaison: nobody answers its tasks. Add a member with the role Liaison below.")
            % {"agency": agency.display_name}
        )
    return warnings


class ShiftInline(admin.TabularInline):
    model = Shift
    extra = 1
    fields = ["starts_at", "ends_at", "note"]


class OnDutyFilter(admin.SimpleListFilter):
    title = _("on duty")
    parameter_name = "on_duty"

    def lookups(self, request, model_admin):
        return [("now", _("On duty now")), ("off", _("Off duty now"))]

    def queryset(self, request, queryset):
        now = timezone.now()
        covering = Shift.objects.filter(membership=OuterRef("pk"), starts_at__lte=now, ends_at__gt=now)
        if self.value() == "now":
            return queryset.filter(Exists(covering))
        if self.value() == "off":
            return queryset.exclude(Exists(covering))
        return queryset


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "agency", "role", "phone", "is_active", "on_duty_now"]
    list_filter = ["agency", "role", "is_active", OnDutyFilter]
    search_fields = ["user__username", "user__first_name", "user__last_name", "phone", "agency__code", "agency__name"]
    list_select_related = ["user", "agency"]
    autocomplete_fields = ["user", "agency"]
    inlines = [ShiftInline]

    def get_queryset(self, request):
        now = timezone.now()
        covering = Shift.objects.filter(membership=OuterRef("pk"), starts_at__lte=now, ends_at__gt=now)
        return super().get_queryset(request).annotate(_on_duty=Exists(covering))

    @admin.display(boolean=True, description=_("on duty now"), ordering="_on_duty")
    def on_duty_now(self, obj) -> bool:
        return obj._on_duty


@admin.register(Shift)
class ShiftAdmin(admin.ModelAdmin):
    list_display = ["membership", "starts_at", "ends_at", "note"]
    list_filter = ["membership__agency", "membership__role"]
    search_fields = ["membership__user__username", "membership__agency__code", "note"]
    date_hierarchy = "starts_at"
    list_select_related = ["membership__user", "membership__agency"]
    autocomplete_fields = ["membership"]
