"""The one way to write the shared timeline, and so the one place live events start from."""

from django.contrib.auth.models import AbstractBaseUser

from .events import publish
from .models import Assignment, Incident, TimelineEntry, TimelineKind


def person(user: AbstractBaseUser | None) -> AbstractBaseUser | None:
    """The user to record as the one who acted: None for the system."""
    return user if user is not None and user.is_authenticated else None


def timeline_entry(
    *,
    incident: Incident,
    kind: TimelineKind,
    actor: AbstractBaseUser | None,
    assignment: Assignment | None = None,
    text: str = "",
    data: dict | None = None,
) -> TimelineEntry:
    """An unsaved entry, for `timeline_add_many`. The system (no actor, or anonymous) is stored as None."""
    return TimelineEntry(
        incident=incident,
        assignment=assignment,
        kind=kind,
        actor=person(actor),
        text=text,
        data=data or {},
    )


def timeline_add_many(entries: list[TimelineEntry]) -> list[TimelineEntry]:
    """Several entries in one insert, their sequence numbers in list order; each announced after commit."""
    saved = TimelineEntry.objects.bulk_create(entries)
    publish(saved)
    return saved


def timeline_add(**fields) -> TimelineEntry:
    """One entry, saved; takes the same keywords as `timeline_entry`."""
    entry = timeline_entry(**fields)
    entry.save()
    publish([entry])
    return entry
