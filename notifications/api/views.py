import django_filters
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from linkage.api import E400, E401, E404, E_PAGE
from notifications.models import Channel, Notification, NotificationStatus
from notifications.selectors import notifications_of
from notifications.services import mark_read

from .serializers import NotificationSerializer


class NotificationFilter(django_filters.FilterSet):
    channel = django_filters.MultipleChoiceFilter(choices=Channel.choices)
    status = django_filters.MultipleChoiceFilter(choices=NotificationStatus.choices)
    unread = django_filters.BooleanFilter(field_name="read_at", lookup_expr="isnull", help_text="Only unread ones.")

    class Meta:
        model = Notification
        fields = ["channel", "status", "unread"]


@extend_schema_view(
    list=extend_schema(
        operation_id="notifications_list",
        summary="Your notifications, every channel, each with its delivery attempts",
        responses={200: NotificationSerializer(many=True), 400: E400, 401: E401, 404: E_PAGE},
    ),
    retrieve=extend_schema(
        operation_id="notifications_retrieve",
        summary="One of your notifications",
        responses={200: NotificationSerializer, 401: E401, 404: E404},
    ),
)
class NotificationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = NotificationSerializer
    filterset_class = NotificationFilter

    def get_queryset(self):
        return notifications_of(self.request.user).order_by("-created_at", "-id")

    @extend_schema(
        operation_id="notifications_read",
        summary="Mark as read",
        request=None,
        responses={200: NotificationSerializer, 401: E401, 404: E404},
    )
    @action(detail=True, methods=["post"])
    def read(self, request, pk=None):
        notification = self.get_object()
        mark_read(self.get_queryset().filter(pk=notification.pk))
        notification.refresh_from_db(fields=["read_at"])
        return Response(self.get_serializer(notification).data)
