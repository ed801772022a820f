"""The embedded mode escalates and delivers with no Redis and no worker processes: the server process
sweeps (same functions as the Celery tasks), Celery tasks run eagerly."""

import json
import os
import subprocess
import sys
import time
import urllib.request

from .processes import ROOT, free_port, wait_for

SETUP = """
from datetime import timedelta
from django.contrib.auth import get_user_model
from django.utils import timezone
from incidents.services import incident_open
incident = incident_open(by=get_user_model().objects.get(username="dispatcher"), kind="building_fire", severity=4,
                         title="embedded")
task = incident.assignments.get(agency__code="km-medical")
due = timezone.now() + timedelta(seconds=1)
type(task).objects.filter(pk=task.pk).update(accept_by=due, next_escalation_at=due)
print(task.pk)
"""

CHECK = """
import json
from incidents.models import Assignment
from notifications.models import Notification
task = Assignment.objects.get(pk=%d)
rows = Notification.objects.filter(cause=f"assignment:{task.pk}:escalation")
print(json.dumps({"level": task.escalation_level,
                  "sent": sorted((n.recipient.username, n.channel) for n in rows if n.status == "sent")}))
"""


def test_a_due_task_escalates_and_is_delivered_in_the_embedded_mode(tmp_path):
    env = {key: value for key, value in os.environ.items() if key not in {"REDIS_URL", "CI"}}
    env.update(
        DATABASE_URL=f"sqlite:///{tmp_path / 'embedded.sqlite3'}",
        LINKAGE_MODE="embedded",
        DJANGO_DEBUG="true",
        LINKAGE_SWEEP_SECONDS="1",
    )

    def manage(*args):
        return subprocess.run(
            [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, check=True
        ).stdout

    manage("migrate", "--noinput", "-v0")
    manage("seed_demo")
    task_id = int(manage("shell", "-c", SETUP).strip().splitlines()[-1])
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        # The first request the server answers starts its sweeper.
        wait_for(lambda: _get(f"http://127.0.0.1:{port}/livez/"), timeout=30, what="the embedded server")
        state = wait_for(
            lambda: (lambda s: s if s["level"] >= 1 and len(s["sent"]) == 3 else None)(
                json.loads(manage("shell", "-c", CHECK % task_id).strip().splitlines()[-1])
            ),
            timeout=30,
            interval=1,
            what="escalation in the embedded mode",
        )
    finally:
        server.terminate()
        server.wait(timeout=10)
    assert state == {
        "level": 1,
        "sent": [["medical_chief", "email"], ["medical_chief", "in_app"], ["medical_chief", "sms"]],
    }


def _get(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1) as response:  # noqa: S310 — our own local server
            return response.status == 200
    except OSError:
        time.sleep(0.2)
        return False
