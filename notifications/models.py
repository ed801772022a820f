"""The outbox: one row per recipient × channel, created in the same transaction as its cause.

A row is the promise that someone will be told. Delivery tasks take its primary key, lock it, send,
and record the attempt; a sweep re-queues rows that nobody delivered. Knows people and webhook
endpoints, nothing of incidents: a cause is an opaque key (e.g. "assignment:31:escalation").
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from linkage.db import in_choices


class Channel(models.TextChoices):
    IN_APP = "in_app", _("In-app")
    EMAIL = "email", _("E-mail")
    SMS = "sms", _("SMS")
    WEBHOOK = "webhook", _("Webhook")


class NotificationStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")
    WITHDRAWN = "withdrawn", _("Withdrawn")  # its cause went away before it was sent


class WebhookEndpoint(models.Model):
    """An outside system (a 119/120 dispatch system, say) told of events by signed JSON POSTs."""

    name = models.CharField(_("name"), max_length=120)
    url = models.URLField(_("URL"), max_length=500)
    secret = models.CharField(
        _("secret"), max_length=200, help_text=_("Shared with the receiver, who checks the HMAC-SHA256 signature.")
    )
    events = models.JSONField(
        _("events"),
        default=list,
        blank=True,
        help_text=_("Event types to send, e.g. assignment.escalated; empty: all."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("webhook endpoint")
        verbose_name_plural = _("webhook endpoints")

    def __str__(self) -> str:
        return self.name

    def wants(self, event_type: str) -> bool:
        return not self.events or event_type in self.events


class Notification(models.Model):
    cause = models.CharField(_("cause"), max_length=120, db_index=True)
    level = models.PositiveSmallIntegerField(_("level"), default=0)
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="notifications",
        verbose_name=_("recipient"),
    )
    endpoint = models.ForeignKey(
        WebhookEndpoint,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="notifications",
        verbose_name=_("webhook endpoint"),
    )
    # Where it goes, fixed when the row is made: an e-mail address, a phone number, a URL.
    address = models.CharField(_("address"), max_length=500, blank=True)
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("body"), blank=True)
    link = models.CharField(_("link"), max_length=500, blank=True)
    payload = models.JSONField(_("payload"), default=dict, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=NotificationStatus.choices, default=NotificationStatus.QUEUED
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt at"), null=True, blank=True)
    enqueued_at = models.DateTimeField(_("handed to the broker at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        constraints = [
            models.CheckConstraint(condition=in_choices("channel", Channel), name="notification_channel_valid"),
            models.CheckConstraint(
                condition=in_choices("status", NotificationStatus), name="notification_status_valid"
            ),
            # A person, or a webhook endpoint: exactly one.
            models.CheckConstraint(
                condition=(Q(recipient__isnull=False) & Q(endpoint__isnull=True))
                | (Q(recipient__isnull=True) & Q(endpoint__isnull=False) & Q(channel="webhook")),
                name="notification_one_destination",
            ),
            models.UniqueConstraint(
                fields=["cause", "level", "recipient", "channel"],
                condition=Q(recipient__isnull=False),
                name="notification_once_per_recipient",
            ),
            models.UniqueConstraint(
                fields=["cause", "level", "endpoint"],
                condition=Q(endpoint__isnull=False),
                name="notification_once_per_endpoint",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="notification_due_idx"),
            models.Index(fields=["recipient", "channel", "read_at"], name="notification_unread_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.cause} · {self.level} · {self.channel} · {self.recipient or self.endpoint}"


class DeliveryAttempt(models.Model):
    notification = models.ForeignKey(
        Notification, on_delete=models.CASCADE, related_name="delivery_attempts", verbose_name=_("notification")
    )
    at = models.DateTimeField(_("at"), auto_now_add=True)
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices)
    ok = models.BooleanField(_("delivered"))
    error = models.TextField(_("error"), blank=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("delivery attempt")
        verbose_name_plural = _("delivery attempts")

    def __str__(self) -> str:
        return f"{self.notification_id} · {self.at:%H:%M:%S} · {'ok' if self.ok else self.error[:40]}"
