"""Every SMS and e-mail carries its notification's delivery id, the same on every attempt, so the
repeat that at-least-once delivery sometimes makes (a timeout after the gateway took the message, a
worker killed before it recorded "sent") is recognisable as a repeat and not a new message."""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core import mail
from django.utils import timezone

from notifications.backends import delivery_id
from notifications.models import Notification, NotificationStatus
from notifications.services import Recipient, notify
from notifications.tasks import deliver_now


class DedupingGateway(BaseHTTPRequestHandler):
    """An SMS gateway that honours Idempotency-Key (as the contract in docs/security.md asks): a key it
    has seen is answered 200 again and not sent again. The first request can be made slower than
    Linkage's timeout: taken and sent, but Linkage never hears so."""

    requests: list = []
    sent: dict = {}
    slow_first = False

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        key = self.headers["Idempotency-Key"]
        DedupingGateway.requests.append((key, body))
        if key not in DedupingGateway.sent:
            DedupingGateway.sent[key] = body
        if DedupingGateway.slow_first and len(DedupingGateway.requests) == 1:
            time.sleep(1.5)
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def gateway(settings):
    DedupingGateway.requests, DedupingGateway.sent, DedupingGateway.slow_first = [], {}, False
    server = ThreadingHTTPServer(("127.0.0.1", 0), DedupingGateway)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    settings.LINKAGE_SMS_BACKEND = "http"
    settings.LINKAGE_SMS_GATEWAY_URL = f"http://127.0.0.1:{server.server_port}/send"
    settings.LINKAGE_DELIVERY_TIMEOUT = 1
    yield DedupingGateway
    server.shutdown()


def tell(demo, cause: str, channel: str) -> Notification:
    notify(
        cause=cause,
        level=1,
        recipients=[Recipient(demo.fire_chief, "13800000001")],
        subject="未接受",
        body="请处理",
    )
    return Notification.objects.get(cause=cause, channel=channel)


def make_due(notification: Notification) -> None:
    Notification.objects.filter(pk=notification.pk).update(next_attempt_at=timezone.now())


def test_an_sms_retried_after_a_timeout_reaches_the_phone_once(demo, gateway):
    gateway.slow_first = True
    sms = tell(demo, "t:ids:1", "sms")
    assert deliver_now(sms.pk).startswith("failed: TimeoutError")  # taken, but answered after our timeout
    make_due(sms)
    assert deliver_now(sms.pk) == "sent"

    key = delivery_id(sms)
    assert [request_key for request_key, _body in gateway.requests] == [key, key]
    assert [body["id"] for _key, body in gateway.requests] == [key, key]
    assert gateway.sent == {key: {"to": "13800000001", "text": "未接受 请处理", "id": key}}  # one SMS


def test_two_notifications_never_share_a_delivery_id(demo, gateway):
    first, second = tell(demo, "t:ids:a", "sms"), tell(demo, "t:ids:b", "sms")
    assert deliver_now(first.pk) == "sent" and deliver_now(second.pk) == "sent"
    assert len(gateway.sent) == 2
    assert delivery_id(first) == f"linkage-notification-{first.pk}-{int(first.created_at.timestamp())}"


def test_an_email_sent_twice_is_the_same_message_to_mail_systems(demo, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.DEFAULT_FROM_EMAIL = "Linkage <linkage@km.example.org>"
    email = tell(demo, "t:ids:mail", "email")
    other = Notification.objects.create(
        cause="t:ids:other",
        level=1,
        channel="email",
        recipient=demo.fire_chief,
        address="x@linkage.invalid",
        subject="s",
    )
    assert deliver_now(email.pk) == "sent"
    # The worker died before its commit: the row is still queued, and the mail goes out again.
    Notification.objects.filter(pk=email.pk).update(status=NotificationStatus.QUEUED)
    assert deliver_now(email.pk) == "sent"
    assert deliver_now(other.pk) == "sent"

    ids = [message.message()["Message-ID"] for message in mail.outbox]
    assert ids[0] == ids[1] == f"<{delivery_id(email)}@km.example.org>"
    assert ids[2] == f"<{delivery_id(other)}@km.example.org>"
