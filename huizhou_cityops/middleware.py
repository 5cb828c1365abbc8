"""Request guards that apply to every URL before any view parses its input."""

from django.http import HttpResponseBadRequest, JsonResponse
from django.middleware.gzip import GZipMiddleware
from django.utils.translation import gettext as _

FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def _has_nul(fields) -> bool:
    return any("\x00" in value for key in fields for value in [key, *fields.getlist(key)])


class RefuseNulCharactersMiddleware:
    """400 for a query string or form field holding a NUL character: no text column of PostgreSQL can store one.

    Forms and serializers refuse NUL in the fields they declare, but pages read some parameters straight from the
    query string (a scheme code, a filter value), and a NUL there reached the database as a server error. No real
    client sends one, so the request is refused whole, before any view. JSON bodies are left to the serializers,
    whose text fields refuse NUL with a field message; uploaded files may hold any bytes.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        refused = _has_nul(request.GET)
        if not refused and request.method == "POST" and request.content_type in FORM_TYPES:
            refused = _has_nul(request.POST)
        if refused:
            message = _("The request holds a NUL character, which no field accepts.")
            if request.path.startswith("/api/"):
                return JsonResponse({"detail": message, "code": "nul_character"}, status=400)
            return HttpResponseBadRequest(message, content_type="text/plain; charset=utf-8")
        return self.get_response(request)


# JSON answers are repetitive (map layers, boundaries, lists) and shrink five- to tenfold.
GZIP_TYPES = ("application/json", "application/geo+json", "application/vnd.oai.openapi+json")


class JsonGZipMiddleware(GZipMiddleware):
    """Django's gzip (with its random padding against BREACH) for whole JSON answers only.

    Streams are left alone: the live stream's events must reach the screen as they are written, and the exports
    are files the browser saves. Pages are small once whitenoise has compressed the static files they load.
    """

    def process_response(self, request, response):
        if response.streaming:
            return response
        content_type = response.get("Content-Type", "").split(";")[0].strip()
        if content_type not in GZIP_TYPES:
            return response
        return super().process_response(request, response)
