"""Compute an ended period again, keeping its earlier results; records who asked and why."""

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from assessment.periods import span_parse
from assessment.selectors import run_latest
from assessment.services import assessment_recompute
from huizhou_cityops.errors import ConflictError


class Command(BaseCommand):
    help = "Recompute a period (--period month:2026-10-01) as --user with a --reason; the old runs stay."

    def add_arguments(self, parser):
        parser.add_argument("--period", required=True, help="A period key, e.g. month:2026-10-01")
        parser.add_argument("--user", required=True, help="Who asks (username)")
        parser.add_argument("--reason", required=True, help="Why the period is computed again")
        parser.add_argument(
            "--as-of-latest", action="store_true", help="Read only the events the latest run of the period read"
        )

    def handle(self, *args, period, user, reason, as_of_latest=False, **options):
        actor = get_user_model().objects.filter(username=user).first()
        if actor is None:
            raise CommandError(f"No user {user!r}.")
        span = span_parse(period)
        try:
            run = assessment_recompute(
                span=span, actor=actor, reason=reason, as_of_run=run_latest(span) if as_of_latest else None
            )
        except (ConflictError, ValidationError) as exc:
            raise CommandError(str(getattr(exc, "message", exc))) from exc
        self.stdout.write(self.style.SUCCESS(f"{run} · run {run.pk} (replaces {run.supersedes_id})"))
