"""WebSocket authentication: the session cookie (Channels' AuthMiddleware), or `?token=<api token>`."""

from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.middleware import BaseMiddleware
from django.contrib.auth.models import AnonymousUser


@database_sync_to_async
def _user_for_token(key: str):
    from rest_framework.authtoken.models import Token

    token = Token.objects.select_related("user").filter(key=key).first()
    if token is None or not token.user.is_active:
        return AnonymousUser()
    return token.user


class TokenAuthMiddleware(BaseMiddleware):
    """Runs inside AuthMiddlewareStack: a socket without a session may name an API token instead."""

    async def __call__(self, scope, receive, send):
        user = scope.get("user")
        if user is None or not user.is_authenticated:
            key = parse_qs(scope.get("query_string", b"").decode("latin-1")).get("token", [""])[0]
            if key and len(key) <= 64:
                scope = {**scope, "user": await _user_for_token(key)}
        return await super().__call__(scope, receive, send)
