"""The one way to write the shared timeline."""

from django.contrib.auth.models import AbstractBaseUser

from .models import Assignment, Incident, TimelineEntry, TimelineKind


def timeline_entry(
    *,
    incident: Incident,
    kind: TimelineKind,
    actor: AbstractBaseUser | None,
    assignment: Assignment | None = None,
    text: str = "",
    data: dict | None = None,
) -> TimelineEntry:
    """An unsaved entry, for `timeline_add_many`."""
    return TimelineEntry(
        incident=incident,
        assignment=assignment,
        kind=kind,
        actor=actor if actor is not None and actor.is_authenticated else None,
        text=text,
        data=data or {},
    )


def timeline_add_many(entries: list[TimelineEntry]) -> list[TimelineEntry]:
    """Several entries in one insert, their sequence numbers in list order."""
    return TimelineEntry.objects.bulk_create(entries)


def timeline_add(
    *,
    incident: Incident,
    kind: TimelineKind,
    actor: AbstractBaseUser | None,
    assignment: Assignment | None = None,
    text: str = "",
    data: dict | None = None,
) -> TimelineEntry:
    entry = timeline_entry(incident=incident, kind=kind, actor=actor, assignment=assignment, text=text, data=data)
    entry.save()
    return entry
