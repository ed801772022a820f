"""Reads of incidents, assignments and timelines, already limited to what the user may see.

A user sees every incident if they hold the model-level view permission (dispatchers,
commanders); otherwise those their agency's group holds an object permission on.
"""

import math
from datetime import datetime, timedelta
from decimal import Decimal
from statistics import median

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db.models import Case, Prefetch, Q, QuerySet, When
from django.http import Http404
from django.utils import timezone
from guardian.shortcuts import get_objects_for_user

from agencies.models import Agency, Membership
from agencies.selectors import on_duty

from .models import (
    OPEN_ASSIGNMENT_STATUSES,
    OPEN_INCIDENT_STATUSES,
    Assignment,
    AssignmentStatus,
    Incident,
    TimelineEntry,
)
from .roles import can_view_all_incidents, is_commander, is_dispatcher
from .transitions import require


def incidents_visible_to(user: AbstractBaseUser) -> QuerySet[Incident]:
    if not user.is_authenticated:
        return Incident.objects.none()
    if can_view_all_incidents(user):
        return Incident.objects.all()
    # One subquery over the direct-foreign-key permission tables, whatever the number of rows.
    return get_objects_for_user(user, "incidents.view_incident", klass=Incident, accept_global_perms=False)


def can_view_incident(user: AbstractBaseUser, incident: Incident) -> bool:
    return incidents_visible_to(user).filter(pk=incident.pk).exists()


def _visible_one(queryset: QuerySet, pk):
    """The row `pk` of `queryset`, or Http404: a missing row, one the user may not see, and an id that is
    not an id (text, too large for the column) look the same."""
    try:
        return queryset.get(pk=pk)
    except (queryset.model.DoesNotExist, ValueError, TypeError, OverflowError, ValidationError) as exc:
        raise Http404 from exc


def access_incident(user: AbstractBaseUser, pk, *, perm: str | None = None) -> Incident:
    """The incident `pk` as `user` may see it (commander and opener loaded), else Http404 (DESIGN: a
    forbidden object answers 404). With `perm` (transitions.DISPATCH, COMMAND), a user who may see it
    but lacks the permission gets PermissionDenied with that permission's one sentence."""
    incident = _visible_one(incidents_visible_to(user).select_related("commander", "created_by"), pk)
    if perm is not None:
        require(user, perm, incident)
    return incident


def access_assignment(user: AbstractBaseUser, pk, *, perm: str | None = None) -> Assignment:
    """The assignment `pk` (with its incident and agency) if `user` may see its incident, else Http404.
    With `perm` (transitions.ACT_ON_ASSIGNMENT, an object permission, or DISPATCH), PermissionDenied
    with that permission's one sentence when the user may see it but not do that."""
    assignment = _visible_one(assignments_visible_to(user), pk)
    if perm is not None:
        require(user, perm, assignment)
    return assignment


def incident_list(user: AbstractBaseUser, *, statuses=None) -> QuerySet[Incident]:
    """Incidents for a list page: each with its assignments and their agencies, in three queries."""
    incidents = incidents_visible_to(user)
    if statuses is not None:
        incidents = incidents.filter(status__in=statuses)
    return incidents.select_related("commander").prefetch_related(
        Prefetch("assignments", queryset=Assignment.objects.select_related("agency").order_by("created_at", "id"))
    )


def active_incidents(user: AbstractBaseUser) -> QuerySet[Incident]:
    return incident_list(user, statuses=OPEN_INCIDENT_STATUSES)


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


def assignment_ids_actable_by(user: AbstractBaseUser, assignment_ids) -> set[int]:
    """Of these assignments, the ones the user may accept, decline and report on: one query."""
    if not user.is_authenticated or not assignment_ids:
        return set()
    among = Assignment.objects.filter(pk__in=list(assignment_ids))
    return set(get_objects_for_user(user, "incidents.act_on_assignment", klass=among).values_list("pk", flat=True))


def agency_dashboard(user: AbstractBaseUser, agency: Agency, *, since) -> QuerySet[Assignment]:
    """An agency's tasks for its dashboard: open ones on open incidents, and those finished since `since`.

    Pending first, the nearest deadline on top; then the tasks under way; then the finished ones.
    """
    open_incident = Q(incident__status__in=OPEN_INCIDENT_STATUSES)
    open_task = Q(status__in=OPEN_ASSIGNMENT_STATUSES)
    under_way = open_task & open_incident
    lately = (
        Q(created_at__gte=since)
        | Q(accepted_at__gte=since)
        | Q(completed_at__gte=since)
        | Q(declined_at__gte=since)
        | Q(cancelled_at__gte=since)
    )
    return (
        agency_assignments(user, agency)
        .filter(under_way | lately)
        .annotate(
            finished=Case(When(under_way, then=0), default=1),
            pending_first=Case(When(status=AssignmentStatus.PENDING, then=0), default=1),
        )
        .select_related("incident", "agency", "accepted_by")
        .order_by("finished", "pending_first", "accept_by", "-created_at")
    )


def accept_times_today(*, now: datetime) -> dict[int, float]:
    """Per agency id: the median seconds from dispatch to accept, over tasks dispatched today (local day)."""
    start = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    times: dict[int, list[float]] = {}
    rows = Assignment.objects.filter(created_at__gte=start, accepted_at__isnull=False).values_list(
        "agency_id", "created_at", "accepted_at"
    )
    for agency_id, created_at, accepted_at in rows:
        times.setdefault(agency_id, []).append((accepted_at - created_at).total_seconds())
    return {agency_id: median(values) for agency_id, values in times.items()}


# Mean Earth radius (IUGG R1), metres: the sphere the great-circle distances below are measured on.
EARTH_RADIUS_M = 6_371_008.8


def great_circle_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Distance in metres between two points given in WGS-84 degrees, along a great circle of a sphere
    of radius EARTH_RADIUS_M (the haversine formula):

        a = sin²(Δφ/2) + cos φ1 · cos φ2 · sin²(Δλ/2),   d = 2R · asin(√a)

    with φ latitude and λ longitude in radians. Against the WGS-84 ellipsoid it errs by under 0.5 %
    (under 3 m at 500 m), which is well inside the precision of a position taken on a phone call.
    """
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    a = (
        math.sin((phi2 - phi1) / 2) ** 2
        + math.cos(phi1) * math.cos(phi2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def similar_incidents(
    user: AbstractBaseUser,
    *,
    kind: str,
    latitude,
    longitude,
    within_m: float = 500,
    since: timedelta = timedelta(minutes=30),
    now: datetime | None = None,
    limit: int = 20,
    exercise: bool = False,
) -> list[Incident]:
    """Open incidents (active or contained) that `user` may see, of `kind`, opened in the `since` before
    `now`, whose position lies within `within_m` metres of (`latitude`, `longitude`) in WGS-84 degrees:
    the likely duplicates of a call being taken. Nearest first, at most `limit`; each incident carries
    `distance_m` (int, metres, rounded) and `minutes_ago` (int, whole minutes since it was opened).

    The database picks candidates by kind, status, opening time (indexed) and a bounding box on
    latitude and longitude; `great_circle_m` then keeps those truly within the radius. The box is
    exact for a circle on the sphere: Δφ = d/R and Δλ = asin(sin(d/R) / cos φ) (radians); where it
    would reach a pole or wrap across the antimeridian, every longitude is a candidate. Incidents
    without a position are never similar. A real call is never the duplicate of a drill nor a drill of
    a real call: only incidents whose `exercise` equals `exercise` (bool) are candidates.
    """
    now = now or timezone.now()
    lat, lon = float(latitude), float(longitude)
    angle = within_m / EARTH_RADIUS_M
    dlat = math.degrees(angle) + 1e-6  # 1e-6°: the columns' own rounding, so the box never cuts short
    candidates = incidents_visible_to(user).filter(
        kind=kind,
        exercise=bool(exercise),
        status__in=OPEN_INCIDENT_STATUSES,
        created_at__gte=now - since,
        latitude__gte=Decimal(f"{lat - dlat:.6f}"),
        latitude__lte=Decimal(f"{lat + dlat:.6f}"),
        longitude__isnull=False,
    )
    cos_lat = math.cos(math.radians(lat))
    if math.sin(angle) < cos_lat:
        dlon = math.degrees(math.asin(math.sin(angle) / cos_lat)) + 1e-6
        if lon - dlon >= -180 and lon + dlon <= 180:
            candidates = candidates.filter(
                longitude__gte=Decimal(f"{lon - dlon:.6f}"), longitude__lte=Decimal(f"{lon + dlon:.6f}")
            )
    found = []
    for incident in candidates.order_by("-created_at")[:500]:
        distance = great_circle_m(lat, lon, float(incident.latitude), float(incident.longitude))
        if distance <= within_m:
            incident.distance_m = round(distance)
            incident.minutes_ago = max(0, int((now - incident.created_at).total_seconds() // 60))
            found.append(incident)
    found.sort(key=lambda incident: (incident.distance_m, -incident.created_at.timestamp()))
    return found[:limit]


def duty_contacts(user: AbstractBaseUser, assignments) -> list[Membership]:
    """Who is on duty now (name, role, phone: `Membership` with user and agency) in the agencies of
    these assignments (one incident's) that are still on it — and in those that declined, whom the
    dispatcher must call just then. For dispatchers and commanders only (DESIGN: who sees what);
    an empty list for anyone else. Ordered by agency code, then role."""
    if not (is_dispatcher(user) or is_commander(user)):
        return []
    wanted = {a.agency_id for a in assignments if a.is_open or a.status == AssignmentStatus.DECLINED}
    if not wanted:
        return []
    return list(on_duty(roles=None).filter(agency_id__in=wanted).order_by("agency__code", "role", "user__username"))
