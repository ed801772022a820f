"""/ws/notifications/: a signed-in person's own in-app notifications, live."""

from linkage.consumers import GroupConsumer

from .backends import user_group


class NotificationConsumer(GroupConsumer):
    def group_for(self, user) -> str | None:
        return user_group(user.pk)

    async def linkage_notification(self, message) -> None:
        if not self.ended:
            await self.send_json({"type": "notification", **message["notification"]})
