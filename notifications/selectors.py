from django.contrib.auth.models import AbstractBaseUser
from django.db.models import QuerySet

from .models import Channel, Notification


def notifications_of(user: AbstractBaseUser) -> QuerySet[Notification]:
    """A person's own notifications, every channel, each with its attempts."""
    if not user.is_authenticated:
        return Notification.objects.none()
    return Notification.objects.filter(recipient=user).prefetch_related("delivery_attempts")


def inbox_of(user: AbstractBaseUser) -> QuerySet[Notification]:
    """The in-app ones: what the page header counts and the notifications page lists."""
    return notifications_of(user).filter(channel=Channel.IN_APP)


def unread_count(user: AbstractBaseUser) -> int:
    if not user.is_authenticated:
        return 0
    return Notification.objects.filter(recipient=user, channel=Channel.IN_APP, read_at__isnull=True).count()
