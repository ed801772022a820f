"""Socket clients for tests: handshakes through the whole ASGI stack (origin check, session or
ticket auth, routing) on whichever channel layer the settings name — the in-memory one in a local
run without REDIS_URL, Redis under CI."""

import asyncio

from asgiref.sync import async_to_sync
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.test import Client

from linkage.asgi import application

ORIGIN = (b"origin", b"http://localhost")


def session_cookie(user) -> tuple[bytes, bytes]:
    """The Cookie header of a fresh session signed in as `user`."""
    client = Client()
    client.force_login(user)
    return (b"cookie", f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}".encode())


def headers(user=None, *, origin=ORIGIN) -> list:
    """Handshake headers: our origin and, for a user, their session. Made outside the event loop
    (logging in is database work)."""
    return ([origin] if origin else []) + ([session_cookie(user)] if user is not None else [])


def socket(path, headers, query=""):
    """A communicator for `path` + `query` (e.g. "?ticket=…"), not yet connected."""
    return WebsocketCommunicator(application, f"{path}{query}", headers=headers)


def connects(path, user=None, *, origin=ORIGIN, query="") -> tuple[bool, int | None]:
    """(accepted, close code) of one handshake on `path` as `user` (None: anonymous)."""
    made = headers(user, origin=origin)

    async def attempt():
        communicator = socket(path, made, query)
        connected, code = await communicator.connect(timeout=3)
        await communicator.disconnect()
        return connected, code

    return async_to_sync(attempt)()


async def closed_with(communicator, timeout: float) -> int | None:
    """The close code the server sent within `timeout` seconds, or None if the socket stayed open
    (events forwarded meanwhile are skipped). Polls: a receive_output that times out would cancel
    the application."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while (left := deadline - loop.time()) > 0:
        if await communicator.receive_nothing(timeout=min(0.05, left), interval=0.01):
            continue
        message = await communicator.receive_output(timeout=1)
        if message["type"] == "websocket.close":
            return message.get("code")
    return None
