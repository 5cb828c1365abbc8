"""Freeze the periods that have ended (what the beat task does), or one named period."""

from django.core.management.base import BaseCommand, CommandError

from assessment.periods import span_parse
from assessment.services import (
    BACKFILL_KINDS,
    FROZEN_KINDS,
    assessment_freeze,
    assessment_freeze_backfill,
    assessment_freeze_due,
)
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
            "--kinds",
            help=f"With --backfill: the kinds, comma-separated (default {','.join(BACKFILL_KINDS)}; add day for days)",
        )

    def handle(self, *args, period=None, backfill=False, kinds=None, **options):
        if kinds is not None and not backfill:
            raise CommandError("--kinds goes with --backfill.")
        if period and backfill:
            raise CommandError("Give --period or --backfill, not both.")
        chosen = BACKFILL_KINDS if kinds is None else tuple(k.strip() for k in kinds.split(",") if k.strip())
        unknown = [k for k in chosen if k not in FROZEN_KINDS]
        if unknown or not chosen:
            named = ", ".join(unknown) or "none"
            raise CommandError(f"Unknown period kind(s): {named}; choose from {', '.join(FROZEN_KINDS)}.")
        try:
            if period:
                runs = [assessment_freeze(span=span_parse(period))]
            elif backfill:
                runs = assessment_freeze_backfill(kinds=chosen, frozen_each=self._show)
            else:
                runs = assessment_freeze_due()
        except ConflictError as exc:
            raise CommandError(exc.message) from exc
        if not backfill:
            for run in runs:
                self._show(run)
        self.stdout.write(self.style.SUCCESS(f"{len(runs)} period(s) frozen."))

    def _show(self, run):
        self.stdout.write(f"{run} · run {run.pk} · last event {run.last_event_id}")
