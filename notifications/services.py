"""Writing to the outbox. Callers (the escalation, say) decide whom to tell of what; this module
decides by which channels, writes the rows in the caller's transaction, and hands them to the
delivery tasks after commit."""

import logging
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from .models import Channel, Notification, NotificationStatus, WebhookEndpoint

logger = logging.getLogger("linkage.notifications")


@dataclass(frozen=True)
class Recipient:
    user: AbstractBaseUser
    phone: str = ""


def notify(*, cause: str, level: int, recipients: list[Recipient], subject: str, body: str, link: str = "") -> None:
    """One row per recipient and channel they can be reached by: in-app always, e-mail if they have an
    address, SMS if they have a phone. The same (cause, level, recipient, channel) twice is one row."""
    rows, seen = [], set()
    for recipient in recipients:
        user = recipient.user
        if user.pk in seen or not user.is_active:
            continue
        seen.add(user.pk)
        common = {
            "cause": cause,
            "level": level,
            "recipient": user,
            "subject": subject[:200],
            "body": body,
            "link": link,
        }
        rows.append(Notification(channel=Channel.IN_APP, **common))
        if user.email:
            rows.append(Notification(channel=Channel.EMAIL, address=user.email, **common))
        if recipient.phone:
            rows.append(Notification(channel=Channel.SMS, address=recipient.phone, **common))
    _queue(rows)


def notify_webhooks(*, cause: str, level: int, event_type: str, payload: dict) -> None:
    """One row per active endpoint that asked for this event type."""
    rows = [
        Notification(
            cause=cause,
            level=level,
            channel=Channel.WEBHOOK,
            endpoint=endpoint,
            address=endpoint.url,
            subject=event_type,
            payload={"type": event_type, **payload},
        )
        for endpoint in WebhookEndpoint.objects.filter(is_active=True)
        if endpoint.wants(event_type)
    ]
    _queue(rows)


def _queue(rows: list[Notification]) -> None:
    if not rows:
        return
    now = timezone.now()
    for row in rows:
        row.next_attempt_at = now
        row.enqueued_at = now
    Notification.objects.bulk_create(rows, ignore_conflicts=True)
    keys = Q()
    for cause, level in {(row.cause, row.level) for row in rows}:
        keys |= Q(cause=cause, level=level)
    ids = list(
        Notification.objects.filter(keys, status=NotificationStatus.QUEUED, attempts=0).values_list("pk", flat=True)
    )
    transaction.on_commit(lambda: enqueue(ids))


def enqueue(ids: list[int]) -> None:
    """Hand rows to the delivery task. A broker that is down loses nothing: the rows stay queued and
    the outbox sweep hands them over again."""
    from .tasks import deliver

    for notification_id in ids:
        try:
            deliver.delay(notification_id)
        except Exception:
            logger.warning("broker unavailable; notification %s left to the outbox sweep", notification_id)
            return


def retry_delay_seconds(attempts: int) -> int:
    """After the n-th failed attempt: base, 3 × base, 9 × base, … capped at an hour."""
    return min(3600, settings.LINKAGE_DELIVERY_RETRY_SECONDS * 3 ** max(0, attempts - 1))
