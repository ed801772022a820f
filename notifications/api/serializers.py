from rest_framework import serializers

from notifications.models import DeliveryAttempt, Notification


class DeliveryAttemptSerializer(serializers.ModelSerializer):
    class Meta:
        model = DeliveryAttempt
        fields = ["at", "channel", "ok", "error"]
        read_only_fields = fields


class NotificationSerializer(serializers.ModelSerializer):
    attempts = DeliveryAttemptSerializer(source="delivery_attempts", many=True, read_only=True)

    class Meta:
        model = Notification
        fields = [
            "id",
            "cause",
            "level",
            "channel",
            "address",
            "subject",
            "body",
            "link",
            "status",
            "created_at",
            "sent_at",
            "read_at",
            "next_attempt_at",
            "attempts",
        ]
        read_only_fields = fields
