"""Import a city's own unit grids (单元网格) from any vector file GDAL reads, checked first."""

from django.core.management.base import BaseCommand, CommandError

from grids.services import GridImportError
from grids.services.unit_grid_import import unit_grids_import


class Command(BaseCommand):
    help = (
        "Import unit grids (15-digit codes: community code + 3 digits) from a GeoJSON or Shapefile. Codes, "
        "geometry, overlaps, gaps and cells outside their community are checked; one problem and nothing is written."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="GeoJSON, Shapefile or any other vector file GDAL reads.")
        parser.add_argument("--community", help="Only accept cells of this community (12-digit code).")
        parser.add_argument("--code-field", default="code", help="Attribute holding the 15-digit code (default: code).")
        parser.add_argument(
            "--allow-gaps",
            action="store_true",
            help="Import even where cells leave part of a community uncovered (reports there stay in the community).",
        )

    def handle(self, *args, file, community=None, code_field="code", allow_gaps=False, **options):
        try:
            results = unit_grids_import(
                path=file, community_code=community, code_field=code_field, allow_gaps=allow_gaps, stdout=self.stdout
            )
        except GridImportError as exc:
            raise CommandError(str(exc)) from exc
        cells = sum(r.layer.cells for r in results)
        self.stdout.write(self.style.SUCCESS(f"{len(results)} communities, {cells} unit grids imported."))
