"""Reads of incidents, assignments and timelines, already limited to what the user may see.

A user sees every incident if they hold the model-level view permission (dispatchers,
commanders); otherwise those their agency's group holds an object permission on.
"""

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Prefetch, QuerySet
from guardian.shortcuts import get_objects_for_user

from agencies.models import Agency

from .models import Assignment, Incident, IncidentStatus, TimelineEntry
from .roles import can_view_all_incidents


def incidents_visible_to(user: AbstractBaseUser) -> QuerySet[Incident]:
    if not user.is_authenticated:
        return Incident.objects.none()
    if can_view_all_incidents(user):
        return Incident.objects.all()
    # One subquery over the direct-foreign-key permission tables, whatever the number of rows.
    return get_objects_for_user(user, "incidents.view_incident", klass=Incident, accept_global_perms=False)


def can_view_incident(user: AbstractBaseUser, incident: Incident) -> bool:
    return incidents_visible_to(user).filter(pk=incident.pk).exists()


def incident_list(user: AbstractBaseUser, *, statuses=None) -> QuerySet[Incident]:
    """Incidents for a list page: each with its assignments and their agencies, in three queries."""
    incidents = incidents_visible_to(user)
    if statuses is not None:
        incidents = incidents.filter(status__in=statuses)
    return incidents.select_related("commander").prefetch_related(
        Prefetch("assignments", queryset=Assignment.objects.select_related("agency").order_by("created_at", "id"))
    )


def active_incidents(user: AbstractBaseUser) -> QuerySet[Incident]:
    return incident_list(user, statuses=[IncidentStatus.ACTIVE, IncidentStatus.CONTAINED])


def assignments_visible_to(user: AbstractBaseUser) -> QuerySet[Assignment]:
    """Every assignment on an incident the user may see (agencies on one incident share one picture)."""
    return Assignment.objects.filter(incident__in=incidents_visible_to(user)).select_related("incident", "agency")


def agency_assignments(user: AbstractBaseUser, agency: Agency) -> QuerySet[Assignment]:
    return assignments_visible_to(user).filter(agency=agency)


def timeline_for(user: AbstractBaseUser, incident: Incident, *, after: int | None = None) -> QuerySet[TimelineEntry]:
    """An incident's timeline after sequence number `after`; empty if the user may not see it."""
    entries = TimelineEntry.objects.filter(incident__in=incidents_visible_to(user).filter(pk=incident.pk))
    if after is not None:
        entries = entries.filter(pk__gt=after)
    return entries.select_related("actor", "assignment__agency").order_by("pk")
