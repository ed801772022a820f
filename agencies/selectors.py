"""Reads of agencies and rosters, limited to what the asking user may see."""

from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone
from guardian.shortcuts import get_objects_for_user

from .models import Agency, MemberRole, Membership, Shift


def agencies_active() -> QuerySet[Agency]:
    return Agency.objects.filter(is_active=True)


def active_agencies_by_code(codes) -> dict[str, Agency]:
    """{code: agency} for those of `codes` (strings) that name an active agency; the others are absent.
    The one lookup of agencies by code (services, the API, the pages' forms)."""
    return {agency.code: agency for agency in agencies_active().filter(code__in=list(codes))}


def active_agency(code: str) -> Agency | None:
    """The active agency with this code, or None."""
    return active_agencies_by_code([code]).get(code)


def agency_memberships_of(user: AbstractBaseUser) -> QuerySet[Membership]:
    """The user's own memberships that give the agency's access, their agency joined: active, of an
    active agency, and the user in the agency's group — the group whose object permissions decide what
    HTTP shows them (an admin taking the group away ends the access even with the membership left)."""
    if not user.is_authenticated:
        return Membership.objects.none()
    return Membership.objects.filter(
        user=user, is_active=True, agency__is_active=True, agency__group__user=user
    ).select_related("agency")


def can_watch_agency(user: AbstractBaseUser, agency_id) -> bool:
    """Whether `user` is a member with the agency's access (`agency_memberships_of`): the one rule for
    the agency dashboard and the /ws/agency/<id>/ socket, at the handshake and at every re-check."""
    return agency_memberships_of(user).filter(agency_id=agency_id).exists()


def agencies_with_roster_visible_to(user: AbstractBaseUser) -> QuerySet[Agency]:
    """Agencies whose roster the user may read: their own, or all for roster admins."""
    if not user.is_authenticated:
        return Agency.objects.none()
    if user.has_perm("agencies.view_membership"):
        return Agency.objects.all()
    return get_objects_for_user(user, "agencies.view_roster", klass=Agency, accept_global_perms=False)


def roster_for(*, user: AbstractBaseUser, agency: Agency) -> QuerySet[Membership]:
    """An agency's members with phones and shifts; empty for anyone outside the agency."""
    if not agencies_with_roster_visible_to(user).filter(pk=agency.pk).exists():
        return Membership.objects.none()
    return (
        Membership.objects.filter(agency=agency)
        .select_related("user", "agency")
        .prefetch_related("shifts")
        .order_by("role", "user__username")
    )


def _on_duty_at(at: datetime):
    return Shift.objects.filter(membership=OuterRef("pk"), starts_at__lte=at, ends_at__gt=at)


def on_duty(*, agency: Agency | None = None, at: datetime | None = None, roles=None) -> QuerySet[Membership]:
    """Who is on duty now (or at `at`): active members with a shift covering that moment."""
    at = at or timezone.now()
    members = Membership.objects.filter(is_active=True, user__is_active=True).filter(Exists(_on_duty_at(at)))
    if agency is not None:
        members = members.filter(agency=agency)
    if roles is not None:
        members = members.filter(role__in=roles)
    return members.select_related("user", "agency")


def duty_chiefs(*, agency: Agency, at: datetime | None = None) -> list[Membership]:
    """The chiefs on duty; if none is on shift, every active chief of the agency (someone must hear)."""
    chiefs = list(on_duty(agency=agency, at=at, roles=[MemberRole.CHIEF]))
    if chiefs:
        return chiefs
    return list(
        Membership.objects.filter(
            agency=agency, role=MemberRole.CHIEF, is_active=True, user__is_active=True
        ).select_related("user", "agency")
    )
