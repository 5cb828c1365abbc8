"""Load real boundaries of one level from any file GDAL reads (GeoJSON, Shapefile, GeoPackage…)."""

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from grids.models import LEVEL_DEPTH, Level
from grids.services import GridImportError, boundaries_generate, boundaries_import
from grids.services.synthetic import GENERATED_LEVELS


class Command(BaseCommand):
    help = (
        "Import real boundaries for the regions of one level, matched by code; invalid polygons are repaired "
        "and every repair and unmatched feature is reported."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="GeoJSON, Shapefile or any other vector file GDAL reads.")
        parser.add_argument("--level", required=True, choices=[level.value for level in Level])
        parser.add_argument("--code-field", default="code", help="Attribute holding the division code (default: code).")
        parser.add_argument(
            "--regenerate",
            action="store_true",
            help="Then redraw the synthetic boundaries of every level below, inside the new outlines.",
        )

    def handle(self, *args, file, level, code_field, regenerate, **options):
        try:
            report = boundaries_import(path=file, level=level, code_field=code_field, stdout=self.stdout)
            if regenerate:
                for lower in (value for value in GENERATED_LEVELS if LEVEL_DEPTH[value] > LEVEL_DEPTH[level]):
                    boundaries_generate(level=lower, stdout=self.stdout)
        except GridImportError as exc:
            raise CommandError(str(exc)) from exc
        if report.changed and not regenerate:
            self.stdout.write(
                _("Synthetic boundaries below the changed regions were kept: run generate_grid (or --regenerate).")
            )
