"""Who may sign in, and for how long: the sign-in lockout and API token lifetimes (docs/security.md).

Every password check (the login page, the admin login, `POST /api/v1/auth/token/`) goes through
`django.contrib.auth.authenticate(request, ...)`, and django-axes, the first authentication backend,
counts the failures in the database per client address and per username. Past the limit, both
are refused until the cool-off has passed or an administrator deletes the record (admin "Access
attempts", or `manage.py axes_reset_username <name>` / `axes_reset_ip <address>`). The counters live
in PostgreSQL, not in the cache: knocking out Redis does not switch the lockout off.

axes checks "locked?" and records a failure in two separate steps; concurrent attempts would all pass
the check before the first failure is recorded. So every password check runs inside
`password_check_serialised` (one transaction holding an advisory lock per normalised username and one
per client address): attempts at one username, or from one address, are checked one after the other
and axes' count is exact. The three doors use `SignInForm`, `AdminSignInForm` and
`authenticate_serialised`; `SerialisedChecksOnly`, the first authentication backend, refuses any
password check that did not come through them, so a new door cannot skip the lock unnoticed.
"""

import contextlib
import datetime
import hashlib
import ipaddress
import math
import threading

from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import authenticate
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from rest_framework.authentication import TokenAuthentication
from rest_framework.authtoken.models import Token
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.throttling import BaseThrottle


def client_address(request: HttpRequest) -> str | None:
    """The IP address a sign-in comes from, found exactly as the API throttles find it.

    `REMOTE_ADDR`, or with `DJANGO_BEHIND_PROXY` the entry our one proxy added to `X-Forwarded-For`
    (never one the client wrote itself). None when that is not an IP address (a proxy passing on
    garbage): such sign-ins share one counter, and the per-username limit still applies.
    """
    try:
        return str(ipaddress.ip_address((BaseThrottle().get_ident(request) or "").strip()))
    except ValueError:
        return None


def attempted_username(request: HttpRequest, credentials: dict | None) -> str | None:
    """The username a sign-in tried, as django-axes counts it: cut to the 255 characters it stores.

    (Django's login form does not limit the username's length before checking it: a 5,000-character
    name must be a wrong password, not a database error.)
    """
    if credentials and "username" in credentials:
        username = credentials["username"]
    else:
        username = request.POST.get("username") if request is not None else None
    return str(username)[:255] if username is not None else None


# --- One password check at a time per username and per address --------------------------------

_SERIALISED = "_linkage_password_check_serialised"
# Embedded (SQLite) mode: one process, so process-local locks do; a fixed set of stripes keeps memory
# bounded whatever number of usernames an attacker tries.
_LOCAL_STRIPES = [threading.Lock() for _ in range(1024)]


def _lock_key(kind: str, value: str) -> int:
    """A stable signed 64-bit key (PostgreSQL's advisory-lock key space) for one username or address."""
    digest = hashlib.blake2b(f"linkage.sign-in.{kind}:{value}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def password_check_keys(request: HttpRequest, credentials: dict | None) -> list[int]:
    """The lock keys of one attempt, in the one order every attempt takes them (ascending, so two
    attempts can never wait for each other's second lock): its username, case-folded (a coarser lock
    than axes' count, never a finer one), and its client address (one shared key for a non-address)."""
    username = (attempted_username(request, credentials) or "").strip().casefold()
    address = client_address(request) or "unknown"
    return sorted({_lock_key("username", username), _lock_key("address", address)})


@contextlib.contextmanager
def password_check_serialised(request: HttpRequest, credentials: dict | None):
    """Run a password check (axes' "locked?", the hash, axes' failure count) while holding the locks of
    its username and address, in one transaction: concurrent attempts at one username, or from one
    address, wait for each other, so the eleventh wrong password sees ten counted failures.

    PostgreSQL: `pg_advisory_xact_lock` (released at commit, after axes' count is written). SQLite
    (embedded, one process): process-local locks. Marks `request` so `SerialisedChecksOnly` lets the
    check through.
    """
    keys = password_check_keys(request, credentials)
    with contextlib.ExitStack() as stack:
        stack.enter_context(transaction.atomic())
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                for key in keys:
                    cursor.execute("SELECT pg_advisory_xact_lock(%s)", [key])
        else:
            for stripe in sorted({key % len(_LOCAL_STRIPES) for key in keys}):
                stack.enter_context(_LOCAL_STRIPES[stripe])
        setattr(request, _SERIALISED, True)
        try:
            yield
        finally:
            setattr(request, _SERIALISED, False)


def authenticate_serialised(request: HttpRequest, **credentials):
    """`django.contrib.auth.authenticate` inside `password_check_serialised`: the user, or None."""
    with password_check_serialised(request, credentials):
        return authenticate(request, **credentials)


class _SerialisedClean:
    def clean(self):
        # A wrong password is a ValidationError: raised inside the transaction it would roll back the
        # failure axes has just counted. Raised after it has committed instead.
        with password_check_serialised(self.request, {"username": self.cleaned_data.get("username")}):
            try:
                return super().clean()
            except ValidationError as wrong:
                refused = wrong
        raise refused


class SignInForm(_SerialisedClean, AuthenticationForm):
    """The login page's form: Django's, its password check serialised."""


class AdminSignInForm(_SerialisedClean, AdminAuthenticationForm):
    """The admin login's form: Django's, its password check serialised."""


class SerialisedChecksOnly:
    """The first authentication backend: refuses (PermissionDenied, so no other backend runs) a password
    check that is not inside `password_check_serialised`. Checks nothing else, grants nothing."""

    def authenticate(self, request, **credentials):
        if request is None or not getattr(request, _SERIALISED, False):
            raise PermissionDenied("password checks go through linkage.auth.password_check_serialised")
        return None  # (no get_user: sessions never name this backend, and force_login skips it)


def lockout_seconds() -> int:
    return int(settings.AXES_COOLOFF_TIME.total_seconds())


def lockout_message() -> str:
    """What someone locked out is told, in the request's language."""
    minutes = max(1, math.ceil(lockout_seconds() / 60))
    return ngettext(
        "Too many failed sign-ins for this account or from this address. Try again in %(minutes)d minute, "
        "or ask an administrator to lift the lock.",
        "Too many failed sign-ins for this account or from this address. Try again in %(minutes)d minutes, "
        "or ask an administrator to lift the lock.",
        minutes,
    ) % {"minutes": minutes}


def lockout_response(request: HttpRequest, original_response=None, credentials=None) -> HttpResponse:
    """django-axes' AXES_LOCKOUT_CALLABLE: a 429 that says why and for how long.

    The API gets `{"detail": ...}` as JSON; the login pages (Linkage's and the admin's) get the login
    form again with the message above it. Both carry `Retry-After` in seconds.
    """
    if request.path.startswith("/api/"):
        response = JsonResponse({"detail": lockout_message()}, status=429)
    else:
        form = AuthenticationForm(request, initial={"username": request.POST.get("username", "")})
        next_url = request.POST.get("next") or request.GET.get("next", "")
        context = {"form": form, "locked_out": lockout_message(), "next": next_url}
        response = render(request, "registration/login.html", context, status=429)
    response["Retry-After"] = str(lockout_seconds())
    return response


# --- API tokens -----------------------------------------------------------------------------


def token_expires(token: Token) -> datetime.datetime:
    """When an API token stops working: `LINKAGE_TOKEN_SECONDS` after it was issued (not after last use)."""
    return token.created + datetime.timedelta(seconds=settings.LINKAGE_TOKEN_SECONDS)


def token_for(*, user) -> Token:
    """The user's API token, a new one if they had none or theirs has expired."""
    Token.objects.filter(
        user=user, created__lte=timezone.now() - datetime.timedelta(seconds=settings.LINKAGE_TOKEN_SECONDS)
    ).delete()
    token, _created = Token.objects.get_or_create(user=user)
    return token


def tokens_revoke(*, user_id: int) -> int:
    """End API access by token for one user (their sockets' tickets die with the password). Returns how many."""
    deleted, _by_model = Token.objects.filter(user_id=user_id).delete()
    return deleted


class ExpiringTokenAuthentication(TokenAuthentication):
    """DRF's `Authorization: Token <key>`, refused (401) once the token is older than LINKAGE_TOKEN_SECONDS.

    The expired row is kept (it opens nothing), so every later call with it is told "expired", not
    "invalid"; `token_for` replaces it when its user signs in again."""

    def authenticate_credentials(self, key):
        user, token = super().authenticate_credentials(key)
        if timezone.now() >= token_expires(token):
            raise AuthenticationFailed(_("This API token has expired: get a new one from POST /api/v1/auth/token/."))
        return user, token


def end_api_access_on_password_change(sender, instance, raw=False, update_fields=None, **kwargs):
    """pre_save of the user model: a new password or deactivation deletes the user's API tokens.

    Covers every way a password is set (the admin's password form, `changepassword`, `set_password`
    then `save`), but not Django re-hashing the same password on login with a newer hasher (that
    saves only "password" without a new raw password), which is the same secret.
    """
    if raw or instance.pk is None:
        return
    if update_fields is not None and not {"password", "is_active"} & set(update_fields):
        return
    before = sender._default_manager.filter(pk=instance.pk).values("password", "is_active").first()
    if before is None:
        return
    rehash = getattr(instance, "_password", None) is None and update_fields is not None
    new_password = before["password"] != instance.password and not rehash
    deactivated = before["is_active"] and not instance.is_active
    if new_password or deactivated:
        tokens_revoke(user_id=instance.pk)
