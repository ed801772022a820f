"""The one way to write the shared timeline."""

from django.contrib.auth.models import AbstractBaseUser

from .models import Assignment, Incident, TimelineEntry, TimelineKind


def timeline_add(
    *,
    incident: Incident,
    kind: TimelineKind,
    actor: AbstractBaseUser | None,
    assignment: Assignment | None = None,
    text: str = "",
    data: dict | None = None,
) -> TimelineEntry:
    return TimelineEntry.objects.create(
        incident=incident,
        assignment=assignment,
        kind=kind,
        actor=actor if actor is not None and actor.is_authenticated else None,
        text=text,
        data=data or {},
    )
