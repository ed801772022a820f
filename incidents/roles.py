"""The platform roles that are not agency memberships: dispatchers and commanders.

Each is a Django Group holding model-level permissions on every incident, made at migrate time so
that an admin on day one only has to put people in them.
"""

from django.contrib.auth.models import AbstractBaseUser, Group, Permission

DISPATCHERS = "dispatchers"
COMMANDERS = "commanders"

_VIEW_ALL = [
    "incidents.view_incident",
    "incidents.view_assignment",
    "incidents.view_timelineentry",
    "agencies.view_agency",
]
ROLE_PERMISSIONS = {
    DISPATCHERS: [*_VIEW_ALL, "incidents.dispatch_incident"],
    COMMANDERS: [*_VIEW_ALL, "incidents.dispatch_incident", "incidents.command_incident"],
}


def ensure_role_groups(**kwargs) -> None:
    for name, perms in ROLE_PERMISSIONS.items():
        group, _created = Group.objects.get_or_create(name=name)
        wanted = []
        for dotted in perms:
            app_label, codename = dotted.split(".")
            perm = Permission.objects.filter(content_type__app_label=app_label, codename=codename).first()
            if perm is not None:
                wanted.append(perm)
        group.permissions.add(*wanted)


def can_view_all_incidents(user: AbstractBaseUser) -> bool:
    return user.is_authenticated and user.has_perm("incidents.view_incident")


def is_dispatcher(user: AbstractBaseUser) -> bool:
    return user.is_authenticated and user.has_perm("incidents.dispatch_incident")


def is_commander(user: AbstractBaseUser) -> bool:
    return user.is_authenticated and user.has_perm("incidents.command_incident")
