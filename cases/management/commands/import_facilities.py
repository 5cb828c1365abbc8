"""Import the facility inventory (部件) from a CSV, GeoJSON or Shapefile; bad rows are named, good rows imported."""

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from cases.services.facilities import FacilityFileError, facilities_import


class Command(BaseCommand):
    help = (
        "Create or update facilities by code from a CSV (lon/lat columns), GeoJSON or Shapefile: class code, "
        "code, name, owner and maintainer department codes, state, address, photo, other columns as attributes."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="CSV with lon/lat columns, GeoJSON, or any point file GDAL reads.")
        parser.add_argument("--progress", type=int, default=100_000, help="Print progress every N rows.")
        parser.add_argument("--source", default=None, help="Where the data comes from (default: the file name).")

    def handle(self, *args, file, progress, source, **options):
        try:
            report = facilities_import(path=file, stdout=self.stdout, progress_every=progress, source=source)
        except FacilityFileError as exc:
            raise CommandError(str(exc)) from exc
        for line in report.lines():
            self.stdout.write(line)
        if report.read and not report.imported:
            raise CommandError(_("No row could be imported."))
