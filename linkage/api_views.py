from django.conf import settings
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.authtoken.models import Token
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from .api import E401, ErrorSerializer, TokenThrottle
from .auth import authenticate_serialised, lockout_message, lockout_seconds, token_expires, token_for, tokens_revoke
from .ws_auth import ws_ticket_issue


class SignInLocked(exceptions.APIException):
    """Too many wrong passwords for this address or username (django-axes): 429 with Retry-After."""

    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    default_code = "locked_out"

    def __init__(self):
        super().__init__(detail=lockout_message())
        self.wait = lockout_seconds()  # DRF's handler turns this into Retry-After


class TokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=256, style={"input_type": "password"}, trim_whitespace=False)


class TokenResponseSerializer(serializers.Serializer):
    token = serializers.CharField()
    expires = serializers.DateTimeField(help_text="After this the token answers 401; ask for a new one.")


class TokenView(APIView):
    """Exchange a username and password for an API token (`Authorization: Token <key>`); revoke it."""

    def _signing_in(self) -> bool:
        return getattr(self.request, "method", None) == "POST"

    def get_authenticators(self):
        # POST is the sign-in itself: no credentials are looked at but the body's. DELETE needs a caller.
        if self._signing_in():
            return []
        return [auth() for auth in api_settings.DEFAULT_AUTHENTICATION_CLASSES]

    def get_permissions(self):
        return [AllowAny()] if self._signing_in() else [IsAuthenticated()]

    def get_throttles(self):
        return [TokenThrottle()] if self._signing_in() else []

    def get_authenticate_header(self, request) -> str:
        return "Token"  # so that a wrong password is a 401, as for any other failed authentication

    @extend_schema(
        operation_id="auth_token_create",
        summary="Get an API token",
        description=(
            "The token works for LINKAGE_TOKEN_SECONDS (default 30 days) after it was issued, until the "
            "password changes or it is revoked. Asking again returns the same token until it expires. "
            "Wrong passwords are counted per client address and per username: past the limit both are "
            "refused (429) for the cool-off, also with the right password."
        ),
        auth=[],
        request=TokenRequestSerializer,
        responses={
            200: TokenResponseSerializer,
            400: OpenApiResponse(description="Missing fields."),
            401: OpenApiResponse(ErrorSerializer, description="Wrong username or password."),
            429: OpenApiResponse(ErrorSerializer, description="Too many attempts: wait before trying again."),
        },
    )
    def post(self, request):
        data = TokenRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = authenticate_serialised(request._request, **data.validated_data)
        if getattr(request._request, "axes_locked_out", False):
            raise SignInLocked()
        if user is None or not user.is_active:
            raise exceptions.AuthenticationFailed(_("Wrong username or password."))
        token = token_for(user=user)
        return Response({"token": token.key, "expires": token_expires(token)}, status=status.HTTP_200_OK)

    @extend_schema(
        operation_id="auth_token_destroy",
        summary="Revoke your API token",
        description="Every client using your token is signed out of the API; POST here for a new one.",
        request=None,
        responses={204: None, 401: E401},
    )
    def delete(self, request):
        tokens_revoke(user_id=request.user.pk)
        return Response(status=status.HTTP_204_NO_CONTENT)


class WsTicketResponseSerializer(serializers.Serializer):
    ticket = serializers.CharField(help_text="Open one socket with ?ticket=<this> before it expires.")
    expires_in = serializers.IntegerField(help_text="Seconds.")


class WsTicketView(APIView):
    """A short-lived, single-use ticket that opens one WebSocket (`/ws/...?ticket=`) as the caller."""

    throttle_classes = []  # nothing stored but a minute's cache key; reconnecting clients need many

    @extend_schema(
        operation_id="auth_ws_ticket_create",
        summary="Get a socket ticket",
        description=(
            "For API clients, which have no session cookie: open one socket with `?ticket=` within "
            "LINKAGE_WS_TICKET_SECONDS (default 60). A ticket opens one socket only; it stops working when "
            "the password changes or the user is deactivated."
        ),
        request=None,
        responses={200: WsTicketResponseSerializer, 401: E401},
    )
    def post(self, request):
        token = request.auth if isinstance(request.auth, Token) else None  # None: a session asked
        ticket = ws_ticket_issue(user=request.user, token=token)
        return Response({"ticket": ticket, "expires_in": settings.LINKAGE_WS_TICKET_SECONDS})
