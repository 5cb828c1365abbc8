"""Writing security events; the request being served (if any) says who acted, from where and on which path."""

from contextvars import ContextVar

from accounts.models import SecurityEvent

from .clientip import client_ip

# Set by SecurityEventMiddleware for the length of one request, so that a posting saved in the admin or an
# account changed through a page is recorded with the person who did it, without passing the request through
# every service.
current_request: ContextVar = ContextVar("cityops_current_request", default=None)


def _signed_in(request):
    user = getattr(request, "user", None)
    return user if user is not None and user.is_authenticated else None


def security_event_record(*, kind, request=None, username="", subject=None, detail="") -> SecurityEvent:
    """Write one SecurityEvent; without `request`, the current request (if any) gives the actor and address."""
    request = request if request is not None else current_request.get()
    actor = _signed_in(request) if request is not None else None
    if not username:
        username = (subject or actor).get_username() if (subject or actor) is not None else ""
    return SecurityEvent.objects.create(
        kind=kind,
        actor=actor,
        username=username[:150],
        subject=subject,
        ip_address=client_ip(request) if request is not None else None,
        method=request.method[:10] if request is not None else "",
        path=request.path[:300] if request is not None else "",
        detail=str(detail)[:500],
    )
