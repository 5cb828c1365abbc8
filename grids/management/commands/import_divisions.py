"""Load a statistical division table into the region tree."""

from django.core.management.base import BaseCommand, CommandError

from grids.services import GridImportError, divisions_import


class Command(BaseCommand):
    help = "Load a division table (CSV with code,name,level,parent_code) into the region tree; re-running updates."

    def add_arguments(self, parser):
        parser.add_argument("file", help="CSV file, UTF-8, columns code,name,level,parent_code.")

    def handle(self, *args, file, **options):
        try:
            divisions_import(path=file, stdout=self.stdout)
        except GridImportError as exc:
            raise CommandError(str(exc)) from exc
