"""/ws/notifications/: a signed-in person's own in-app notifications, live."""

from channels.generic.websocket import AsyncJsonWebsocketConsumer

from .backends import user_group

FORBIDDEN = 4403


class NotificationConsumer(AsyncJsonWebsocketConsumer):
    group: str | None = None

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated or not user.is_active:
            await self.close(code=FORBIDDEN)
            return
        self.group = user_group(user.pk)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()

    async def disconnect(self, code) -> None:
        if self.group is not None:
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive_json(self, content, **kwargs) -> None:
        if isinstance(content, dict) and content.get("type") == "ping":
            await self.send_json({"type": "pong"})

    async def linkage_notification(self, message) -> None:
        await self.send_json({"type": "notification", **message["notification"]})
