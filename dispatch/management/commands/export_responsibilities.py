"""Write the active responsibility rules as CSV, in the format `import_responsibilities` reads."""

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from dispatch.services.routing_csv import responsibilities_export


class Command(BaseCommand):
    help = "Export the active responsibility rules as CSV (to standard output, or to --output FILE)."

    def add_arguments(self, parser):
        parser.add_argument("--output", "-o", help="Write to this file instead of standard output.")

    def handle(self, *args, output=None, **options):
        if output:
            with open(output, "w", encoding="utf-8", newline="") as stream:
                count = responsibilities_export(stream=stream)
            self.stderr.write(_("%(count)s rules written to %(file)s.") % {"count": count, "file": output})
        else:
            responsibilities_export(stream=self.stdout)
