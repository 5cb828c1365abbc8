"""API tokens that expire (settings.API_TOKEN_LIFETIME) and are revoked when the password or the account changes."""

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication
from rest_framework.authtoken.models import Token


def token_expires_at(token):
    return token.created + settings.API_TOKEN_LIFETIME


def token_expired(token, *, now=None) -> bool:
    return token_expires_at(token) <= (now or timezone.now())


class ExpiringTokenAuthentication(TokenAuthentication):
    """DRF token authentication that refuses a token older than API_TOKEN_LIFETIME (401)."""

    def authenticate_credentials(self, key):
        user, token = super().authenticate_credentials(key)
        if token_expired(token):
            raise exceptions.AuthenticationFailed(_("Token has expired: ask for a new one."))
        return user, token


def token_issue(*, user) -> Token:
    """The user's current token; an expired one is replaced by a new one."""
    token, _created = Token.objects.get_or_create(user=user)
    if not token_expired(token):
        return token
    with transaction.atomic():
        # Only the token we saw: a concurrent request may have replaced it already, and its new one stays.
        Token.objects.filter(pk=token.pk, created=token.created).delete()
    token, _created = Token.objects.get_or_create(user=user)
    return token


def tokens_revoke(*, user) -> int:
    """Delete the user's API tokens; returns how many there were."""
    deleted, _detail = Token.objects.filter(user=user).delete()
    return deleted
