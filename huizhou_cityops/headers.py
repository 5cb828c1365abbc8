"""Headers every answer carries: the Content-Security-Policy, and `no-store` on what a signed-in person reads.

Our pages have no inline script or handler (each page loads its own file from /static/), so the policy needs no
nonces. Two areas we do not write keep inline scripts and get a looser script rule: the admin (django-leaflet's
map widget) and the API's Swagger page.
"""

from urllib.parse import urlsplit

from django.conf import settings

POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    # data: for the empty favicon and Leaflet's icons; blob: for the phone's photo previews.
    "img-src": "'self' data: blob:",
    "font-src": "'self'",
    "connect-src": "'self'",
    "worker-src": "'self'",
    "manifest-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}
LOOSE_PREFIXES = ("/admin/", "/api/docs/")


def tile_origin(url_template):
    """The tile server's origin for img-src: "https://{s}.tiles.example/{z}/..." -> "https://*.tiles.example"."""
    parts = urlsplit(url_template.replace("{s}", "s-placeholder"))
    if not parts.scheme or not parts.netloc:
        return ""
    host = parts.netloc.replace("s-placeholder", "*")
    return f"{parts.scheme}://{host}"


def content_security_policy(path):
    """The policy for one path."""
    policy = dict(POLICY)
    origin = tile_origin(settings.LEAFLET_TILE_URL)
    if origin:
        policy["img-src"] += f" {origin}"
    if path.startswith(LOOSE_PREFIXES):
        policy["script-src"] += " 'unsafe-inline'"
        policy["style-src"] += " 'unsafe-inline'"
    return "; ".join(f"{name} {value}" for name, value in policy.items())


def _signed_in(request):
    if request.META.get("HTTP_AUTHORIZATION"):
        return True
    user = getattr(request, "user", None)
    return user is not None and user.is_authenticated


class SecurityHeadersMiddleware:
    """Adds the Content-Security-Policy, and Cache-Control: no-store to signed-in answers that set none."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.setdefault("Content-Security-Policy", content_security_policy(request.path))
        # Case details, panels, lists and exports carry names, addresses and phone numbers: no shared proxy or
        # browser cache may keep them. A view that knows better (the photos) sets its own Cache-Control.
        if _signed_in(request) and not response.has_header("Cache-Control"):
            response["Cache-Control"] = "no-store"
        return response
