from django.contrib import admin
from django.db.models import Count, Q
from django.utils.translation import gettext_lazy as _

from .models import DeliveryAttempt, Notification, NotificationStatus, WebhookEndpoint
from .services import send_again


class DeliveryAttemptInline(admin.TabularInline):
    model = DeliveryAttempt
    extra = 0
    fields = ["at", "channel", "ok", "error"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["created_at", "cause", "level", "channel", "recipient", "endpoint", "status", "attempts", "sent_at"]
    list_filter = ["status", "channel", "level"]
    search_fields = ["cause", "address", "subject", "recipient__username", "endpoint__name"]
    date_hierarchy = "created_at"
    list_select_related = ["recipient", "endpoint"]
    readonly_fields = [field.name for field in Notification._meta.fields]
    inlines = [DeliveryAttemptInline]
    actions = ["send_again"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description=_("Send again (failed or queued ones)"))
    def send_again(self, request, queryset):
        count = send_again(queryset)
        self.message_user(request, _("%(count)d notification(s) queued again.") % {"count": count})


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    list_display = ["name", "url", "is_active", "sent", "failing"]
    list_filter = ["is_active"]
    search_fields = ["name", "url"]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                sent_count=Count("notifications", filter=Q(notifications__status=NotificationStatus.SENT)),
                failing_count=Count(
                    "notifications",
                    filter=Q(notifications__status=NotificationStatus.FAILED)
                    | Q(notifications__status=NotificationStatus.QUEUED, notifications__attempts__gt=0),
                ),
            )
        )

    @admin.display(description=_("sent"), ordering="sent_count")
    def sent(self, obj):
        return obj.sent_count

    @admin.display(description=_("failed or retrying"), ordering="failing_count")
    def failing(self, obj):
        return obj.failing_count
