"""The offline base map: a tile package on the server's disk (TILES_DIR/z/x/y.png), and its import from MBTiles.

An intranet without internet access cannot reach a public tile server. An administrator exports an MBTiles file
for Huizhou (any tool that writes the MBTiles 1.3 format, e.g. QGIS "Generate XYZ tiles (MBTiles)"), copies it to
the server and runs `manage.py import_tiles FILE.mbtiles`; the files land in TILES_DIR and `/tiles/z/x/y.png`
serves them to signed-in users (`LEAFLET_TILE_URL=/tiles/{z}/{x}/{y}.png`).
"""

import math
import sqlite3
from dataclasses import dataclass
from pathlib import Path

# Huizhou's extent (lon/lat) with a margin: the default box of an import.
HUIZHOU_BBOX = (113.8, 22.5, 115.5, 23.9)
MAX_ZOOM = 18
# The image formats of MBTiles packages, by their first bytes, and the type they are served as.
FORMATS = {"image/png": b"\x89PNG", "image/jpeg": b"\xff\xd8", "image/webp": b"RIFF"}


def tile_path(root: Path, z: int, x: int, y: int) -> Path | None:
    """The file of tile z/x/y under `root`, or None when z/x/y is no tile (out of range): never outside `root`."""
    if not (0 <= z <= MAX_ZOOM and 0 <= x < 2**z and 0 <= y < 2**z):
        return None
    return Path(root) / str(z) / str(x) / f"{y}.png"


def tile_range(bbox, zoom: int) -> tuple[int, int, int, int]:
    """(min x, min y, max x, max y) of the XYZ tiles covering the lon/lat box at `zoom` (Web Mercator)."""
    west, south, east, north = bbox

    def to_tile(lon, lat):
        n = 2**zoom
        lat = max(min(lat, 85.0511), -85.0511)
        x = int((lon + 180.0) / 360.0 * n)
        y = int((1.0 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2.0 * n)
        return min(max(x, 0), n - 1), min(max(y, 0), n - 1)

    x0, y0 = to_tile(west, north)
    x1, y1 = to_tile(east, south)
    return x0, y0, x1, y1


@dataclass
class ImportResult:
    written: int = 0
    skipped: int = 0  # outside the box or the zoom range, or not an image


def import_mbtiles(*, source: Path, target: Path, bbox=HUIZHOU_BBOX, min_zoom=0, max_zoom=MAX_ZOOM) -> ImportResult:
    """Write the tiles of an MBTiles file inside `bbox` and the zoom range as target/z/x/y.png; returns the counts.

    MBTiles rows count y from the south (TMS); the files are named by XYZ (from the north), as Leaflet asks.
    """
    result = ImportResult()
    uri = f"file:{Path(source).resolve()}?mode=ro"
    with sqlite3.connect(uri, uri=True) as db:
        rows = db.execute("SELECT zoom_level, tile_column, tile_row, tile_data FROM tiles ORDER BY zoom_level")
        for z, x, tms_y, data in rows:
            y = (2**z - 1) - tms_y
            path = tile_path(target, z, x, y)
            if path is None or not (min_zoom <= z <= max_zoom) or not _inside(bbox, z, x, y) or not _is_image(data):
                result.skipped += 1
                continue
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(bytes(data))
            result.written += 1
    return result


def _inside(bbox, z, x, y) -> bool:
    x0, y0, x1, y1 = tile_range(bbox, z)
    return x0 <= x <= x1 and y0 <= y <= y1


def image_type(head: bytes) -> str | None:
    """The content type of a tile from its first bytes (a package may hold PNG, JPEG or WebP under .png names)."""
    return next((kind for kind, magic in FORMATS.items() if head.startswith(magic)), None)


def _is_image(data) -> bool:
    return image_type(bytes(data[:4]) if data else b"") is not None
