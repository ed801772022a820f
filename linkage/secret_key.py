"""The embedded mode's secret key when none is given: made at random on first run, kept in a file.

A fixed key in the source is public: anyone could sign session cookies or socket tickets for any
install that runs with it. Without DJANGO_SECRET_KEY, the embedded (or debug) mode instead creates
`var/secret_key` (mode 0600) once and reads it on every later start, so sessions survive restarts
and no two installs share a key. The services mode never gets here: it refuses to start without
DJANGO_SECRET_KEY (settings.py).
"""

import os
import secrets
import sys
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

MIN_LENGTH = 50


def secret_key_from_file(path: Path) -> tuple[str, bool]:
    """(key, created): the key stored at `path`, made (64 random URL-safe characters, file mode 0600)
    if the file does not exist yet. Two processes starting at once end up with the same key: the file
    appears whole (written aside, then hard-linked into place) and only the first link wins.

    Raises ImproperlyConfigured if the file cannot be written or read, or holds fewer than MIN_LENGTH
    characters."""
    try:
        key, created = path.read_text(encoding="utf-8").strip(), False
    except FileNotFoundError:
        key, created = _create(path)
    except OSError as exc:
        raise ImproperlyConfigured(
            f"no DJANGO_SECRET_KEY and cannot read the secret key file {path} ({exc}): set DJANGO_SECRET_KEY, "
            "or make that file readable"
        ) from exc
    if len(key) < MIN_LENGTH:
        raise ImproperlyConfigured(
            f"the secret key file {path} holds fewer than {MIN_LENGTH} characters: delete it to make a new one, "
            "or set DJANGO_SECRET_KEY"
        )
    return key, created


def _create(path: Path) -> tuple[str, bool]:
    key = secrets.token_urlsafe(48)  # 64 characters
    aside = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(aside, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as file:
            file.write(key + "\n")
        try:
            os.link(aside, path)
        except FileExistsError:  # another process was first: use its key
            return path.read_text(encoding="utf-8").strip(), False
    except OSError as exc:
        raise ImproperlyConfigured(
            f"no DJANGO_SECRET_KEY and cannot store a generated one in {path} ({exc}): set DJANGO_SECRET_KEY, "
            "or make that directory writable"
        ) from exc
    finally:
        aside.unlink(missing_ok=True)
    return key, True


def announce_created(path: Path) -> None:
    """Say once, on stderr (logging is not set up while settings load), that a key was made."""
    print(
        f"Linkage: no DJANGO_SECRET_KEY set; generated a random secret key and stored it in {path} (mode 0600). "
        "It is reused on every start; keep the file private, or set DJANGO_SECRET_KEY.",
        file=sys.stderr,
    )
