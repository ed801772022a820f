"""What every API view shares: errors, throttles, pagination, and how a time is written (`wire_time`).

Imported by every app's API views, so it sits in the lowest layer (pyproject.toml, [tool.importlinter]):
it knows the errors of that layer (linkage.errors, interop), never an app's.
"""

import logging

from django.core.cache.backends.locmem import LocMemCache
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse
from redis.exceptions import RedisError
from rest_framework import exceptions, serializers, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.settings import api_settings
from rest_framework.throttling import AnonRateThrottle, UserRateThrottle
from rest_framework.views import exception_handler as drf_exception_handler

from interop.cap import CapTooLarge
from linkage.errors import DomainConflict

_TIME = serializers.DateTimeField()


def wire_time(value) -> str | None:
    """A time as every wire format of Linkage writes it (the API's fields, live events, webhooks,
    timeline data): ISO 8601 in local time (TIME_ZONE, "2026-11-29T11:31:03.412000+08:00"), exactly as
    DRF's DateTimeField does. `value`: an aware datetime, or None (gives None)."""
    return None if value is None else _TIME.to_representation(value)


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = _("This change conflicts with the current state.")
    default_code = "conflict"


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = _("The request body is too large.")
    default_code = "too_large"


def exception_handler(exc, context):
    """The domain's errors in HTTP: a DomainConflict (an illegal move, a lost race) 409, bad input 400
    with field messages, too big (a body, a CAP message) 413, PermissionDenied 403."""
    if isinstance(exc, DomainConflict):
        exc = Conflict(detail=exc.message)
    elif isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(detail=exc.message_dict if hasattr(exc, "error_dict") else exc.messages)
    elif isinstance(exc, RequestDataTooBig | CapTooLarge):
        exc = PayloadTooLarge()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(detail=str(exc) or None)
    return drf_exception_handler(exc, context)


logger = logging.getLogger(__name__)


class _LiveRates:
    """Read the rate when asked, not at import, so that settings changes (and tests) take effect.

    The counters live in the cache (Redis in the services mode). If the cache is down, a throttle
    without a `fallback_cache` lets the request through: a dispatcher's write must not fail because a
    rate counter cannot be read. One with a `fallback_cache` counts in it instead (per process).
    """

    fallback_cache = None

    def get_rate(self):
        return api_settings.DEFAULT_THROTTLE_RATES[self.scope]

    def allow_request(self, request, view):
        try:
            return super().allow_request(request, view)
        except (RedisError, OSError):
            if self.fallback_cache is None:
                logger.warning("throttle cache unavailable; %s let through", self.scope, exc_info=True)
                return True
            logger.warning("throttle cache unavailable; %s counted in this process", self.scope)
            self.cache = self.fallback_cache
            return super().allow_request(request, view)


class TokenThrottle(_LiveRates, AnonRateThrottle):
    """Sign-in requests per client address, right password or wrong: guessing passwords is slow.

    While Redis is down they are counted in each server process instead of not at all. (Wrong
    passwords are also counted in the database by django-axes, per address and per username:
    linkage/auth.py.)
    """

    scope = "token"
    fallback_cache = LocMemCache("linkage-token-throttle", {"MAX_ENTRIES": 10_000})


class WriteThrottle(_LiveRates, UserRateThrottle):
    """Writes per user; reads are not throttled."""

    scope = "writes"

    def allow_request(self, request, view):
        if request.method in ("GET", "HEAD", "OPTIONS"):
            return True
        return super().allow_request(request, view)


class Pagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()


# Error responses every API module documents alike.
E400 = OpenApiResponse(OpenApiTypes.OBJECT, description="Bad input: a message per field.")
E401 = OpenApiResponse(ErrorSerializer, description="Not signed in.")
E404 = OpenApiResponse(ErrorSerializer, description="No such thing, or not one you may see.")
E_PAGE = OpenApiResponse(ErrorSerializer, description="No such page.")
