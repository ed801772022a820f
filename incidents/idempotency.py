"""Opening an incident once per key: the API's `Idempotency-Key` header and the intake form's token.

The guarantee lives in PostgreSQL, not in the browser: the key's row is inserted in the transaction
that opens the incident, under a unique constraint on (user, scope, key). A second request with the
same key blocks on that insert until the first commits, then gets the unique violation and reads the
first request's row: the first incident, never a second one. If the first rolls back (bad input), the
second's insert simply succeeds and it opens the incident itself.

Form tokens are signed (user id + random nonce, `django.core.signing`), so an unknown or tampered
token and an expired one are told apart without a row at issue time; the row appears when the token
is first used.
"""

import hashlib
import json
import secrets
from collections.abc import Callable
from datetime import timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.core import signing
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import IdempotencyKey, Incident

# How long a key is remembered, and how long a form token is accepted (the same, so that a token
# still accepted always finds its row).
IDEMPOTENCY_TTL = timedelta(hours=24)
KEY_MAX_LENGTH = 200
# Expired rows removed per write: keeps each cleanup small; every write takes its share.
SWEEP_BATCH = 500
_FORM_SALT = "incidents.intake-form-token"


class IdempotencyKeyInvalid(ValueError):
    """The key is empty, too long or not printable ASCII (the API answers 400)."""


class IdempotencyMismatch(Exception):
    """The key was already used with another request body (the API answers 422)."""

    def __init__(self, incident: Incident):
        super().__init__("idempotency key reused with a different body")
        self.incident = incident


class FormTokenInvalid(Exception):
    """The form token is unknown (not ours, another user's, tampered) or expired; `expired` says which."""

    def __init__(self, *, expired: bool):
        super().__init__("expired form token" if expired else "unknown form token")
        self.expired = expired


def clean_key(value: str | None) -> str | None:
    """The header's value as a key: None when absent. Raises IdempotencyKeyInvalid when it is present
    but empty, longer than KEY_MAX_LENGTH characters, or has characters outside printable ASCII."""
    if value is None:
        return None
    key = value.strip()
    if not key:
        raise IdempotencyKeyInvalid(_("The Idempotency-Key header is empty."))
    if len(key) > KEY_MAX_LENGTH:
        raise IdempotencyKeyInvalid(
            _("The Idempotency-Key header is longer than %(limit)d characters.") % {"limit": KEY_MAX_LENGTH}
        )
    if any(not (" " <= char <= "~") for char in key):
        raise IdempotencyKeyInvalid(_("The Idempotency-Key header may hold only printable ASCII characters."))
    return key


def request_fingerprint(data) -> str:
    """SHA-256 (hex, 64 characters) of a parsed request body in canonical JSON (sorted keys, no spaces):
    the same JSON sent again, keys in any order, gives the same fingerprint."""
    if hasattr(data, "lists"):  # a QueryDict: every value of every key
        data = dict(data.lists())
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def form_token_issue(user: AbstractBaseUser) -> str:
    """A fresh one-time token for the intake form of `user` (URL-safe text, about 90 characters)."""
    return signing.dumps({"u": user.pk, "n": secrets.token_urlsafe(16)}, salt=_FORM_SALT, compress=False)


def form_token_check(user: AbstractBaseUser, token: str | None) -> str:
    """The token back if it was issued to `user` within IDEMPOTENCY_TTL. Raises FormTokenInvalid
    (expired=True past that time; expired=False when missing, tampered or issued to someone else)."""
    if not token or len(token) > KEY_MAX_LENGTH:
        raise FormTokenInvalid(expired=False)
    try:
        value = signing.loads(token, salt=_FORM_SALT, max_age=IDEMPOTENCY_TTL)
    except signing.SignatureExpired as exc:
        raise FormTokenInvalid(expired=True) from exc
    except signing.BadSignature as exc:
        raise FormTokenInvalid(expired=False) from exc
    if not isinstance(value, dict) or value.get("u") != user.pk:
        raise FormTokenInvalid(expired=False)
    return token


def open_once(
    *,
    by: AbstractBaseUser,
    scope: str,
    key: str,
    fingerprint: str = "",
    open_incident: Callable[[], Incident],
) -> tuple[Incident, bool]:
    """Open an incident for (by, scope, key) once: `(incident, True)` when `open_incident()` ran now,
    `(first incident, False)` when the key was used before, or is being used right now by a request
    that then commits (this call waits for it).

    `fingerprint` (from `request_fingerprint`) is compared with the first use's: another one raises
    IdempotencyMismatch. Pass "" to accept any body (the form's token: one token, one incident).
    Whatever `open_incident` raises rolls the key back with the incident, so a corrected request with
    the same key goes through. Expired rows, including this key's, count as unused.
    """
    now = timezone.now()
    with transaction.atomic():
        try:
            with transaction.atomic():
                row = IdempotencyKey.objects.create(
                    user=by, scope=scope, key=key, request_hash=fingerprint, expires_at=now + IDEMPOTENCY_TTL
                )
        except IntegrityError:
            # Someone holds or held this key: the insert waited for their commit; their row is final now.
            row = (
                IdempotencyKey.objects.select_for_update(of=("self",))
                .select_related("incident")
                .get(user=by, scope=scope, key=key)
            )
            if row.expires_at > now and row.incident_id is not None:
                if fingerprint and row.request_hash and row.request_hash != fingerprint:
                    raise IdempotencyMismatch(row.incident) from None
                return row.incident, False
            # Expired: the key starts a new life under the lock we now hold.
            row.request_hash, row.incident = fingerprint, None
            row.created_at, row.expires_at = now, now + IDEMPOTENCY_TTL
        incident = open_incident()
        row.incident = incident
        row.save()
        _sweep_expired(now=now, keep=row.pk)
    return incident, True


def _sweep_expired(*, now, keep: int) -> int:
    """Delete up to SWEEP_BATCH expired rows that nobody holds (SKIP LOCKED: never waits, never deadlocks)."""
    expired = list(
        IdempotencyKey.objects.select_for_update(skip_locked=True)
        .filter(expires_at__lte=now)
        .exclude(pk=keep)
        .values_list("pk", flat=True)[:SWEEP_BATCH]
    )
    if expired:
        IdempotencyKey.objects.filter(pk__in=expired).delete()
    return len(expired)
