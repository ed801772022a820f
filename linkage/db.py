"""Small database helpers shared by the apps."""

from django.db import models
from django.db.models import Q


def in_choices(field: str, choices: type[models.Choices]) -> Q:
    """A check-constraint condition: `field` holds one of the enumeration's values."""
    return Q(**{f"{field}__in": choices.values})
