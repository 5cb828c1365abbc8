"""manage.py import_tiles FILE.mbtiles: unpack an MBTiles base map for Huizhou into TILES_DIR (offline tiles)."""

import sqlite3
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from grids.tiles import HUIZHOU_BBOX, MAX_ZOOM, import_mbtiles


def _bbox(text):
    try:
        values = tuple(float(v) for v in text.split(","))
    except ValueError:
        values = ()
    if len(values) != 4 or values[0] >= values[2] or values[1] >= values[3]:
        raise CommandError("--bbox takes minlon,minlat,maxlon,maxlat")
    return values


class Command(BaseCommand):
    help = "Unpack an MBTiles file's tiles inside Huizhou's extent into TILES_DIR as z/x/y.png (served at /tiles/)."

    def add_arguments(self, parser):
        parser.add_argument("mbtiles", help="the MBTiles file (e.g. exported by QGIS)")
        parser.add_argument("--target", help="where to write (default: the TILES_DIR setting)")
        default_box = ",".join(str(v) for v in HUIZHOU_BBOX)
        parser.add_argument("--bbox", default=default_box, help="minlon,minlat,maxlon,maxlat")
        parser.add_argument("--min-zoom", type=int, default=0)
        parser.add_argument("--max-zoom", type=int, default=MAX_ZOOM)

    def handle(self, *args, **options):
        source = Path(options["mbtiles"])
        target = options["target"] or settings.TILES_DIR
        if not target:
            raise CommandError("Set TILES_DIR (or give --target): the directory the tiles are served from.")
        if not source.is_file():
            raise CommandError(f"No such file: {source}")
        try:
            result = import_mbtiles(
                source=source,
                target=Path(target),
                bbox=_bbox(options["bbox"]),
                min_zoom=options["min_zoom"],
                max_zoom=options["max_zoom"],
            )
        except sqlite3.DatabaseError as exc:
            raise CommandError(f"{source} is not an MBTiles file: {exc}") from exc
        self.stdout.write(f"{result.written} tiles written to {target}, {result.skipped} skipped.")
