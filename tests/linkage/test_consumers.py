"""Access ends on open sockets too: a removed member stops hearing at once, not when the socket
happens to close. Through the whole ASGI stack, on the settings' channel layer (in memory locally,
Redis under CI), with changes that really commit (transaction=True)."""

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from django.contrib.auth.models import Group

from agencies.models import Membership
from incidents import services
from incidents.roles import DISPATCHERS
from linkage.consumers import BAD_FRAME, FORBIDDEN, RENEW
from tests.sockets import closed_with, headers, socket

pytestmark = [
    pytest.mark.django_db(transaction=True),
]


def test_deleting_a_membership_closes_that_members_sockets_within_a_second(demo):
    fire = demo.agency("km-fire")
    leaving, staying = headers(demo.fire_liaison), headers(demo.fire_chief)
    notifications_of_leaving = headers(demo.fire_liaison)
    membership = Membership.objects.get(user=demo.fire_liaison, agency=fire)

    async def scenario():
        removed = socket(f"/ws/agency/{fire.pk}/", leaving)
        colleague = socket(f"/ws/agency/{fire.pk}/", staying)
        inbox = socket("/ws/notifications/", notifications_of_leaving)
        for communicator in (removed, colleague, inbox):
            assert (await communicator.connect(timeout=3))[0]
        # Autocommit: the delete commits at once, and its on-commit signal tells the sockets.
        await database_sync_to_async(membership.delete)()
        code = await closed_with(removed, timeout=1)
        # The colleague still hears the agency; the removed person's own inbox stays (still a user).
        incident = await database_sync_to_async(services.incident_open)(
            by=demo.dispatcher, kind="building_fire", severity=4, title="删除成员后的火情"
        )
        heard = await colleague.receive_json_from(timeout=3)
        inbox_open = await closed_with(inbox, timeout=0.3) is None
        for communicator in (removed, colleague, inbox):
            await communicator.disconnect()
        return code, heard["incident"]["id"] == incident.pk, inbox_open

    assert async_to_sync(scenario)() == (FORBIDDEN, True, True)


def test_a_removed_member_hears_nothing_more_even_events_already_on_their_way(demo):
    fire = demo.agency("km-fire")
    made = headers(demo.fire_liaison)

    def remove_and_announce():
        from django.db import transaction

        with transaction.atomic():
            Membership.objects.filter(user=demo.fire_liaison, agency=fire).update(is_active=False)
            membership = Membership.objects.get(user=demo.fire_liaison, agency=fire)
            membership.save()
            services.incident_open(by=demo.dispatcher, kind="building_fire", severity=4, title="不该听到")

    async def scenario():
        removed = socket(f"/ws/agency/{fire.pk}/", made)
        assert (await removed.connect(timeout=3))[0]
        await database_sync_to_async(remove_and_announce)()
        outputs = []
        while True:
            message = await removed.receive_output(timeout=2)
            outputs.append(message)
            if message["type"] == "websocket.close":
                break
        await removed.disconnect()
        return outputs

    outputs = async_to_sync(scenario)()
    assert outputs[-1] == {"type": "websocket.close", "code": FORBIDDEN}
    # The access re-check is sent to the socket before the event (both after the same commit), so
    # the incident opened in the transaction that removed the member is never forwarded.
    assert [m for m in outputs if m["type"] == "websocket.send"] == []


@pytest.mark.parametrize("how", ["deactivate_user", "leave_dispatchers"])
def test_deactivating_a_user_or_taking_a_role_away_closes_the_board(demo, how):
    made = headers(demo.dispatcher)

    def take_access_away():
        if how == "deactivate_user":
            demo.dispatcher.is_active = False
            demo.dispatcher.save()
        else:
            demo.dispatcher.groups.remove(Group.objects.get(name=DISPATCHERS))

    async def scenario():
        board = socket("/ws/board/", made)
        assert (await board.connect(timeout=3))[0]
        await database_sync_to_async(take_access_away)()
        code = await closed_with(board, timeout=1)
        await board.disconnect()
        return code

    assert async_to_sync(scenario)() == FORBIDDEN


def test_a_change_that_keeps_access_keeps_the_socket(demo):
    made = headers(demo.fire_chief)

    def edit_phone():
        membership = Membership.objects.get(user=demo.fire_chief, agency__code="km-fire")
        membership.phone = "13800000000"
        membership.save()

    async def scenario():
        page = socket(f"/ws/agency/{demo.agency('km-fire').pk}/", made)
        assert (await page.connect(timeout=3))[0]
        await database_sync_to_async(edit_phone)()
        code = await closed_with(page, timeout=1)
        await page.send_json_to({"type": "ping"})
        pong = await page.receive_json_from(timeout=2)
        await page.disconnect()
        return code, pong

    assert async_to_sync(scenario)() == (None, {"type": "pong"})


def test_periodic_recheck_closes_a_socket_whose_access_vanished_without_a_signal(demo, settings):
    settings.LINKAGE_SOCKET_RECHECK_SECONDS = 0.3
    fire = demo.agency("km-fire")
    made = headers(demo.fire_liaison)

    async def scenario():
        page = socket(f"/ws/agency/{fire.pk}/", made)
        assert (await page.connect(timeout=3))[0]
        still_open = await closed_with(page, timeout=0.7) is None  # rechecks that find access intact
        # A queryset update sends no signal: only the periodic re-check can notice.
        await database_sync_to_async(Membership.objects.filter(user=demo.fire_liaison, agency=fire).update)(
            is_active=False
        )
        code = await closed_with(page, timeout=1.5)
        await page.disconnect()
        return still_open, code

    assert async_to_sync(scenario)() == (True, FORBIDDEN)


def test_a_socket_closes_for_a_reconnect_after_its_lifetime(demo, settings):
    settings.LINKAGE_SOCKET_MAX_SECONDS = 1
    made = headers(demo.commander)

    async def scenario():
        board = socket("/ws/board/", made)
        assert (await board.connect(timeout=3))[0]
        early = await closed_with(board, timeout=0.5)
        code = await closed_with(board, timeout=1.5)
        await board.disconnect()
        return early, code

    assert async_to_sync(scenario)() == (None, RENEW)


@pytest.mark.parametrize(
    "frame",
    [
        {"text": "not json"},
        {"text": "[" * 1000 + "]" * 1000},
        {"text": '{"type": NaN}'},
        {"text": '"\\ud800"'},
        {"text": "x" * 100_000},
        {"bytes": b"\x00\xff binary"},
    ],
    ids=["not-json", "deep", "nan", "surrogate", "huge", "binary"],
)
def test_a_frame_that_is_not_small_json_text_closes_the_socket_cleanly(demo, frame):
    made = headers(demo.commander)

    async def scenario():
        board = socket("/ws/board/", made)
        assert (await board.connect(timeout=3))[0]
        await board.send_input({"type": "websocket.receive", **frame})
        code = await closed_with(board, timeout=2)
        await board.disconnect()
        return code

    assert async_to_sync(scenario)() == BAD_FRAME


def test_a_new_password_or_a_logout_elsewhere_closes_the_sockets_of_that_session(demo, settings):
    settings.LINKAGE_SOCKET_RECHECK_SECONDS = 0.3
    by_password, by_logout = headers(demo.commander), headers(demo.dispatcher)

    def new_password():
        demo.commander.set_password("a-new-long-password-2026")
        demo.commander.save()

    def log_out_elsewhere():
        from django.contrib.sessions.models import Session

        Session.objects.filter(session_key=dict(by_logout)[b"cookie"].decode().partition("=")[2]).delete()

    async def scenario():
        first, second = socket("/ws/board/", by_password), socket("/ws/board/", by_logout)
        assert (await first.connect(timeout=3))[0] and (await second.connect(timeout=3))[0]
        await database_sync_to_async(new_password)()  # the user's save tells the sockets at once
        await database_sync_to_async(log_out_elsewhere)()  # no signal: the periodic re-check sees it
        codes = await closed_with(first, timeout=1), await closed_with(second, timeout=1.5)
        await first.disconnect()
        await second.disconnect()
        return codes

    assert async_to_sync(scenario)() == (FORBIDDEN, FORBIDDEN)
