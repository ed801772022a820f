"""Escalation and delivery with real processes: a Celery worker and beat (subprocesses) against the
test database on PostgreSQL and a real Redis — killed, restarted and cut off as in production."""

import hashlib
import hmac
import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.conf import settings
from django.db.models import Count, Q
from django.utils import timezone

from incidents import services
from incidents.models import Assignment, TimelineKind
from notifications.models import Notification, WebhookEndpoint
from notifications.tasks import deliver

from .processes import CeleryProcesses, OwnRedis, wait_for

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.postgres,
    pytest.mark.skipif(not settings.REDIS_URL, reason="needs Redis (set REDIS_URL; CI does)"),
]


@pytest.fixture
def processes(demo, tmp_path):
    """Worker and beat on the suite's own Redis; stopped before the database is flushed."""
    made = CeleryProcesses(redis_url=settings.REDIS_URL, logs=tmp_path)
    yield made
    made.stop()


def open_due(demo, *, in_seconds: float, interval: int = 3600, title: str = "居民楼起火") -> list[Assignment]:
    """A level IV building fire whose two tasks (fire, medical) fall due `in_seconds` from now."""
    incident = services.incident_open(by=demo.dispatcher, kind="building_fire", severity=4, title=title)
    due = timezone.now() + timedelta(seconds=in_seconds)
    tasks = list(incident.assignments.all())
    for task in tasks:
        plan = {**task.escalation_snapshot, "interval_seconds": interval}
        Assignment.objects.filter(pk=task.pk).update(accept_by=due, next_escalation_at=due, escalation_snapshot=plan)
        task.refresh_from_db()
    return tasks


def all_sent(cause_filter: Q) -> bool:
    rows = Notification.objects.filter(cause_filter)
    return rows.exists() and not rows.exclude(status="sent").exists()


def assert_exactly_once(tasks: list[Assignment]) -> None:
    for task in tasks:
        task.refresh_from_db()
        assert task.escalation_level == 1, task
        entries = task.incident.timeline.filter(kind=TimelineKind.ASSIGNMENT_ESCALATED, assignment=task)
        assert entries.count() == 1, task
    rows = Notification.objects.filter(cause__in=[f"assignment:{task.pk}:escalation" for task in tasks])
    assert rows.count() == 3 * len(tasks)  # the duty chief: in-app, e-mail, SMS
    assert set(rows.values_list("status", flat=True)) == {"sent"}
    oks = rows.annotate(ok=Count("delivery_attempts", filter=Q(delivery_attempts__ok=True)))
    assert sorted(set(oks.values_list("ok", flat=True))) == [1]


def test_an_unaccepted_task_reaches_level_one_in_time_and_accepting_stops_it(demo, processes):
    processes.start()
    fire, medical = sorted(open_due(demo, in_seconds=2, interval=2), key=lambda task: task.agency.code)
    due = timezone.now() + timedelta(seconds=2)
    wait_for(lambda: Assignment.objects.get(pk=medical.pk).escalation_level >= 1, timeout=30, what="level 1")
    medical.refresh_from_db()
    # Within the sweep interval (1 s) plus 2 s of the deadline.
    assert medical.escalated_at - medical.accept_by <= timedelta(seconds=1 + 2), medical.escalated_at - due
    wait_for(lambda: all_sent(Q(cause=f"assignment:{medical.pk}:escalation", level=1)), timeout=20, what="delivery")
    told = Notification.objects.filter(cause=f"assignment:{medical.pk}:escalation", level=1)
    assert {(row.recipient.username, row.channel) for row in told} == {
        ("medical_chief", "in_app"),
        ("medical_chief", "email"),
        ("medical_chief", "sms"),
    }

    services.assignment_accept(assignment=medical, by=demo.medical_liaison)
    # The fire task, not accepted, goes on to level 2 (interval 2 s) while the accepted one stays put.
    wait_for(lambda: Assignment.objects.get(pk=fire.pk).escalation_level >= 2, timeout=30, what="fire level 2")
    medical.refresh_from_db()
    assert medical.escalation_level == 1 and medical.next_escalation_at is None
    assert not Notification.objects.filter(cause=f"assignment:{medical.pk}:escalation", level=2).exists()


def test_a_worker_killed_while_escalations_are_due_loses_and_doubles_nothing(demo, processes):
    tasks = [task for number in range(15) for task in open_due(demo, in_seconds=1, title=f"火情 {number}")]
    processes.start()
    wait_for(lambda: Notification.objects.exists(), timeout=30, what="the first escalation")
    processes.kill_worker()  # SIGKILL, mid-work
    processes.start_worker()
    causes = Q(cause__in=[f"assignment:{task.pk}:escalation" for task in tasks])
    wait_for(
        lambda: Notification.objects.filter(causes).count() == 3 * len(tasks) and all_sent(causes),
        timeout=60,
        what="every escalation delivered",
    )
    assert_exactly_once(tasks)


def test_escalations_due_while_redis_is_down_happen_when_it_returns(demo, tmp_path):
    redis = OwnRedis()
    redis.start()
    processes = CeleryProcesses(redis_url=redis.url, logs=tmp_path)
    try:
        processes.start()
        tasks = open_due(demo, in_seconds=2) + open_due(demo, in_seconds=2, title="仓库起火")
        redis.stop()  # before they fall due
        wait_for(lambda: timezone.now() > tasks[0].accept_by + timedelta(seconds=3), timeout=10, what="time")
        assert not Notification.objects.exists()
        redis.start()
        causes = Q(cause__in=[f"assignment:{task.pk}:escalation" for task in tasks])
        wait_for(
            lambda: Notification.objects.filter(causes).count() == 12 and all_sent(causes),
            timeout=90,
            what="escalations after Redis returned",
        )
        assert_exactly_once(tasks)
    finally:
        processes.stop()
        redis.stop()


def test_the_same_delivery_message_twice_sends_once(demo, processes):
    [fire, _medical] = open_due(demo, in_seconds=3600)
    Assignment.objects.filter(pk=fire.pk).update(next_escalation_at=timezone.now())
    processes.start_worker()  # no beat: only the messages sent here
    from incidents.escalation import escalate_due

    escalate_due()  # rows made here; their own delivery messages go to the worker as well
    row = Notification.objects.get(cause=f"assignment:{fire.pk}:escalation", channel="email")
    for _copy in range(3):
        deliver.apply_async((row.pk,))
    wait_for(lambda: all_sent(Q(cause=row.cause)), timeout=30, what="delivery")
    wait_for(lambda: True, timeout=1)
    row.refresh_from_db()
    assert row.attempts == 1 and row.delivery_attempts.count() == 1


class Receiver(BaseHTTPRequestHandler):
    """A 119 system's webhook endpoint: checks the signature; answers 500 the first time."""

    calls: list = []
    secret = "s3cret-119"

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        timestamp = self.headers["X-Linkage-Timestamp"]
        expected = hmac.new(self.secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
        signed = hmac.compare_digest(self.headers["X-Linkage-Signature"], f"sha256={expected}")
        Receiver.calls.append(
            {"signed": signed, "delivery": self.headers["X-Linkage-Delivery"], "body": json.loads(body)}
        )
        self.send_response(500 if len(Receiver.calls) == 1 else 200)
        self.end_headers()

    def log_message(self, *args):
        pass


def test_a_webhook_receiver_verifies_the_signature_and_sees_the_retry_after_a_500(demo, processes):
    Receiver.calls = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        WebhookEndpoint.objects.create(
            name="119",
            url=f"http://127.0.0.1:{server.server_port}/hook",
            secret=Receiver.secret,
            events=["assignment.escalated"],
        )
        processes.start()
        open_due(demo, in_seconds=1)
        wait_for(
            lambda: Notification.objects.filter(channel="webhook", status="sent").count() == 2,
            timeout=60,
            what="both webhooks delivered",
        )
    finally:
        server.shutdown()
    assert all(call["signed"] for call in Receiver.calls)
    assert len(Receiver.calls) == 3  # one 500, then its retry, and the other task's
    first = Receiver.calls[0]
    assert [call["delivery"] for call in Receiver.calls].count(first["delivery"]) == 2  # the same delivery, retried
    assert first["body"]["type"] == "assignment.escalated" and first["body"]["assignment"]["escalation_level"] == 1
    retried = Notification.objects.get(pk=int(first["delivery"]))
    assert [(attempt.ok, attempt.error) for attempt in retried.delivery_attempts.all()] == [
        (False, "HTTP 500"),
        (True, ""),
    ]
