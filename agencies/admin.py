from django.contrib import admin
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import Agency, Membership, Shift


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    fields = ["user", "role", "phone", "is_active"]
    autocomplete_fields = ["user"]


@admin.register(Agency)
class AgencyAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "name_en", "kind", "hotline", "is_default_for_kind", "is_active"]
    list_filter = ["kind", "is_active", "is_default_for_kind"]
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
