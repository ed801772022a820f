"""The shape every Linkage socket shares: decide a group from the signed-in user (or refuse), join it,
forward what the group is sent, answer pings — and stop when access ends.

Access is checked at the handshake, and again:
- at once when the server is told the user's access changed (a membership deleted or deactivated,
  the user deactivated, a role group taken away: agencies/signals.py sends "linkage.access" to the
  user's `access_group` after commit);
- every LINKAGE_SOCKET_RECHECK_SECONDS, for changes no signal saw (a queryset .update(), a raw SQL
  fix, a session ended by logging out elsewhere); and the socket lives at most
  LINKAGE_SOCKET_MAX_SECONDS, then closes with RENEW and the page reconnects (and so is checked
  afresh, handshake included).
A socket whose user may no longer have its group, or whose session is gone or belongs to an old
password, or whose ticket was issued against an old password or a revoked or expired API token, closes
with FORBIDDEN and hears nothing more.
"""

import asyncio
import logging
import random
from importlib import import_module

from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from channels.layers import get_channel_layer
from django.conf import settings
from django.contrib.auth import HASH_SESSION_KEY, SESSION_KEY, get_user_model
from django.utils.crypto import constant_time_compare

from .parsers import loads_limited

logger = logging.getLogger(__name__)

# Close codes: the 4000s are the application's own (RFC 6455 §7.4.2). The pages reload on FORBIDDEN
# after having been open (what they may show has changed) and reconnect at once on RENEW.
FORBIDDEN = 4403  # not allowed (at the handshake), or no longer allowed
BAD_FRAME = 4400  # the client sent something that is not a JSON text frame
RENEW = 4000  # the socket reached its lifetime: reconnect
NOT_FOUND = 4404  # no socket at this path
# The largest frame a client has reason to send is a ping.
MAX_FRAME_CHARS = 4096
ACCESS_MESSAGE = "linkage.access"


def access_group(user_id: int) -> str:
    """The channel-layer group every socket of one user joins, so the server can tell them all to
    check their access again (`sockets_recheck`)."""
    return f"access.{user_id}"


def sockets_recheck(user_ids) -> None:
    """Tell every open socket of these users to check its access now. Call it after commit (it sends
    at once). A channel layer that is down costs the prompt close, not the change: the periodic
    re-check still closes those sockets within LINKAGE_SOCKET_RECHECK_SECONDS."""
    user_ids = sorted({user_id for user_id in user_ids if user_id is not None})
    layer = get_channel_layer()
    if layer is None or not user_ids:
        return
    try:
        async_to_sync(_send_recheck)(layer, user_ids)
    except Exception:
        logger.warning("socket access re-check not sent to users %s", user_ids, exc_info=True)


async def _send_recheck(layer, user_ids) -> None:
    await asyncio.gather(*(layer.group_send(access_group(user_id), {"type": ACCESS_MESSAGE}) for user_id in user_ids))


def _session_key_of(scope, user) -> str | None:
    """The session key if this socket was signed in by its session cookie (not by a ticket)."""
    session = scope.get("session")
    key = getattr(session, "session_key", None)
    if key and str(session.get(SESSION_KEY)) == str(user.pk):
        return key
    return None


def _credential_still_valid(session_key: str | None, ticket: dict | None, user) -> bool:
    """Whatever signed this socket in still holds. A session: as Django checks one on every request (it
    still exists, names this user, carries the hash of their current password). A ticket: what it was
    issued against (password hash, active flag, the API token it was asked with; linkage/ws_auth.py).
    Neither (cannot happen after a handshake): no."""
    if session_key is None:
        # {"claims", "still_valid"} put in the scope by linkage.ws_auth (a layer above this module)
        return ticket is not None and ticket["still_valid"](ticket["claims"], user)
    data = import_module(settings.SESSION_ENGINE).SessionStore(session_key=session_key).load()
    stored = data.get(HASH_SESSION_KEY)
    return (
        str(data.get(SESSION_KEY)) == str(user.pk)
        and stored is not None
        and constant_time_compare(stored, user.get_session_auth_hash())
    )


class GroupConsumer(AsyncJsonWebsocketConsumer):
    group: str | None = None
    user_id: int | None = None
    session_key: str | None = None
    ticket: dict | None = None  # the ticket that opened this socket, if one did (linkage/ws_auth.py)
    ended: bool = False
    _watch: asyncio.Task | None = None

    async def connect(self) -> None:
        user = self.scope.get("user")
        group = None
        if user is not None and user.is_authenticated and user.is_active:
            group = await database_sync_to_async(self.group_for)(user)
        if group is None:
            await self.close(code=FORBIDDEN)
            return
        self.group, self.user_id = group, user.pk
        self.session_key = await database_sync_to_async(_session_key_of)(self.scope, user)
        self.ticket = self.scope.get("ws_ticket")
        await self.channel_layer.group_add(access_group(user.pk), self.channel_name)
        await self.channel_layer.group_add(group, self.channel_name)
        await self.accept()
        self._watch = asyncio.create_task(self._watch_access())

    async def disconnect(self, code) -> None:
        if self._watch is not None and self._watch is not asyncio.current_task():
            self._watch.cancel()
        await self._leave()

    async def _leave(self) -> None:
        if self.group is not None:
            await self.channel_layer.group_discard(self.group, self.channel_name)
            await self.channel_layer.group_discard(access_group(self.user_id), self.channel_name)
            self.group = None

    async def end(self, code: int) -> None:
        """Close from the server side and hear nothing more, whatever is already queued."""
        if self.ended:
            return
        self.ended = True
        await self._leave()
        await self.close(code=code)

    async def _watch_access(self) -> None:
        """Re-check every LINKAGE_SOCKET_RECHECK_SECONDS; end with RENEW after the lifetime (shortened
        by up to a tenth at random, so sockets opened together do not all reconnect together)."""
        loop = asyncio.get_running_loop()
        lifetime = settings.LINKAGE_SOCKET_MAX_SECONDS * random.uniform(0.9, 1.0)  # noqa: S311 — spread only
        deadline = loop.time() + lifetime
        every = settings.LINKAGE_SOCKET_RECHECK_SECONDS
        try:
            while not self.ended:
                left = deadline - loop.time()
                if left <= 0:
                    await self.end(RENEW)
                    return
                await asyncio.sleep(min(every, left))
                if loop.time() < deadline:
                    await self.recheck()
        except asyncio.CancelledError:
            raise
        except Exception:  # a database hiccup must not leave a socket unchecked for good
            logger.warning("socket access re-check failed; closing it for a fresh handshake", exc_info=True)
            await self.end(RENEW)

    async def recheck(self) -> None:
        """Close with FORBIDDEN unless the user (read afresh) still gets the same group, and the session
        that opened the socket (if one did) is still theirs and valid."""
        if self.ended or self.group is None:
            return
        group = await database_sync_to_async(self._group_now)()
        if group != self.group:
            await self.end(FORBIDDEN)

    def _group_now(self) -> str | None:
        user = get_user_model()._default_manager.filter(pk=self.user_id, is_active=True).first()
        if user is None or not _credential_still_valid(self.session_key, self.ticket, user):
            return None
        return self.group_for(user)

    async def linkage_access(self, message) -> None:
        """The server says this user's access changed: check now."""
        await self.recheck()

    async def receive(self, text_data=None, bytes_data=None, **kwargs) -> None:
        """Only small JSON text frames are read; anything else closes the socket with BAD_FRAME."""
        if text_data is None or len(text_data) > MAX_FRAME_CHARS:
            await self.end(BAD_FRAME)
            return
        try:
            content = loads_limited(text_data, max_depth=4)
        except ValueError:
            await self.end(BAD_FRAME)
            return
        await self.receive_json(content, **kwargs)

    async def receive_json(self, content, **kwargs) -> None:
        """A client may ping to keep proxies from closing an idle socket; nothing else is read."""
        if isinstance(content, dict) and content.get("type") == "ping" and not self.ended:
            await self.send_json({"type": "pong"})

    def group_for(self, user) -> str | None:
        """The group this user's socket joins, or None to refuse it (runs in a thread: may query).
        Called at the handshake and at every re-check, with the user read afresh."""
        raise NotImplementedError


class NoSuchSocket(AsyncJsonWebsocketConsumer):
    """Every path no route takes (and ids that cannot be ids): refused with NOT_FOUND, where the
    router would raise and the server drop the connection with an error."""

    async def connect(self) -> None:
        await self.close(code=NOT_FOUND)
