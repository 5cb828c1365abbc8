"""Idle sessions end after SESSION_COOKIE_AGE; a request renews that limit at most once per SESSION_RENEW_SECONDS.

Django's SESSION_SAVE_EVERY_REQUEST would write the session row (an UPDATE and a commit) on every request, the
case lists' and /healthz's alike: under a wall of screens and their polls that write is a large part of each
request. Renewing once a minute keeps the idle limit (a session ends between SESSION_COOKIE_AGE minus
SESSION_RENEW_SECONDS and SESSION_COOKIE_AGE after the last request) for one write a minute per person.
"""

from django.conf import settings
from django.utils import timezone

RENEWED_KEY = "_cityops_renewed_at"


class SessionRenewalMiddleware:
    """Marks a session some part of the request used (signed in) as modified when its last renewal is older than
    SESSION_RENEW_SECONDS, so SessionMiddleware saves it with a fresh expiry. Sits just below SessionMiddleware.
    A request that never touched the session (/healthz, static files) neither reads nor renews it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        session = getattr(request, "session", None)
        if session is None or not session.accessed or session.is_empty():
            return response
        now = timezone.now().timestamp()
        renewed = session.get(RENEWED_KEY)
        if not isinstance(renewed, int | float) or not 0 <= now - renewed < settings.SESSION_RENEW_SECONDS:
            session_mark_renewed(session)
        return response


def session_mark_renewed(session):
    """Record that `session` is saved now with a fresh expiry (a renewal or a sign-in); marks it modified."""
    session[RENEWED_KEY] = timezone.now().timestamp()
