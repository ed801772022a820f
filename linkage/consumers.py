"""The shape every Linkage socket shares: decide a group from the signed-in user (or refuse), join it,
forward what the group is sent, answer pings. Apps say only which group."""

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

# Close code for "not allowed": the 4000s are the application's own (RFC 6455 §7.4.2).
FORBIDDEN = 4403


class GroupConsumer(AsyncJsonWebsocketConsumer):
    group: str | None = None

    async def connect(self) -> None:
        user = self.scope.get("user")
        group = None
        if user is not None and user.is_authenticated and user.is_active:
            group = await database_sync_to_async(self.group_for)(user)
        if group is None:
            await self.close(code=FORBIDDEN)
            return
        self.group = group
        await self.channel_layer.group_add(group, self.channel_name)
        await self.accept()

    async def disconnect(self, code) -> None:
        if self.group is not None:
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive_json(self, content, **kwargs) -> None:
        """A client may ping to keep proxies from closing an idle socket; nothing else is read."""
        if isinstance(content, dict) and content.get("type") == "ping":
            await self.send_json({"type": "pong"})

    def group_for(self, user) -> str | None:
        """The group this user's socket joins, or None to refuse it (runs in a thread: may query)."""
        raise NotImplementedError
