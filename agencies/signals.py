"""Keep each agency's Group in step with its roster.

Rosters are edited in the admin as much as through code, so the sync hangs on the model signals
rather than on one service: whichever way a membership changes, the group follows.
"""

from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver
from guardian.shortcuts import assign_perm

from .models import Agency, Membership


@receiver(post_save, sender=Agency)
def agency_saved(sender, instance: Agency, created: bool, **kwargs) -> None:
    if created:
        assign_perm("agencies.view_roster", instance.group, instance)


@receiver(pre_save, sender=Membership)
def membership_moving(sender, instance: Membership, **kwargs) -> None:
    """A membership moved to another agency (or user) leaves the old agency's group behind."""
    if instance.pk is None:
        return
    old = Membership.objects.filter(pk=instance.pk).select_related("agency", "user").first()
    if old is not None and (old.agency_id != instance.agency_id or old.user_id != instance.user_id):
        old.user.groups.remove(old.agency.group)


@receiver(post_save, sender=Membership)
def membership_saved(sender, instance: Membership, **kwargs) -> None:
    group = instance.agency.group
    if instance.is_active:
        instance.user.groups.add(group)
    else:
        instance.user.groups.remove(group)


@receiver(post_delete, sender=Membership)
def membership_deleted(sender, instance: Membership, **kwargs) -> None:
    instance.user.groups.remove(instance.agency.group)
