"""WebSocket authentication: the session cookie (Channels' AuthMiddleware), or `?ticket=<socket ticket>`.

An API client gets a ticket from `POST /api/v1/auth/ws-ticket/` and opens one socket with it within
LINKAGE_WS_TICKET_SECONDS. The long-lived API token never travels in a socket URL (URLs sit in
access logs); a ticket in a log is useless a minute later, and already used.

A ticket is signed (django.core.signing, a salt of its own, so no other signed value of Linkage
passes as one) and carries the user's id and a digest of their password hash and active flag: a
new password or deactivation makes every ticket of theirs worthless at once. A ticket asked for with
an API token also carries a digest of that token. And a random nonce: two tickets asked for in the
same second differ, so a page may open several sockets at once.

The socket a ticket opened keeps its claims (`scope["ws_ticket"]`, with the function that checks
them, `ws_ticket_still_valid`) and checks them again on every
access re-check (linkage/consumers.py): a new password, deactivation, or the token it was asked for
revoked or expired closes it.
"""

import secrets
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.middleware import BaseMiddleware
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.core import signing
from django.core.cache import cache
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from redis.exceptions import RedisError

WS_TICKET_SALT = "linkage.ws-ticket"
_MAX_TICKET_LENGTH = 512


def _access_digest(user) -> str:
    return salted_hmac(WS_TICKET_SALT, f"{user.password}|{user.is_active}").hexdigest()[:24]


def _token_digest(key: str) -> str:
    return salted_hmac(WS_TICKET_SALT, f"token|{key}").hexdigest()[:24]


def ws_ticket_issue(*, user, token=None) -> str:
    """A ticket that opens one socket as `user` within LINKAGE_WS_TICKET_SECONDS (about 150 characters).
    `token`: the API token (DRF Token) the caller asked with, if any; the socket lives only as long as it."""
    claims = {"u": user.pk, "a": _access_digest(user), "n": secrets.token_urlsafe(9)}
    if token is not None:
        claims["t"] = _token_digest(token.key)
    return signing.dumps(claims, salt=WS_TICKET_SALT)


def ws_ticket_still_valid(claims: dict, user) -> bool:
    """Whether what a ticket was issued against still holds for `user` (read afresh): same password
    hash and active flag, and the API token it was asked with (if any) neither revoked nor expired."""
    if not user.is_active or not constant_time_compare(str(claims.get("a", "")), _access_digest(user)):
        return False
    if "t" not in claims:
        return True
    from rest_framework.authtoken.models import Token  # the app registry is ready by now

    from .auth import token_expires  # auth imports the admin forms

    token = Token.objects.filter(user_id=user.pk).first()
    return (
        token is not None
        and constant_time_compare(str(claims["t"]), _token_digest(token.key))
        and timezone.now() < token_expires(token)
    )


def ws_ticket_claims(ticket: str) -> tuple[object, dict] | None:
    """(the active user the ticket names, its claims), or None: tampered, of another purpose, expired,
    already used, the user's password or active flag changed since it was issued, or the token it was
    asked with gone. Never raises on bad input."""
    if not ticket or len(ticket) > _MAX_TICKET_LENGTH:
        return None
    try:
        claims = signing.loads(ticket, salt=WS_TICKET_SALT, max_age=settings.LINKAGE_WS_TICKET_SECONDS)
        user = get_user_model()._default_manager.filter(pk=int(claims["u"]), is_active=True).first()
    except (signing.BadSignature, KeyError, TypeError, ValueError, AttributeError):
        return None
    if user is None or not ws_ticket_still_valid(claims, user):
        return None
    # One socket per ticket: the first to present it wins (the cache is shared by every server process).
    try:
        first_use = cache.add(f"ws-ticket:{ticket.rpartition(':')[2]}", 1, settings.LINKAGE_WS_TICKET_SECONDS + 5)
    except (RedisError, OSError):  # the cache (Redis) is down: so is the channel layer, no socket would work
        return None
    return (user, claims) if first_use else None


def ws_ticket_redeem(ticket: str):
    """The user of `ws_ticket_claims(ticket)`, or None."""
    redeemed = ws_ticket_claims(ticket)
    return redeemed[0] if redeemed else None


class TicketAuthMiddleware(BaseMiddleware):
    """Runs inside AuthMiddlewareStack: a socket without a session may present a ticket instead."""

    async def __call__(self, scope, receive, send):
        user = scope.get("user")
        if user is None or not user.is_authenticated:
            ticket = parse_qs(scope.get("query_string", b"").decode("latin-1")).get("ticket", [""])[0]
            if ticket:
                redeemed = await database_sync_to_async(ws_ticket_claims)(ticket)
                if redeemed:
                    user, claims = redeemed
                    ticket_in_scope = {"claims": claims, "still_valid": ws_ticket_still_valid}
                    scope = {**scope, "user": user, "ws_ticket": ticket_in_scope}
                else:
                    scope = {**scope, "user": AnonymousUser()}
        return await super().__call__(scope, receive, send)
