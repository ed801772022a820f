"""A plain `celery -A linkage.celery:app worker` (no -Q) does all the work: the sweeps and deliveries
routed to the named queues reach it."""

import pytest
from django.conf import settings
from django.db.models import Q

from incidents.models import Assignment
from linkage.celery import app
from notifications.models import Notification
from tests.notifications.processes import CeleryProcesses, OwnRedis, wait_for
from tests.notifications.test_worker_processes import all_sent, open_due


def test_every_routed_queue_is_consumed_by_a_worker_started_without_q():
    consumed = set(app.amqp.queues)  # what a worker with no -Q subscribes to
    routed = {route["queue"] for route in settings.CELERY_TASK_ROUTES.values()}
    assert routed <= consumed
    assert settings.CELERY_TASK_DEFAULT_QUEUE in consumed


class PlainWorker(CeleryProcesses):
    """The worker exactly as the README starts it: no -Q."""

    def start_worker(self) -> None:
        self.worker = self._spawn(
            "worker",
            "worker",
            "--pool=solo",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "-n",
            f"plain{self.started}@%h",
            "-l",
            "INFO",
        )


@pytest.mark.django_db(transaction=True)
@pytest.mark.postgres
@pytest.mark.skipif(not settings.REDIS_URL, reason="needs Redis (set REDIS_URL; CI does)")
def test_a_worker_without_q_escalates_and_delivers(demo, tmp_path):
    redis = OwnRedis()
    redis.start()
    processes = PlainWorker(redis_url=redis.url, logs=tmp_path)
    try:
        processes.start()
        tasks = open_due(demo, in_seconds=1)
        medical = next(task for task in tasks if task.agency.code == "km-medical")
        # The escalation sweep (queue "escalation") ran ...
        wait_for(lambda: Assignment.objects.get(pk=medical.pk).escalation_level >= 1, timeout=30, what="level 1")
        # ... and the deliveries (queue "notifications") were sent, e-mail and SMS included.
        cause = Q(cause=f"assignment:{medical.pk}:escalation", level=1)
        wait_for(lambda: all_sent(cause), timeout=30, what="delivery")
        assert set(Notification.objects.filter(cause).values_list("channel", flat=True)) == {"in_app", "email", "sms"}
    finally:
        processes.stop()
        redis.stop()
