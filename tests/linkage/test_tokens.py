"""API tokens end: they expire, a new password or deactivation deletes them, the user and an
administrator can revoke them. Sockets take a one-minute, one-use ticket instead of the token."""

import datetime
import time

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.test import Client
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from linkage.ws_auth import WS_TICKET_SALT, ws_ticket_issue, ws_ticket_redeem
from tests import sockets

PASSWORD = "linkage-demo"


def get_token(username="dispatcher", password=PASSWORD):
    response = APIClient().post("/api/v1/auth/token/", {"username": username, "password": password}, format="json")
    assert response.status_code == 200, response.content
    return response.json()


def with_token(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def age(key: str, seconds: int) -> None:
    Token.objects.filter(key=key).update(created=timezone.now() - datetime.timedelta(seconds=seconds))


# --- Expiry -----------------------------------------------------------------------------------


def test_a_token_says_when_it_expires_and_works_until_then(demo):
    body = get_token()
    expires = datetime.datetime.fromisoformat(body["expires"])
    assert datetime.timedelta(days=29, hours=23) < expires - timezone.now() <= datetime.timedelta(days=30)
    assert with_token(body["token"]).get("/api/v1/incidents/").status_code == 200
    assert get_token()["token"] == body["token"]  # asking again gives the same token while it lives


def test_an_expired_token_is_a_401_with_a_clear_message(demo):
    key = get_token()["token"]
    age(key, 30 * 24 * 3600 + 1)
    response = with_token(key).get("/api/v1/incidents/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert response.json()["detail"] == "This API token has expired: get a new one from POST /api/v1/auth/token/."
    chinese = with_token(key).get("/api/v1/incidents/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert chinese.status_code == 401
    # Every later call says "expired" too, not the generic "invalid token" (the row is kept until a new
    # token replaces it).
    for _ in range(2):
        later = with_token(key).get("/api/v1/incidents/", HTTP_ACCEPT_LANGUAGE="en")
        assert later.status_code == 401 and "has expired" in later.json()["detail"]
    # Signing in again gives a new, working token.
    fresh = get_token()["token"]
    assert fresh != key
    assert with_token(fresh).get("/api/v1/incidents/").status_code == 200


def test_the_lifetime_is_a_setting(demo, settings):
    settings.LINKAGE_TOKEN_SECONDS = 60
    key = get_token()["token"]
    age(key, 30)
    assert with_token(key).get("/api/v1/incidents/").status_code == 200
    age(key, 61)
    response = with_token(key).get("/api/v1/incidents/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 401
    assert "已过期" in response.json()["detail"]


# --- Rotation on a new password, deactivation ---------------------------------------------------


def test_a_new_password_ends_the_old_token(demo):
    key = get_token()["token"]
    user = demo.dispatcher
    user.set_password("a-new-long-passphrase")
    user.save()
    assert with_token(key).get("/api/v1/incidents/").status_code == 401
    assert not Token.objects.filter(user=user).exists()


def test_a_new_password_ends_the_other_sessions_too(demo):
    browser = Client()
    browser.force_login(demo.dispatcher)
    assert browser.get("/incidents/").status_code == 200
    user = get_user_model().objects.get(username="dispatcher")
    user.set_password("a-new-long-passphrase")
    user.save()
    assert browser.get("/incidents/").status_code == 302  # back to the login page


def test_a_password_set_in_the_admin_ends_the_token(demo):
    key = get_token()["token"]
    admin = Client()
    admin.force_login(demo.admin)
    response = admin.post(
        f"/admin/auth/user/{demo.dispatcher.pk}/password/",
        {"password1": "another-long-passphrase", "password2": "another-long-passphrase", "usable_password": "true"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert with_token(key).get("/api/v1/incidents/").status_code == 401


def test_deactivation_deletes_the_token(demo):
    key = get_token()["token"]
    user = get_user_model().objects.get(username="dispatcher")
    user.is_active = False
    user.save(update_fields=["is_active"])
    assert not Token.objects.filter(key=key).exists()
    user.is_active = True
    user.save()
    assert with_token(key).get("/api/v1/incidents/").status_code == 401  # reactivating does not revive it


def test_signing_in_on_the_page_keeps_the_token(demo):
    """Logging in saves the user (last_login) and may re-hash the password: neither is a new password."""
    key = get_token()["token"]
    client = Client()
    assert client.post("/accounts/login/", {"username": "dispatcher", "password": PASSWORD}).status_code == 302
    assert with_token(key).get("/api/v1/incidents/").status_code == 200


def test_a_password_rehashed_at_sign_in_keeps_the_token(demo, settings):
    """Django upgrades an old hash when the user signs in: the same password, so the token stays."""
    key = get_token()["token"]
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher", *settings.PASSWORD_HASHERS]
    assert Client().post("/accounts/login/", {"username": "dispatcher", "password": PASSWORD}).status_code == 302
    assert get_user_model().objects.get(username="dispatcher").password.startswith("pbkdf2_")
    assert with_token(key).get("/api/v1/incidents/").status_code == 200


# --- Revocation ---------------------------------------------------------------------------------


def test_the_user_revokes_their_own_token(demo):
    key = get_token()["token"]
    client = with_token(key)
    assert client.delete("/api/v1/auth/token/").status_code == 204
    assert client.get("/api/v1/incidents/").status_code == 401
    assert client.delete("/api/v1/auth/token/").status_code == 401
    assert APIClient().delete("/api/v1/auth/token/").status_code == 401  # anonymous: nothing to revoke


def test_revoking_needs_no_password_and_touches_only_the_caller(demo):
    mine = get_token("dispatcher")["token"]
    theirs = get_token("commander")["token"]
    assert with_token(mine).delete("/api/v1/auth/token/").status_code == 204
    assert with_token(theirs).get("/api/v1/incidents/").status_code == 200


def test_an_administrator_lists_and_revokes_tokens_in_the_admin(demo):
    key = get_token()["token"]
    admin = Client()
    admin.force_login(demo.admin)
    listing = admin.get("/admin/authtoken/tokenproxy/")
    assert listing.status_code == 200 and "dispatcher" in listing.content.decode()
    # DRF's token admin addresses a token by its user's id and has no bulk actions.
    page = f"/admin/authtoken/tokenproxy/{demo.dispatcher.pk}/delete/"
    assert admin.get(page).status_code == 200
    assert admin.post(page, {"post": "yes"}).status_code == 302
    assert with_token(key).get("/api/v1/incidents/").status_code == 401


# --- Socket tickets -----------------------------------------------------------------------------


def test_a_ticket_is_issued_to_a_token_or_session_caller_only(demo):
    key = get_token()["token"]
    response = with_token(key).post("/api/v1/auth/ws-ticket/")
    assert response.status_code == 200
    assert response.json()["expires_in"] == 60
    assert ws_ticket_redeem(response.json()["ticket"]) == demo.dispatcher
    session = APIClient()
    session.force_login(demo.commander)
    assert ws_ticket_redeem(session.post("/api/v1/auth/ws-ticket/").json()["ticket"]) == demo.commander
    assert APIClient().post("/api/v1/auth/ws-ticket/").status_code == 401


def test_a_ticket_opens_one_socket_once(demo):
    ticket = ws_ticket_issue(user=demo.commander)
    assert ws_ticket_redeem(ticket) == demo.commander
    assert ws_ticket_redeem(ticket) is None


def test_an_expired_ticket_is_refused(demo, settings):
    ticket = ws_ticket_issue(user=demo.commander)
    settings.LINKAGE_WS_TICKET_SECONDS = 0
    time.sleep(1.1)
    assert ws_ticket_redeem(ticket) is None


def test_a_tampered_ticket_is_refused(demo):
    ticket = ws_ticket_issue(user=demo.fire_liaison)
    payload, _colon, rest = ticket.partition(":")
    claims = signing.loads(ticket, salt=WS_TICKET_SALT)
    forged = signing.dumps({**claims, "u": demo.commander.pk}, salt="not-the-salt")
    for bad in (
        forged,
        payload[:-1] + ("A" if payload[-1] != "A" else "B") + ":" + rest,  # one character changed
        ticket[:-1] + ("A" if ticket[-1] != "A" else "B"),
        "\x00",
        "%00",
        "x" * 10_000,
        "",
    ):
        assert ws_ticket_redeem(bad) is None
    assert ws_ticket_redeem(ticket) == demo.fire_liaison  # the real one still works


def test_a_value_signed_for_another_purpose_is_not_a_ticket(demo):
    claims = {"u": demo.commander.pk, "a": "x"}
    assert ws_ticket_redeem(signing.dumps(claims)) is None  # default salt
    assert ws_ticket_redeem(signing.dumps(claims, salt="django.contrib.sessions.SessionStore")) is None
    session_value = Client()
    session_value.force_login(demo.commander)
    assert ws_ticket_redeem(session_value.cookies[settings.SESSION_COOKIE_NAME].value) is None


def test_a_ticket_dies_with_a_new_password_or_deactivation(demo):
    user = demo.commander
    ticket = ws_ticket_issue(user=user)
    user.set_password("new-long-passphrase-1")
    user.save()
    assert ws_ticket_redeem(ticket) is None
    ticket = ws_ticket_issue(user=user)
    user.is_active = False
    user.save()
    assert ws_ticket_redeem(ticket) is None


# Through the whole ASGI stack, on the settings' channel layer (tests/sockets.py).
def connects(query: str) -> tuple[bool, int | None]:
    return sockets.connects("/ws/board/", query=query)


@pytest.mark.django_db(transaction=True)
def test_sockets_take_a_ticket_not_the_api_token(demo):
    key = get_token("commander")["token"]
    ticket = with_token(key).post("/api/v1/auth/ws-ticket/").json()["ticket"]
    assert connects(f"?ticket={ticket}")[0] is True
    assert connects(f"?ticket={ticket}")[0] is False  # used
    assert connects(f"?token={key}")[0] is False  # the long-lived token is no longer taken in a URL
    assert connects("?ticket=%00")[0] is False
    liaison = ws_ticket_issue(user=demo.fire_liaison)
    assert connects(f"?ticket={liaison}")[0] is False  # a valid ticket still only opens what its user may
    deactivated = ws_ticket_issue(user=demo.dispatcher)
    get_user_model().objects.filter(pk=demo.dispatcher.pk).update(is_active=False)
    assert connects(f"?ticket={deactivated}")[0] is False
