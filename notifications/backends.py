"""Delivery backends: one class per channel, one method. Adding a channel is one class here and one
line in `backends()`.

`send` returns when the message has left; it raises DeliveryError when it has not (`retry=False`
when trying again cannot help, e.g. nobody to send it to).

Delivery is at least once: a worker that dies after the gateway took a message but before the row
says "sent" sends it again. Every send therefore carries the notification's `delivery_id`, the same
on every attempt, so a gateway or mail system can drop the repeat (docs/security.md, "Delivery ids").
"""

import hashlib
import hmac
import json
import logging
import time
import urllib.error
import urllib.request

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.core.mail import EmailMessage

from linkage.api import wire_time

from .models import Channel, Notification
from .services import exercise_prefix

logger = logging.getLogger("linkage.notifications")


class DeliveryError(Exception):
    def __init__(self, message: str, *, retry: bool = True) -> None:
        super().__init__(message)
        self.retry = retry


def user_group(user_id: int) -> str:
    """The channel-layer group of one person's open pages (in-app notifications)."""
    return f"user.{user_id}"


def delivery_id(notification: Notification) -> str:
    """`linkage-notification-<id>-<created at, Unix seconds>`: the same on every attempt of one
    notification, never the same for two (the creation time keeps ids apart after a database is
    reset and its ids start again). Sent as the HTTP SMS gateway's Idempotency-Key and JSON "id",
    and inside the e-mail Message-ID."""
    return f"linkage-notification-{notification.pk}-{int(notification.created_at.timestamp())}"


def message_id(notification: Notification) -> str:
    """The e-mail Message-ID: `<delivery id@domain of DEFAULT_FROM_EMAIL>`, stable across attempts."""
    domain = settings.DEFAULT_FROM_EMAIL.rpartition("@")[2].strip(" >") or "localhost"
    return f"<{delivery_id(notification)}@{domain}>"


class Backend:
    channel: str

    def send(self, notification: Notification) -> None:
        raise NotImplementedError


class InAppBackend(Backend):
    """To every page the person has open, live; the row itself is the inbox."""

    channel = Channel.IN_APP

    def send(self, notification: Notification) -> None:
        layer = get_channel_layer()
        if layer is None:
            return
        message = {
            "type": "linkage.notification",
            "notification": {
                "id": notification.pk,
                "cause": notification.cause,  # lets the page tell a decline's toast from others
                "subject": notification.subject,
                "body": notification.body,
                "link": notification.link,
                "level": notification.level,
                "created_at": wire_time(notification.created_at),
            },
        }
        try:
            async_to_sync(layer.group_send)(user_group(notification.recipient_id), message)
        except Exception as exc:
            raise DeliveryError(f"channel layer: {exc.__class__.__name__}: {exc}") from exc


class EmailBackend(Backend):
    """Through Django's mail backend (console by default, SMTP in production)."""

    channel = Channel.EMAIL

    def send(self, notification: Notification) -> None:
        if not notification.address:
            raise DeliveryError("no e-mail address", retry=False)
        body = notification.body
        if notification.link:
            body = f"{body}\n\n{settings.LINKAGE_BASE_URL}{notification.link}"
        try:
            EmailMessage(
                notification.subject,
                body,
                settings.DEFAULT_FROM_EMAIL,
                [notification.address],
                headers={"Message-ID": message_id(notification)},  # a repeat after a crash is the same mail
            ).send()
        except Exception as exc:
            raise DeliveryError(f"mail: {exc.__class__.__name__}: {exc}") from exc


class SmsBackend(Backend):
    """An SMS goes to a phone number: without one there is nothing to try again."""

    channel = Channel.SMS

    def send(self, notification: Notification) -> None:
        if not notification.address:
            raise DeliveryError("no phone number", retry=False)
        self.send_text(
            notification.address, sms_text(notification.subject, notification.body), key=delivery_id(notification)
        )

    def send_text(self, phone: str, text: str, *, key: str) -> None:
        """Send `text` to `phone`; `key` is the delivery id, the same on every attempt."""
        raise NotImplementedError


def sms_text(subject: str, body: str, *, limit: int = 300) -> str:
    """Subject and body in one text of at most `limit` characters; a drill's mark said once, up front."""
    prefix = exercise_prefix()
    if subject.startswith(prefix) and body.startswith(prefix):
        body = body[len(prefix) :]
    return f"{subject} {body}"[:limit]


class ConsoleSmsBackend(SmsBackend):
    """Writes the SMS to the log: the default, until a gateway is configured."""

    def send_text(self, phone: str, text: str, *, key: str) -> None:
        logger.info("SMS to %s (%s): %s", phone, key, text)


class HttpSmsBackend(SmsBackend):
    """A generic HTTP SMS gateway: POST {"to", "text", "id"} as JSON with a bearer token and the
    delivery id also as `Idempotency-Key`; 2xx is sent. A gateway that remembers keys sends a repeat
    (same key) once."""

    def send_text(self, phone: str, text: str, *, key: str) -> None:
        body = json.dumps({"to": phone, "text": text, "id": key}).encode()
        headers = {"Content-Type": "application/json", "Idempotency-Key": key}
        if settings.LINKAGE_SMS_GATEWAY_TOKEN:
            headers["Authorization"] = f"Bearer {settings.LINKAGE_SMS_GATEWAY_TOKEN}"
        _post(settings.LINKAGE_SMS_GATEWAY_URL, body, headers)


class WebhookBackend(Backend):
    """Signed JSON to an endpoint. The receiver checks
    hex(HMAC-SHA256(secret, f"{X-Linkage-Timestamp}.{body}")) == X-Linkage-Signature (after "sha256=")."""

    channel = Channel.WEBHOOK

    def send(self, notification: Notification) -> None:
        endpoint = notification.endpoint
        if endpoint is None or not endpoint.is_active:
            raise DeliveryError("endpoint removed or inactive", retry=False)
        body = json.dumps(
            {"id": notification.pk, "cause": notification.cause, **notification.payload}, ensure_ascii=False
        ).encode()
        timestamp = str(int(time.time()))
        headers = {
            "Content-Type": "application/json",
            "X-Linkage-Delivery": str(notification.pk),
            "X-Linkage-Timestamp": timestamp,
            "X-Linkage-Signature": "sha256=" + sign(endpoint.secret, timestamp, body),
        }
        _post(notification.address or endpoint.url, body, headers)


def sign(secret: str, timestamp: str, body: bytes) -> str:
    return hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect is an answer we do not follow: urllib would re-send as a GET without the body (and
    with our signature or gateway token) to wherever it points."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


_opener = urllib.request.build_opener(_NoRedirects)


def _post(url: str, body: bytes, headers: dict) -> None:
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310 — admin-set URL
    try:
        with _opener.open(request, timeout=settings.LINKAGE_DELIVERY_TIMEOUT) as response:
            response.read(1024)
    except urllib.error.HTTPError as exc:
        if 300 <= exc.code < 400:
            raise DeliveryError(f"HTTP {exc.code} redirect (not followed)", retry=False) from exc
        raise DeliveryError(f"HTTP {exc.code}", retry=exc.code >= 500 or exc.code in (408, 429)) from exc
    except (urllib.error.URLError, OSError) as exc:
        raise DeliveryError(f"{exc.__class__.__name__}: {exc}") from exc


def backends() -> dict[str, Backend]:
    sms = HttpSmsBackend() if settings.LINKAGE_SMS_BACKEND == "http" else ConsoleSmsBackend()
    return {backend.channel: backend for backend in (InAppBackend(), EmailBackend(), sms, WebhookBackend())}
