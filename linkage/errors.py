"""Errors of the lowest layer, which any app may raise and the wiring answers alike.

The API's exception handler (linkage/api.py) knows these, never an app's own classes, so loading the
API's wiring loads no domain code: an app's error subclasses one of these (incidents.errors.TransitionError
is a DomainConflict) and is answered like it.
"""


class DomainConflict(Exception):
    """A change the current state does not allow: a move the state machine forbids, or a race lost to
    someone who changed it first. The API answers 409 with `message`; the pages show it."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
