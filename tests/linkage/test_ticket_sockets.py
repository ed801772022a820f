"""A socket opened with a ticket lives only as long as what the ticket was issued against: the user's
password (and active flag), and the API token the ticket was asked with. Revoking that token (by its
owner, in the admin), a new password, or the token expiring closes the socket (4403). And tickets asked
for at once are distinct: a page opening three sockets at once opens three.

Through the whole ASGI stack on the settings' channel layer, with changes that really commit."""

import datetime

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from linkage.auth import token_for
from linkage.consumers import FORBIDDEN
from tests.sockets import ORIGIN, closed_with, socket

pytestmark = [pytest.mark.django_db(transaction=True)]


def with_token(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token_for(user=user).key}")
    return client


def ticket_of(client) -> str:
    response = client.post("/api/v1/auth/ws-ticket/")
    assert response.status_code == 200
    return response.json()["ticket"]


def board_and_colleague_after(demo, change, *, wait: float = 1.0):
    """The commander opens /ws/board/ with a ticket asked for with their token; the dispatcher likewise.
    After `change` (run in a thread, committed), returns (commander's close code, dispatcher's)."""
    mine, theirs = ticket_of(with_token(demo.commander)), ticket_of(with_token(demo.dispatcher))

    async def scenario():
        first = socket("/ws/board/", [ORIGIN], f"?ticket={mine}")
        second = socket("/ws/board/", [ORIGIN], f"?ticket={theirs}")
        assert (await first.connect(timeout=3))[0] and (await second.connect(timeout=3))[0]
        await database_sync_to_async(change)()
        codes = await closed_with(first, timeout=wait), await closed_with(second, timeout=0.3)
        await first.disconnect()
        await second.disconnect()
        return codes

    return async_to_sync(scenario)()


def test_revoking_the_token_closes_the_socket_its_ticket_opened(demo):
    def revoke():
        assert with_token(demo.commander).delete("/api/v1/auth/token/").status_code == 204

    assert board_and_colleague_after(demo, revoke) == (FORBIDDEN, None)


def test_an_admin_deleting_the_token_closes_the_socket(demo):
    from django.test import Client

    def admin_revokes():
        admin = Client()
        admin.force_login(demo.admin)
        # The admin's token pages are keyed by the user's id.
        response = admin.post(f"/admin/authtoken/tokenproxy/{demo.commander.pk}/delete/", {"post": "yes"})
        assert response.status_code == 302, response.status_code
        assert not Token.objects.filter(user=demo.commander).exists()

    assert board_and_colleague_after(demo, admin_revokes) == (FORBIDDEN, None)


def test_a_new_password_closes_the_socket_a_ticket_opened(demo):
    def new_password():
        demo.commander.set_password("a-new-long-password-2026")
        demo.commander.save()

    assert board_and_colleague_after(demo, new_password) == (FORBIDDEN, None)


def test_a_ticket_asked_for_with_a_session_dies_with_the_password(demo):
    """No token: the socket still remembers the password it was issued against."""
    from django.test import Client

    session = Client()
    session.force_login(demo.commander)
    ticket = session.post("/api/v1/auth/ws-ticket/").json()["ticket"]

    def new_password():
        demo.commander.set_password("another-long-password-2026")
        demo.commander.save(update_fields=["password"])

    async def scenario():
        board = socket("/ws/board/", [ORIGIN], f"?ticket={ticket}")
        assert (await board.connect(timeout=3))[0]
        await database_sync_to_async(new_password)()
        code = await closed_with(board, timeout=1)
        await board.disconnect()
        return code

    assert async_to_sync(scenario)() == FORBIDDEN


def test_the_periodic_recheck_closes_a_socket_whose_token_expired_or_vanished_silently(demo, settings):
    settings.LINKAGE_SOCKET_RECHECK_SECONDS = 0.3

    def expire_without_a_signal():
        old = timezone.now() - datetime.timedelta(seconds=settings.LINKAGE_TOKEN_SECONDS + 1)
        Token.objects.filter(user=demo.commander).update(created=old)

    assert board_and_colleague_after(demo, expire_without_a_signal, wait=1.5) == (FORBIDDEN, None)


def test_three_tickets_asked_for_at_once_are_distinct_and_each_opens_one_socket(demo):
    client = with_token(demo.fire_liaison)
    tickets = [ticket_of(client) for _ in range(3)]
    assert len(set(tickets)) == 3
    fire = demo.agency("km-fire")

    async def scenario():
        opened = []
        for ticket in tickets:
            communicator = socket(f"/ws/agency/{fire.pk}/", [ORIGIN], f"?ticket={ticket}")
            opened.append((await communicator.connect(timeout=3))[0])
            await communicator.disconnect()
        again = socket(f"/ws/agency/{fire.pk}/", [ORIGIN], f"?ticket={tickets[1]}")
        reused = (await again.connect(timeout=3))[0]
        await again.disconnect()
        return opened, reused

    assert async_to_sync(scenario)() == ([True, True, True], False)
