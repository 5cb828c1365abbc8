"""Load the responsibility list (权责清单) from CSV; see dispatch/services/routing_csv.py for the format."""

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from dispatch.services.routing_csv import RESPONSIBILITIES_CSV, ResponsibilityImportError, responsibilities_import


class Command(BaseCommand):
    help = (
        "Import responsibility rules from a CSV file (kind, category_code, region_code, lead_department_code, "
        "assisting_department_codes, dispatch_level, auto_dispatch, note). All or nothing; a row updates the rule "
        "with the same kind, category and region. Without a file: the Huizhou demo list."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", nargs="?", default=str(RESPONSIBILITIES_CSV), help="Path of the CSV file.")

    def handle(self, *args, file, **options):
        try:
            result = responsibilities_import(path=file)
        except ResponsibilityImportError as exc:
            raise CommandError(str(exc)) from exc
        except OSError as exc:
            raise CommandError(_("Cannot read %(file)s: %(error)s") % {"file": file, "error": exc}) from exc
        self.stdout.write(
            self.style.SUCCESS(_("Responsibility list: %(created)s rules created, %(updated)s updated.") % result)
        )
