"""The offline base map's tiles (grids.tiles): files from TILES_DIR for signed-in users."""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.views.decorators.http import require_GET

from .tiles import image_type, tile_path


@login_required
@require_GET
def tile(request, z, x, y):
    """One 256 px tile z/x/y.png of the local tile package; 404 when there is none (Leaflet leaves the square blank)."""
    path = tile_path(settings.TILES_DIR, z, x, y) if settings.TILES_DIR else None
    if path is None or not path.is_file():
        raise Http404("No such tile.")
    handle = path.open("rb")
    kind = image_type(handle.read(4)) or "image/png"
    handle.seek(0)
    response = FileResponse(handle, content_type=kind)
    # Tiles change only when an administrator imports a new package: a day in the browser's cache is safe.
    response["Cache-Control"] = "private, max-age=86400"
    return response
