"""Write the daily roll-ups (what the beat task does), or rebuild them for a range of days."""

from datetime import date

from django.core.management.base import BaseCommand, CommandError

from assessment.rollups.services import rollups_rebuild, rollups_sweep


def _day(text):
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise CommandError(f"Not a day (YYYY-MM-DD): {text}") from exc


class Command(BaseCommand):
    help = (
        "Roll up every finished day without a roll-up and redo those with late events; with --rebuild, rewrite every "
        "finished day (or --first/--last)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--rebuild", action="store_true", help="Rewrite the roll-ups of every finished day.")
        parser.add_argument("--first", help="First day to rebuild (YYYY-MM-DD; default: the first event's day)")
        parser.add_argument("--last", help="Last day to rebuild (YYYY-MM-DD; default: yesterday)")

    def handle(self, *args, rebuild=False, first=None, last=None, **options):
        if rebuild or first or last:
            days = rollups_rebuild(first=_day(first) if first else None, last=_day(last) if last else None)
        else:
            days = rollups_sweep()
        if days:
            self.stdout.write(f"{days[0]} … {days[-1]}")
        self.stdout.write(self.style.SUCCESS(f"{len(days)} day(s) rolled up."))
