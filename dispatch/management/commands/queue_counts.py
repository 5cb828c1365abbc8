"""`manage.py queue_counts [--check] [--compact]`: recount the command centre's tab counters from the cases."""

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _


class Command(BaseCommand):
    help = (
        "Recount the command centre's tab counts from the cases and compare them with the counters kept as cases "
        "change; where they differ, report the difference and correct the counters (unless --check)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--check", action="store_true", help="Report a difference, change nothing.")
        parser.add_argument("--compact", action="store_true", help="Fold the counters' changes first.")

    def handle(self, *args, **options):
        from dispatch.services.counts import queue_counts_compact, queue_counts_recount

        if options["compact"]:
            folded = queue_counts_compact()
            self.stdout.write(_("Folded %(n)d counter changes.") % {"n": folded})
        drift = queue_counts_recount(repair=not options["check"])
        if not drift.keys:
            self.stdout.write(_("The counters agree with the cases."))
            return
        city = ", ".join(f"{queue} {n:+d}" for queue, n in sorted(drift.city.items())) or "—"
        message = _("The counters differed from the cases on %(keys)d keys (city-wide: %(city)s).") % {
            "keys": drift.keys,
            "city": city,
        }
        self.stdout.write(message)
        if not options["check"]:
            self.stdout.write(_("Corrected them to the recount."))
