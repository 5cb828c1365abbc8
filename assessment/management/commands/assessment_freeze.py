"""Freeze the periods that have ended (what the beat task does), or one named period."""

from django.core.management.base import BaseCommand, CommandError

from assessment.periods import span_parse
from assessment.services import FROZEN_KINDS, assessment_freeze, assessment_freeze_backfill, assessment_freeze_due
from huizhou_cityops.errors import ConflictError


class Command(BaseCommand):
    help = (
        "Freeze the last ended day/week/month/quarter/year without a freeze (what the beat does), --period KEY "
        "(e.g. month:2026-10-01), or with --backfill every ended period since the first case (after loading history)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--period", help="A period key: day:2026-10-01, month:2026-10-01, custom:2026-10-01:2026-10-15"
        )
        parser.add_argument(
            "--backfill", action="store_true", help="Freeze every ended period since the first case that has none."
        )
        parser.add_argument(
            "--kinds", default=",".join(FROZEN_KINDS), help="With --backfill: the kinds, e.g. week,month,quarter,year"
        )

    def handle(self, *args, period=None, backfill=False, kinds="", **options):
        chosen = [k.strip() for k in kinds.split(",") if k.strip()]
        unknown = [k for k in chosen if k not in FROZEN_KINDS]
        if unknown:
            raise CommandError(f"Unknown period kind(s): {', '.join(unknown)}; choose from {', '.join(FROZEN_KINDS)}.")
        try:
            if period:
                runs = [assessment_freeze(span=span_parse(period))]
            elif backfill:
                runs = assessment_freeze_backfill(kinds=chosen)
            else:
                runs = assessment_freeze_due()
        except ConflictError as exc:
            raise CommandError(exc.message) from exc
        for run in runs:
            self.stdout.write(f"{run} · run {run.pk} · last event {run.last_event_id}")
        self.stdout.write(self.style.SUCCESS(f"{len(runs)} period(s) frozen."))
