"""Load a city's own category catalogue (format cityops-catalogue/1, see fixtures/huizhou/catalogue.json)."""

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from cases.catalogue import CatalogueImportError, catalogue_import


class Command(BaseCommand):
    help = (
        "Import a category catalogue JSON file: categories, filing conditions, time limits and step limits. "
        "All or nothing; running it again with the same file changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="Path of the catalogue JSON file.")

    def handle(self, *args, file, **options):
        try:
            summary = catalogue_import(path=file)
        except CatalogueImportError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(self.style.SUCCESS(_("Imported %(summary)s.") % {"summary": summary}))
