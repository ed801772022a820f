"""The session store: Django's database sessions, refusing keys Django itself could never have made.

A session cookie is whatever the client sends; Django's store looks any string of eight or more
characters up in PostgreSQL, and one holding U+0000 makes that query raise (a 500 on every page,
a crashed handshake on every socket). Keys Django makes are 32 characters of [a-z0-9]; anything else
is treated as no session at all (signed out), before any query. SESSION_ENGINE names this module.
"""

import re

from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore

_SESSION_KEY = re.compile(r"[a-z0-9]{8,64}")


class SessionStore(DatabaseSessionStore):
    def _validate_session_key(self, key) -> bool:
        return isinstance(key, str) and _SESSION_KEY.fullmatch(key) is not None
