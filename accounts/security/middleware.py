"""Every refused request (403) becomes a security event; the request is known to the recorders while it runs."""

from accounts.models import SecurityEventKind

from .events import current_request, security_event_record


class SecurityEventMiddleware:
    """Records 403 answers (workflow refusals, pages a role may not open, CSRF failures) as SecurityEvents."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = current_request.set(request)
        try:
            response = self.get_response(request)
        finally:
            current_request.reset(token)
        if response.status_code == 403:
            security_event_record(kind=SecurityEventKind.DENIED, request=request, detail=_reason(response))
        return response


def _reason(response):
    """The refusal's message when the API gave one."""
    data = getattr(response, "data", None)
    if isinstance(data, dict) and data.get("detail"):
        return data["detail"]
    return ""
