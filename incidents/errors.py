from linkage.errors import DomainConflict


class TransitionError(DomainConflict):
    """The one domain error: a move the state machine does not allow, or a lost race.

    The API answers it with 409 (as every DomainConflict: linkage/api.py) and the pages with a
    message. Bad input is a ValidationError (400) and a forbidden actor a PermissionDenied (403/404);
    neither is this.
    """

    def __init__(self, message: str, *, current: str | None = None, target: str | None = None) -> None:
        super().__init__(message)
        self.current = current
        self.target = target
