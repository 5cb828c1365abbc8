"""Cut communities into numbered square unit grids (单元网格)."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from grids.services import GridImportError
from grids.services.unit_grids import unit_grids_generate


class Command(BaseCommand):
    help = (
        "Cut a community (or every community of a street or district) into square unit grids that tile it exactly, "
        "numbered north to south, west to east; a new layer version retires cells it no longer has."
    )

    def add_arguments(self, parser):
        where = parser.add_mutually_exclusive_group(required=True)
        where.add_argument("--community", help="A 12-digit community code.")
        where.add_argument("--street", help="A 9-digit street code: every community of the street.")
        where.add_argument("--district", help="A 6-digit district code: every community of the district.")
        parser.add_argument(
            "--size",
            type=int,
            default=None,
            help=f"Cell edge in metres (default UNIT_GRID_SIZE_M, now {settings.UNIT_GRID_SIZE_M}).",
        )

    def handle(self, *args, community=None, street=None, district=None, size=None, **options):
        try:
            results = unit_grids_generate(
                community_code=community, street_code=street, district_code=district, size_m=size, stdout=self.stdout
            )
        except GridImportError as exc:
            raise CommandError(str(exc)) from exc
        cells = sum(r.layer.cells for r in results)
        self.stdout.write(self.style.SUCCESS(f"{len(results)} communities, {cells} unit grids."))
