"""The SMS gateway backend and the settings that switch it on."""

import json
import os
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from notifications.models import Notification
from notifications.services import Recipient, notify
from notifications.tasks import deliver_now

from .processes import ROOT


class Gateway(BaseHTTPRequestHandler):
    received: list = []

    def do_POST(self):
        Gateway.received.append(
            (self.headers["Authorization"], json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
        )
        self.send_response(202)
        self.end_headers()

    def log_message(self, *args):
        pass


def test_http_sms_gateway_gets_the_number_and_text_with_its_token(demo, settings):
    Gateway.received = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Gateway)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    settings.LINKAGE_SMS_BACKEND = "http"
    settings.LINKAGE_SMS_GATEWAY_URL = f"http://127.0.0.1:{server.server_port}/send"
    settings.LINKAGE_SMS_GATEWAY_TOKEN = "gw-token"
    try:
        notify(
            cause="t:1",
            level=1,
            recipients=[Recipient(demo.fire_chief, "13800000001")],
            subject="未接受",
            body="请处理",
        )
        sms = Notification.objects.get(channel="sms")
        assert deliver_now(sms.pk) == "sent"
    finally:
        server.shutdown()
    key = f"linkage-notification-{sms.pk}-{int(sms.created_at.timestamp())}"  # the delivery id
    assert Gateway.received == [("Bearer gw-token", {"to": "13800000001", "text": "未接受 请处理", "id": key})]


def test_an_http_sms_backend_without_a_gateway_url_refuses_to_start():
    env = {**os.environ, "LINKAGE_SMS_BACKEND": "http", "LINKAGE_SMS_GATEWAY_URL": ""}
    result = subprocess.run([sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True)
    assert result.returncode != 0
    assert "LINKAGE_SMS_BACKEND=http needs LINKAGE_SMS_GATEWAY_URL" in result.stderr


class Redirector(BaseHTTPRequestHandler):
    seen: list = []

    def do_POST(self):
        Redirector.seen.append(("POST", self.path, self.headers.get("Authorization")))
        self.send_response(302)
        self.send_header("Location", "/elsewhere")
        self.end_headers()

    def do_GET(self):
        Redirector.seen.append(("GET", self.path, self.headers.get("Authorization")))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


def test_a_redirect_is_a_failed_delivery_not_followed_with_our_token(demo, settings):
    Redirector.seen = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Redirector)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    settings.LINKAGE_SMS_BACKEND = "http"
    settings.LINKAGE_SMS_GATEWAY_URL = f"http://127.0.0.1:{server.server_port}/send"
    settings.LINKAGE_SMS_GATEWAY_TOKEN = "gw-token"
    try:
        notify(cause="t:2", level=1, recipients=[Recipient(demo.fire_chief, "13800000001")], subject="s", body="b")
        sms = Notification.objects.get(channel="sms")
        assert deliver_now(sms.pk).startswith("failed: HTTP 302")
    finally:
        server.shutdown()
    assert Redirector.seen == [("POST", "/send", "Bearer gw-token")]  # nothing followed
    sms.refresh_from_db()
    assert sms.status == "failed"
