"""A drill is never lost on the way out: everything sent for an exercise incident says so, on every
channel — in-app, e-mail, SMS (console and gateway), webhooks — and every page of it shows it."""

import json
import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.core import mail
from django.utils import timezone

from incidents import services
from incidents.escalation import escalate_due
from notifications.backends import sign, user_group
from notifications.models import Notification, WebhookEndpoint
from notifications.tasks import deliver

REASON = "车辆均已出动"


@pytest.fixture
def drill(demo):
    return services.incident_open(
        by=demo.dispatcher, kind="hazmat", severity=3, title="化工园区氯气泄漏演练", exercise=True
    )


@pytest.fixture
def real(demo):
    return services.incident_open(by=demo.dispatcher, kind="hazmat", severity=3, title="化工园区氯气泄漏")


def _decline(demo, incident):
    task = incident.assignments.get(agency__code="km-medical")
    return services.assignment_decline(assignment=task, by=demo.medical_liaison, reason=REASON)


class Receiver(BaseHTTPRequestHandler):
    """An SMS gateway or webhook receiver on this machine: records what it was sent."""

    received: list = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        Receiver.received.append((dict(self.headers), body))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def receiver():
    Receiver.received = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def _send(row) -> None:
    """Through the real delivery task (run here, as the worker would)."""
    assert deliver.apply(args=[row.pk]).get() == "sent"


# --- In-app -----------------------------------------------------------------------------------


def test_in_app_rows_of_a_drill_start_with_the_mark_in_the_sites_language(demo, drill, settings):
    task = _decline(demo, drill)
    row = Notification.objects.get(cause=f"assignment:{task.pk}:declined", recipient=demo.dispatcher, channel="in_app")
    assert row.subject.startswith("【演练】") and row.body.startswith("【演练】")
    assert row.subject.count("演练】") == 1 and REASON in row.body

    settings.LANGUAGE_CODE = "en"
    other = services.assignment_decline(
        assignment=drill.assignments.get(agency__code="km-fire"), by=demo.fire_liaison, reason="no crew"
    )
    row = Notification.objects.get(cause=f"assignment:{other.pk}:declined", recipient=demo.dispatcher, channel="in_app")
    assert row.subject.startswith("[EXERCISE] Declined: ") and row.body.startswith("[EXERCISE] ")


def test_the_live_in_app_push_carries_the_marked_text(demo, drill):
    task = _decline(demo, drill)
    row = Notification.objects.get(cause=f"assignment:{task.pk}:declined", recipient=demo.dispatcher, channel="in_app")
    layer = get_channel_layer()

    async def listen():
        channel = await layer.new_channel()
        await layer.group_add(user_group(demo.dispatcher.pk), channel)
        return channel

    channel = async_to_sync(listen)()
    _send(row)
    heard = async_to_sync(layer.receive)(channel)
    assert heard["notification"]["subject"].startswith("【演练】")


def test_a_real_incidents_notices_are_not_marked(demo, real, receiver):
    WebhookEndpoint.objects.create(name="119", url=receiver + "/hook", secret="s")
    task = _decline(demo, real)
    row = Notification.objects.get(cause=f"assignment:{task.pk}:declined", recipient=demo.dispatcher, channel="in_app")
    assert "演练" not in row.subject and "演练" not in row.body
    _send(Notification.objects.get(channel="webhook"))
    payload = json.loads(Receiver.received[0][1])
    assert payload["exercise"] is False and payload["incident"]["exercise"] is False


# --- E-mail -----------------------------------------------------------------------------------


def test_email_subject_and_body_start_with_the_mark(demo, drill, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    task = _decline(demo, drill)
    _send(Notification.objects.get(cause=f"assignment:{task.pk}:declined", recipient=demo.dispatcher, channel="email"))
    [message] = mail.outbox
    assert message.subject.startswith("【演练】") and message.body.startswith("【演练】")
    assert REASON in message.body and message.to == ["dispatcher@linkage.invalid"]


# --- SMS --------------------------------------------------------------------------------------


def _close(demo, incident):
    services.incident_contain(incident=incident, by=demo.commander)
    services.incident_close(incident=incident, by=demo.commander)
    task = incident.assignments.get(agency__code="km-fire")
    return Notification.objects.get(cause=f"assignment:{task.pk}:cancelled", channel="sms")


def test_console_sms_says_it_is_a_drill_once_up_front(demo, drill, caplog):
    sms = _close(demo, drill)
    with caplog.at_level(logging.INFO, logger="linkage.notifications"):
        _send(sms)
    [line] = [record.getMessage() for record in caplog.records if record.getMessage().startswith("SMS to")]
    text = line.split(": ", 1)[1]
    assert text.startswith("【演练】任务已取消") and text.count("演练】") == 1


def test_gateway_sms_text_starts_with_the_mark(demo, drill, receiver, settings):
    settings.LINKAGE_SMS_BACKEND = "http"
    settings.LINKAGE_SMS_GATEWAY_URL = receiver + "/send"
    sms = _close(demo, drill)
    _send(sms)
    [(_headers, body)] = Receiver.received
    sent = json.loads(body)
    assert sent["to"] == sms.address
    assert sent["text"].startswith("【演练】") and sent["text"].count("演练】") == 1 and drill.reference in sent["text"]


# --- Webhooks -----------------------------------------------------------------------------------


def test_webhook_json_says_exercise_true_for_declines_cancellations_and_escalations(demo, drill, receiver):
    endpoint = WebhookEndpoint.objects.create(name="119", url=receiver + "/hook", secret="shh")
    _decline(demo, drill)
    drill.assignments.filter(agency__code="km-fire").update(next_escalation_at=timezone.now())
    assert escalate_due() == 1
    for row in Notification.objects.filter(channel="webhook").order_by("pk"):
        _send(row)  # before the cancel, which withdraws escalation notices not yet sent
    services.incident_cancel(incident=drill, by=demo.dispatcher, reason="演练结束")
    for row in Notification.objects.filter(channel="webhook", status="queued").order_by("pk"):
        _send(row)
    bodies = [json.loads(body) for _headers, body in Receiver.received]
    assert {body["type"] for body in bodies} == {"assignment.declined", "assignment.escalated", "assignment.cancelled"}
    assert all(body["exercise"] is True and body["incident"]["exercise"] is True for body in bodies)
    headers, body = Receiver.received[0]
    assert headers["X-Linkage-Signature"] == "sha256=" + sign(endpoint.secret, headers["X-Linkage-Timestamp"], body)


def test_escalation_notices_of_a_drill_are_marked(demo, drill):
    drill.assignments.filter(agency__code="km-fire").update(next_escalation_at=timezone.now())
    assert escalate_due() == 1
    rows = Notification.objects.filter(cause__endswith=":escalation").exclude(channel="webhook")
    assert rows.exists()
    assert all(row.subject.startswith("【演练】") and row.body.startswith("【演练】") for row in rows)


# --- Pages --------------------------------------------------------------------------------------


def test_every_page_of_a_drill_shows_it(client, demo, drill, real):
    client.force_login(demo.commander)
    html = client.get(f"/incidents/{drill.pk}/").content.decode()
    assert 'class="exercise-banner"' in html and "演练" in html and 'class="exercise-page"' in html
    assert 'class="exercise-banner"' not in client.get(f"/incidents/{real.pk}/").content.decode()
    board = client.get("/board/").content.decode()
    assert board.count('class="drill-band"') == 1  # the drill's entry, not the real incident's
    client.force_login(demo.fire_liaison)
    assert client.get("/dashboard/").content.decode().count('class="drill-band"') == 1
