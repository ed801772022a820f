"""WebSocket authentication: the session cookie (Channels' AuthMiddleware), or `?ticket=<socket ticket>`.

An API client gets a ticket from `POST /api/v1/auth/ws-ticket/` and opens one socket with it within
LINKAGE_WS_TICKET_SECONDS. The long-lived API token never travels in a socket URL (URLs sit in
access logs); a ticket in a log is useless a minute later, and already used.

A ticket is signed (django.core.signing, a salt of its own, so no other signed value of Linkage
passes as one) and carries the user's id and a digest of their password hash and active flag: a
new password or deactivation makes every ticket of theirs worthless at once.
"""

from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.middleware import BaseMiddleware
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.core import signing
from django.core.cache import cache
from django.utils.crypto import constant_time_compare, salted_hmac
from redis.exceptions import RedisError

WS_TICKET_SALT = "linkage.ws-ticket"
_MAX_TICKET_LENGTH = 512


def _access_digest(user) -> str:
    return salted_hmac(WS_TICKET_SALT, f"{user.password}|{user.is_active}").hexdigest()[:24]


def ws_ticket_issue(*, user) -> str:
    """A ticket that opens one socket as `user` within LINKAGE_WS_TICKET_SECONDS (about 100 characters)."""
    return signing.dumps({"u": user.pk, "a": _access_digest(user)}, salt=WS_TICKET_SALT)


def ws_ticket_redeem(ticket: str):
    """The active user the ticket names, or None: tampered, of another purpose, expired, already used,
    or the user's password or active flag changed since it was issued. Never raises on bad input."""
    if not ticket or len(ticket) > _MAX_TICKET_LENGTH:
        return None
    try:
        claims = signing.loads(ticket, salt=WS_TICKET_SALT, max_age=settings.LINKAGE_WS_TICKET_SECONDS)
        user = get_user_model()._default_manager.filter(pk=int(claims["u"]), is_active=True).first()
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return None
    if user is None or not constant_time_compare(str(claims.get("a", "")), _access_digest(user)):
        return None
    # One socket per ticket: the first to present it wins (the cache is shared by every server process).
    try:
        first_use = cache.add(f"ws-ticket:{ticket.rpartition(':')[2]}", 1, settings.LINKAGE_WS_TICKET_SECONDS + 5)
    except (RedisError, OSError):  # the cache (Redis) is down: so is the channel layer, no socket would work
        return None
    return user if first_use else None


class TicketAuthMiddleware(BaseMiddleware):
    """Runs inside AuthMiddlewareStack: a socket without a session may present a ticket instead."""

    async def __call__(self, scope, receive, send):
        user = scope.get("user")
        if user is None or not user.is_authenticated:
            ticket = parse_qs(scope.get("query_string", b"").decode("latin-1")).get("ticket", [""])[0]
            if ticket:
                scope = {**scope, "user": await database_sync_to_async(ws_ticket_redeem)(ticket) or AnonymousUser()}
        return await super().__call__(scope, receive, send)
