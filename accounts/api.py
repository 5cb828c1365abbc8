"""The API token endpoint: a token for a username and password, refused with 429 while the account is locked."""

from axes.helpers import get_cool_off
from django.conf import settings
from django.utils.translation import gettext, ngettext
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from .security.tokens import token_expires_at, token_issue


def lockout_message(request):
    """The lockout page's sentence, for the API."""
    cool_off = get_cool_off(request)
    if not cool_off:
        return gettext("Too many failed sign-in attempts. Ask an administrator to unlock your account.")
    minutes = int(cool_off.total_seconds() // 60)
    return ngettext(
        "Too many failed sign-in attempts. Try again in %(minutes)s minute.",
        "Too many failed sign-in attempts. Try again in %(minutes)s minutes.",
        minutes,
    ) % {"minutes": minutes}


class TokenObtainView(APIView):
    """POST a username and password; get the API token and when it expires."""

    authentication_classes = []
    permission_classes = [AllowAny]
    serializer_class = AuthTokenSerializer

    @extend_schema(
        request=AuthTokenSerializer,
        responses={
            200: inline_serializer(
                "IssuedToken", {"token": serializers.CharField(), "expires_at": serializers.DateTimeField()}
            ),
            400: OpenApiResponse(description="Wrong username or password, or fields missing."),
            429: inline_serializer("LockedOut", {"detail": serializers.CharField(), "code": serializers.CharField()}),
        },
    )
    def post(self, request):
        serializer = AuthTokenSerializer(data=request.data, context={"request": request})
        if serializer.is_valid():
            token = token_issue(user=serializer.validated_data["user"])
            return Response({"token": token.key, "expires_at": token_expires_at(token)})
        # Axes marks the request it refused (or locked with this very failure); the page says the same.
        if getattr(request, "axes_locked_out", False):
            response = Response(
                {"detail": lockout_message(request), "code": "locked_out"}, status=settings.AXES_HTTP_RESPONSE_CODE
            )
            cool_off = get_cool_off(request)
            if cool_off:
                response["Retry-After"] = str(int(cool_off.total_seconds()))
            return response
        return Response(serializer.errors, status=status.HTTP_400_BAD_REQUEST)
