"""Freeze the periods that have ended (what the beat task does), or one named period."""

from django.core.management.base import BaseCommand, CommandError

from assessment.periods import span_parse
from assessment.services import assessment_freeze, assessment_freeze_due
from huizhou_cityops.errors import ConflictError


class Command(BaseCommand):
    help = "Freeze every ended day/week/month/quarter/year without a freeze, or --period KEY (e.g. month:2026-10-01)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--period", help="A period key: day:2026-10-01, month:2026-10-01, custom:2026-10-01:2026-10-15"
        )

    def handle(self, *args, period=None, **options):
        try:
            runs = [assessment_freeze(span=span_parse(period))] if period else assessment_freeze_due()
        except ConflictError as exc:
            raise CommandError(exc.message) from exc
        for run in runs:
            self.stdout.write(f"{run} · run {run.pk} · last event {run.last_event_id}")
        self.stdout.write(self.style.SUCCESS(f"{len(runs)} period(s) frozen."))
