"""The embedded mode's sweeps: escalation and outbox, every LINKAGE_SWEEP_SECONDS, inside the server
process (no Celery worker or beat there). Same functions as the Celery tasks.

It runs as a task on the ASGI server's event loop that hands each sweep to a worker thread, started
by the first request the server serves; from that thread, live pushes go back through the server's
loop as a request's would.
"""

import asyncio
import logging

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import close_old_connections

logger = logging.getLogger("linkage.escalation")


def sweep_once() -> None:
    from incidents.escalation import escalate_due
    from notifications.tasks import requeue_due

    try:
        moved = escalate_due()
        if moved:
            logger.info("escalated %d task(s)", moved)
        requeue_due()
    finally:
        close_old_connections()


class EmbeddedSweeper:
    def __init__(self, application) -> None:
        self.application = application
        self.task: asyncio.Task | None = None

    async def __call__(self, scope, receive, send):
        if self.task is None and scope["type"] in ("http", "websocket"):
            self.task = asyncio.get_running_loop().create_task(self.run())
        return await self.application(scope, receive, send)

    async def run(self) -> None:
        while True:
            await asyncio.sleep(settings.LINKAGE_SWEEP_SECONDS)
            try:
                await sync_to_async(sweep_once, thread_sensitive=False)()
            except Exception:
                logger.exception("sweep failed; trying again in %s s", settings.LINKAGE_SWEEP_SECONDS)
