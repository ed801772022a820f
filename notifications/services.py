"""Writing to the outbox. Callers (the escalation, say) decide whom to tell of what; this module
decides by which channels, writes the rows in the caller's transaction, and hands them to the
delivery tasks after commit."""

import logging
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext

from .models import Channel, Notification, NotificationStatus, WebhookEndpoint

logger = logging.getLogger("linkage.notifications")


@dataclass(frozen=True)
class Recipient:
    user: AbstractBaseUser
    phone: str = ""


@dataclass(frozen=True)
class Message:
    """What to tell whom, about what (`cause`) at which `level`."""

    cause: str
    level: int
    recipients: list[Recipient]
    subject: str
    body: str
    link: str = ""
    # A drill: subject and body go out marked (`exercise_marked`), on every channel.
    exercise: bool = False


def exercise_marked(text: str) -> str:
    """`text` marked as a drill, in the site's language: "【演练】…" / "[EXERCISE] …". Marked once:
    text that already starts with the mark is returned as it is."""
    prefix = exercise_prefix()
    return text if text.startswith(prefix) else f"{prefix}{text}"


def exercise_prefix() -> str:
    """The drill mark as it starts a text, in the site's language (people have no language of their own yet)."""
    with translation.override(settings.LANGUAGE_CODE):
        return gettext("[EXERCISE] %(text)s") % {"text": ""}


def notify(
    *,
    cause: str,
    level: int,
    recipients: list[Recipient],
    subject: str,
    body: str,
    link: str = "",
    exercise: bool = False,
) -> None:
    """One row per recipient and channel they can be reached by: in-app always, e-mail if they have an
    address, SMS if they have a phone. The same (cause, level, recipient, channel) twice is one row.
    `exercise`: a drill, whose subject and body start with the drill mark."""
    notify_many([Message(cause, level, recipients, subject, body, link, exercise)])


def notify_many(messages: list[Message]) -> None:
    """`notify` for several messages, in one insert."""
    rows = []
    for message in messages:
        subject, body = message.subject, message.body
        if message.exercise:
            subject, body = exercise_marked(subject), exercise_marked(body)
        seen = set()
        for recipient in message.recipients:
            user = recipient.user
            if user.pk in seen or not user.is_active:
                continue
            seen.add(user.pk)
            common = {
                "cause": message.cause,
                "level": message.level,
                "recipient": user,
                "subject": subject[:200],
                "body": body,
                "link": message.link,
            }
            rows.append(Notification(channel=Channel.IN_APP, **common))
            if user.email:
                rows.append(Notification(channel=Channel.EMAIL, address=user.email, **common))
            if recipient.phone:
                rows.append(Notification(channel=Channel.SMS, address=recipient.phone, **common))
    _queue(rows)


def notify_webhooks_many(*, event_type: str, items: list[tuple[str, int, dict]]) -> None:
    """Each (cause, level, payload) to every endpoint that wants `event_type`. The payload goes out as
    given, with "type": `event_type` (always: it is what the endpoint asked for) and, unless it says
    otherwise, "exercise": false."""
    endpoints = [endpoint for endpoint in WebhookEndpoint.objects.filter(is_active=True) if endpoint.wants(event_type)]
    _queue(
        [
            Notification(
                cause=cause,
                level=level,
                channel=Channel.WEBHOOK,
                endpoint=endpoint,
                address=endpoint.url,
                subject=event_type,
                payload={"exercise": False, **payload, "type": event_type},
            )
            for cause, level, payload in items
            for endpoint in endpoints
        ]
    )


def _queue(rows: list[Notification]) -> None:
    if not rows:
        return
    now = timezone.now()
    for row in rows:
        row.next_attempt_at = now
        row.enqueued_at = now
    Notification.objects.bulk_create(rows, ignore_conflicts=True)
    # (Conflicting rows are skipped and come back without ids: ask for the ids of this moment's rows.)
    made = list(
        Notification.objects.filter(
            cause__in={row.cause for row in rows}, enqueued_at=now, status=NotificationStatus.QUEUED, attempts=0
        ).values_list("pk", "channel")
    )
    transaction.on_commit(lambda: enqueue(made))


def mark_read(notifications) -> int:
    """Mark these (the caller's own, already selected) as read now; read ones keep their time."""
    return notifications.filter(read_at__isnull=True).update(read_at=timezone.now())


def withdraw(*, cause: str) -> int:
    """The cause is gone (the task was accepted): rows not yet sent are not sent. Returns how many."""
    return Notification.objects.filter(cause=cause, status=NotificationStatus.QUEUED).update(
        status=NotificationStatus.WITHDRAWN
    )


def send_again(notifications) -> int:
    """Queue failed (or still queued) rows once more with a fresh set of attempts — a row that used
    them all up would otherwise fail again at once. Sent rows are left alone. Returns how many."""
    chosen = notifications.exclude(status=NotificationStatus.SENT)
    rows = list(chosen.values_list("pk", "channel"))
    now = timezone.now()
    chosen.update(status=NotificationStatus.QUEUED, attempts=0, next_attempt_at=now, enqueued_at=now)
    transaction.on_commit(lambda: enqueue(rows))
    return len(rows)


# Rows per delivery message, by channel: fewer messages for a burst (the broker traffic, not the
# sends, was what slowed the escalation sweep), while one slow webhook receiver holds up nobody else.
# `deliver_many`'s time limits grow with its chunk (see tasks.py).
DELIVERY_CHUNK = {Channel.IN_APP: 20, Channel.EMAIL: 20, Channel.SMS: 20, Channel.WEBHOOK: 1}


def enqueue(rows: list[tuple[int, str]]) -> None:
    """Hand (id, channel) rows to the delivery tasks. A broker that is down loses nothing: the rows
    stay queued and the outbox sweep hands them over again."""
    from .tasks import deliver, deliver_many

    by_channel: dict[str, list[int]] = {}
    for notification_id, channel in rows:
        by_channel.setdefault(channel, []).append(notification_id)
    for channel, ids in by_channel.items():
        size = DELIVERY_CHUNK.get(channel, 1)
        for start in range(0, len(ids), size):
            chunk = ids[start : start + size]
            try:
                if len(chunk) == 1:
                    deliver.delay(chunk[0])
                else:
                    deliver_many.delay(chunk)
            except Exception:
                if settings.CELERY_TASK_ALWAYS_EAGER:  # a delivery's own error (embedded): go on with the rest
                    logger.exception("delivery of %s failed; the outbox sweep tries again", chunk)
                    continue
                logger.warning("broker unavailable; notifications left to the outbox sweep")
                return


def retry_delay_seconds(attempts: int) -> int:
    """After the n-th failed attempt: base, 3 × base, 9 × base, … capped at an hour."""
    return min(3600, settings.LINKAGE_DELIVERY_RETRY_SECONDS * 3 ** max(0, attempts - 1))
