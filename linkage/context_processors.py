import functools

from django.conf import settings
from django.http import HttpRequest

from agencies.selectors import agency_memberships_of
from incidents.roles import is_commander, is_dispatcher
from notifications.selectors import unread_count


def navigation(request: HttpRequest) -> dict:
    """What the top bar links to: the pages this person's roles open."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"map_tiles": settings.LINKAGE_MAP_TILES}
    return {
        "nav_dispatcher": is_dispatcher(user),
        "nav_commander": is_commander(user),
        # Read when a template shows the top bar (Django calls a callable context value): a page
        # region (incidents/regions.py) has no top bar and does not pay for these queries.
        "nav_memberships": functools.cache(lambda: list(agency_memberships_of(user))),
        "nav_unread": functools.cache(lambda: unread_count(user)),
        "map_tiles": settings.LINKAGE_MAP_TILES,
    }
