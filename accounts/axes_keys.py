"""The username under which axes counts a failed sign-in (settings.AXES_USERNAME_CALLABLE)."""

from django.conf import settings
from django.contrib.auth import get_user_model


def attempted_username(request, credentials):
    """The username a sign-in tried, cut to the longest a username can be, so that axes can store it."""
    if credentials:
        username = credentials.get(settings.AXES_USERNAME_FORM_FIELD)
    else:
        username = getattr(request, "data", request.POST).get(settings.AXES_USERNAME_FORM_FIELD)
    if username is None:
        return None
    # Axes keeps the name in a 255-character column; a longer one made the failed sign-in itself fail (500).
    # No account has a longer name than the model allows, so the cut name locks out nobody who exists.
    limit = get_user_model()._meta.get_field(get_user_model().USERNAME_FIELD).max_length
    return str(username)[:limit]
