"""/ws/notifications/: your own in-app notifications, live, and nobody else's."""

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async

from notifications.models import Notification
from notifications.services import Recipient, notify
from notifications.tasks import deliver_now
from tests.sockets import connects, headers, socket

pytestmark = [
    pytest.mark.django_db(transaction=True),
]


def test_anonymous_is_refused():
    assert connects("/ws/notifications/") == (False, 4403)


def test_a_person_hears_their_own_in_app_notifications_only(demo):
    chief, liaison = headers(demo.fire_chief), headers(demo.fire_liaison)

    def tell_and_deliver():
        notify(cause="t:ws", level=1, recipients=[Recipient(demo.fire_chief)], subject="未接受", body="请处理")
        deliver_now(Notification.objects.get(cause="t:ws", channel="in_app").pk)

    async def scenario():
        mine, theirs = socket("/ws/notifications/", chief), socket("/ws/notifications/", liaison)
        assert (await mine.connect(timeout=3))[0] and (await theirs.connect(timeout=3))[0]
        await database_sync_to_async(tell_and_deliver)()
        heard = await mine.receive_json_from(timeout=3)
        quiet = await theirs.receive_nothing(timeout=0.5)
        await mine.disconnect()
        await theirs.disconnect()
        return heard, quiet

    heard, quiet = async_to_sync(scenario)()
    assert quiet is True
    assert heard["type"] == "notification" and heard["subject"] == "未接受" and heard["level"] == 1
