"""Keep each agency's Group in step with its roster.

Rosters are edited in the admin as much as through code, so the sync hangs on the model signals
rather than on one service: whichever way a membership changes, the group follows.
"""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_save
from django.dispatch import receiver
from guardian.shortcuts import assign_perm
from rest_framework.authtoken.models import Token

from linkage.consumers import sockets_recheck

from .models import Agency, Membership


@receiver(post_save, sender=Agency)
def agency_saved(sender, instance: Agency, created: bool, **kwargs) -> None:
    if created:
        assign_perm("agencies.view_roster", instance.group, instance)


@receiver(post_save, sender=Agency, dispatch_uid="agency_switched_on_or_off")
def agency_switched(sender, instance: Agency, created: bool, **kwargs) -> None:
    """An agency switched off loses every access its group gives (incidents, tasks, roster: HTTP and
    sockets alike): its members leave the group, which tells their sockets to re-check. Switched on
    again, its active members are back in it."""
    if created or instance.group_id is None:
        return
    if instance.is_active:
        users = Membership.objects.filter(agency=instance, is_active=True).values_list("user_id", flat=True)
        instance.group.user_set.add(*users)
    else:
        instance.group.user_set.clear()


@receiver(pre_save, sender=Membership)
def membership_moving(sender, instance: Membership, **kwargs) -> None:
    """A membership moved to another agency (or user) leaves the old agency's group behind."""
    if instance.pk is None:
        return
    old = Membership.objects.filter(pk=instance.pk).select_related("agency", "user").first()
    instance._linkage_old_user_id = old.user_id if old is not None else None  # whose sockets re-check
    if old is not None and (old.agency_id != instance.agency_id or old.user_id != instance.user_id):
        old.user.groups.remove(old.agency.group)


@receiver(post_save, sender=Membership)
def membership_saved(sender, instance: Membership, **kwargs) -> None:
    group = instance.agency.group
    if instance.is_active and instance.agency.is_active:
        instance.user.groups.add(group)
    else:
        instance.user.groups.remove(group)


@receiver(post_delete, sender=Membership)
def membership_deleted(sender, instance: Membership, **kwargs) -> None:
    instance.user.groups.remove(instance.agency.group)


# --- Access ends: open sockets re-check ------------------------------------------------------
# New requests and handshakes read permissions afresh; an open socket was checked when it opened.
# Every change that can take access away tells that user's sockets to check again after commit
# (linkage/consumers.py); a socket whose user may no longer have its group closes (4403). A change
# that only adds access costs a re-check that keeps the socket open.


def _recheck_after_commit(user_ids) -> None:
    user_ids = set(user_ids)
    if user_ids:
        transaction.on_commit(lambda: sockets_recheck(user_ids))


@receiver(post_save, sender=Membership, dispatch_uid="membership_saved_recheck_sockets")
def membership_saved_recheck_sockets(sender, instance: Membership, created: bool, **kwargs) -> None:
    """Deactivated, moved to another agency or user: the old holder's sockets re-check."""
    if not created:
        _recheck_after_commit({instance.user_id, getattr(instance, "_linkage_old_user_id", None)} - {None})


@receiver(post_delete, sender=Membership, dispatch_uid="membership_deleted_recheck_sockets")
def membership_deleted_recheck_sockets(sender, instance: Membership, **kwargs) -> None:
    _recheck_after_commit({instance.user_id})


@receiver(post_save, sender=Agency, dispatch_uid="agency_saved_recheck_sockets")
def agency_saved_recheck_sockets(sender, instance: Agency, created: bool, **kwargs) -> None:
    """An agency switched off: its members' agency sockets close."""
    if not created and not instance.is_active:
        _recheck_after_commit(Membership.objects.filter(agency=instance).values_list("user_id", flat=True))


@receiver(post_save, sender=settings.AUTH_USER_MODEL, dispatch_uid="user_saved_recheck_sockets")
def user_saved_recheck_sockets(sender, instance, created: bool, update_fields=None, **kwargs) -> None:
    """Deactivated, or superuser taken away (or anything else an admin changed): re-check. A login's
    save of last_login alone is not a change of access."""
    if created or (update_fields is not None and set(update_fields) <= {"last_login"}):
        return
    _recheck_after_commit({instance.pk})


@receiver(post_delete, sender=settings.AUTH_USER_MODEL, dispatch_uid="user_deleted_recheck_sockets")
def user_deleted_recheck_sockets(sender, instance, **kwargs) -> None:
    _recheck_after_commit({instance.pk})


@receiver(post_delete, sender=Token, dispatch_uid="token_deleted_recheck_sockets")
def token_deleted_recheck_sockets(sender, instance, **kwargs) -> None:
    """An API token revoked (DELETE /api/v1/auth/token/, the admin, a new password): sockets opened
    with a ticket asked for with it close."""
    _recheck_after_commit({instance.user_id})


def _users_with(**lookup) -> set[int]:
    return set(get_user_model().objects.filter(**lookup).values_list("pk", flat=True).distinct())


def _m2m_narrowed(instance, action: str, affected) -> None:
    """An m2m relation lost rows (remove or clear): re-check `affected()`'s users' sockets. A clear
    is measured before it happens (afterwards nobody is left to ask)."""
    if action == "pre_clear":
        instance._linkage_cleared_users = affected()
    elif action == "post_clear":
        _recheck_after_commit(getattr(instance, "_linkage_cleared_users", set()))
    elif action == "post_remove":
        _recheck_after_commit(affected())


User = get_user_model()


@receiver(m2m_changed, sender=User.groups.through, dispatch_uid="user_groups_recheck_sockets")
def user_groups_changed(sender, instance, action: str, reverse: bool, pk_set, **kwargs) -> None:
    """Taken out of the dispatchers or commanders (or an agency's group), from either side."""
    if reverse:  # instance is a group; pk_set the users (None on clear)
        _m2m_narrowed(instance, action, lambda: set(pk_set or ()) or _users_with(groups=instance))
    else:
        _m2m_narrowed(instance, action, lambda: {instance.pk})


@receiver(m2m_changed, sender=User.user_permissions.through, dispatch_uid="user_permissions_recheck_sockets")
def user_permissions_changed(sender, instance, action: str, reverse: bool, pk_set, **kwargs) -> None:
    if reverse:  # instance is a permission
        _m2m_narrowed(instance, action, lambda: set(pk_set or ()) or _users_with(user_permissions=instance))
    else:
        _m2m_narrowed(instance, action, lambda: {instance.pk})


@receiver(m2m_changed, sender=Group.permissions.through, dispatch_uid="group_permissions_recheck_sockets")
def group_permissions_changed(sender, instance, action: str, reverse: bool, pk_set, **kwargs) -> None:
    """A permission taken from a role group: everyone in the group re-checks."""
    if reverse:  # instance is a permission; pk_set the groups (None on clear)
        _m2m_narrowed(
            instance,
            action,
            lambda: _users_with(groups__in=pk_set) if pk_set else _users_with(groups__permissions=instance),
        )
    else:
        _m2m_narrowed(instance, action, lambda: _users_with(groups=instance))
