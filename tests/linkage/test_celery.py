"""The Celery app's configuration for reliability."""

from django.conf import settings

from linkage.celery import app


def our_tasks() -> list[str]:
    app.loader.import_default_modules()
    return sorted(
        name for name in app.tasks if name.split(".")[0] in {"incidents", "notifications", "agencies", "linkage"}
    )


def test_every_task_has_an_explicit_route():
    tasks = our_tasks()
    assert {"incidents.escalation_sweep", "notifications.deliver", "notifications.outbox_sweep"} <= set(tasks)
    assert [name for name in tasks if name not in settings.CELERY_TASK_ROUTES] == []


def test_tasks_are_acknowledged_late_and_requeued_when_a_worker_dies():
    assert app.conf.task_acks_late is True
    assert app.conf.task_reject_on_worker_lost is True
    assert app.conf.worker_prefetch_multiplier == 1
    assert app.conf.task_time_limit and app.conf.task_soft_time_limit < app.conf.task_time_limit


def test_beat_sweeps_every_few_seconds_and_drops_stale_sweeps():
    schedule = app.conf.beat_schedule
    assert {entry["task"] for entry in schedule.values()} == {
        "incidents.escalation_sweep",
        "notifications.outbox_sweep",
    }
    for entry in schedule.values():
        assert entry["schedule"] <= 10 and entry["options"]["expires"] >= entry["schedule"]
