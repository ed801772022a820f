"""Delivery. Tasks take a primary key, lock the row (another worker holding it means it is being
delivered: skip), do nothing unless it is still queued and due, and record every attempt. A message
delivered twice by the broker therefore sends once; a worker killed mid-send rolls its transaction
back and the row is sent again by the next sweep (at least once, never silently lost)."""

import logging
from datetime import timedelta

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from .backends import DeliveryError, backends
from .models import DeliveryAttempt, Notification, NotificationStatus
from .services import enqueue, retry_delay_seconds

logger = logging.getLogger("linkage.notifications")


@shared_task(name="notifications.deliver")
def deliver(notification_id: int) -> str:
    return deliver_now(notification_id)


# A chunk of 20 slow sends (each up to LINKAGE_DELIVERY_TIMEOUT) must fit in its time limit.
_CHUNK_SECONDS = 20 * settings.LINKAGE_DELIVERY_TIMEOUT


@shared_task(name="notifications.deliver_many", soft_time_limit=_CHUNK_SECONDS + 15, time_limit=_CHUNK_SECONDS + 30)
def deliver_many(notification_ids: list[int]) -> list[str]:
    """Several rows in one message (each still locked, checked and recorded on its own): a sweep that
    escalates two hundred tasks hands over its six hundred notifications in a few dozen messages."""
    return [deliver_now(notification_id) for notification_id in notification_ids]


def deliver_now(notification_id: int) -> str:
    with transaction.atomic():
        notification = (
            Notification.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("endpoint", "recipient")
            .filter(pk=notification_id)
            .first()
        )
        if notification is None:
            return "gone or being delivered"
        now = timezone.now()
        if notification.status != NotificationStatus.QUEUED:
            return "already " + notification.status
        if notification.next_attempt_at and notification.next_attempt_at > now:
            return "not due"
        error = None
        try:
            backends()[notification.channel].send(notification)
        except DeliveryError as exc:
            error = exc
        except SoftTimeLimitExceeded:
            raise  # out of time: roll this row back to queued; the outbox sweep hands it over again
        except Exception as exc:  # a backend's bug is one failed attempt, not a lost notification
            logger.exception("delivery of notification %s raised", notification_id)
            error = DeliveryError(f"{exc.__class__.__name__}: {exc}")
        notification.attempts += 1
        DeliveryAttempt.objects.create(
            notification=notification, channel=notification.channel, ok=error is None, error=str(error or "")
        )
        if error is None:
            notification.status = NotificationStatus.SENT
            notification.sent_at = now
        elif not error.retry or notification.attempts >= settings.LINKAGE_DELIVERY_MAX_ATTEMPTS:
            notification.status = NotificationStatus.FAILED
        else:
            notification.next_attempt_at = now + timedelta(seconds=retry_delay_seconds(notification.attempts))
        notification.save(update_fields=["attempts", "status", "sent_at", "next_attempt_at"])
        return "sent" if error is None else f"failed: {error}"


@shared_task(name="notifications.outbox_sweep")
def outbox_sweep() -> int:
    return requeue_due()


def requeue_due(*, limit: int = 1000) -> int:
    """Queued rows that are due and not handed over lately (or whose retry time has come) go to the
    delivery task again: what a lost message, a dead worker or a down broker left behind."""
    now = timezone.now()
    stale = now - timedelta(seconds=settings.LINKAGE_OUTBOX_STALE_SECONDS)
    with transaction.atomic():
        rows = list(
            Notification.objects.select_for_update(skip_locked=True)
            .filter(status=NotificationStatus.QUEUED, next_attempt_at__lte=now)
            .filter(Q(enqueued_at__isnull=True) | Q(enqueued_at__lt=stale) | Q(enqueued_at__lt=F("next_attempt_at")))
            .order_by("next_attempt_at")
            .values_list("pk", "channel")[:limit]
        )
        Notification.objects.filter(pk__in=[pk for pk, _channel in rows]).update(enqueued_at=now)
    transaction.on_commit(lambda: enqueue(rows))
    return len(rows)
