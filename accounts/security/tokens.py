"""API tokens that expire (settings.API_TOKEN_LIFETIME) and are revoked when the password or the account changes."""

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication
from rest_framework.authtoken.models import Token

from accounts.models import User
from accounts.scope import POSTING_COLUMNS, POSTINGS_FROM, scope_from_postings


def token_expires_at(token):
    return token.created + settings.API_TOKEN_LIFETIME


def token_expired(token, *, now=None) -> bool:
    return token_expires_at(token) <= (now or timezone.now())


class ExpiringTokenAuthentication(TokenAuthentication):
    """DRF token authentication that refuses a token older than API_TOKEN_LIFETIME (401).

    One query reads the token, its user and the user's current postings (the scope every API view reads next), in
    SQL written out: DRF's ORM lookup and the scope's own query cost more CPU than the rest of a small request.
    """

    def authenticate_credentials(self, key):
        found = _token_with_user_and_postings(key)
        if found is None:
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        user, token, postings = found
        if not user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        if token_expired(token):
            raise exceptions.AuthenticationFailed(_("Token has expired: ask for a new one."))
        scope_from_postings(user, postings)
        return user, token


def _token_with_user_and_postings(key):
    """(user, token, current postings as rows of POSTING_COLUMNS) for the key, or None."""
    user_fields = [f.attname for f in User._meta.concrete_fields]
    columns = ", ".join(f'u."{f.column}"' for f in User._meta.concrete_fields)
    postings = POSTINGS_FROM.format(user="u.id", today="%(today)s")
    # Column and table names from the models; the key and the day are parameters.
    sql = (
        f"SELECT t.created, {columns}, (SELECT coalesce(json_agg(json_build_array({POSTING_COLUMNS})), '[]') "  # noqa: S608
        f"{postings}) FROM authtoken_token AS t JOIN accounts_user AS u ON u.id = t.user_id WHERE t.key = %(key)s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, {"key": str(key), "today": timezone.localdate()})
        row = cursor.fetchone()
    if row is None:
        return None
    user = User.from_db(connection.alias, user_fields, row[1:-1])
    token = Token.from_db(connection.alias, ["key", "user_id", "created"], (str(key), user.pk, row[0]))
    token.user = user
    return user, token, row[-1]


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
