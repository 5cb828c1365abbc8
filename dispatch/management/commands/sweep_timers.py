"""`manage.py sweep_timers [--now ISO] [--batch N]`: one timer sweep now, and what it did."""

from datetime import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.translation import gettext as _


def _instant(value):
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(_("--now must be an ISO 8601 instant, e.g. 2026-11-25T09:30+08:00.")) from exc
    return moment if timezone.is_aware(moment) else timezone.make_aware(moment)


class Command(BaseCommand):
    help = "Run one timer sweep now: warnings, overdue and escalation steps that are due fire once."

    def add_arguments(self, parser):
        parser.add_argument("--now", type=_instant, help="Sweep as of this instant, ISO 8601 (default: now).")
        parser.add_argument("--batch", type=int, help="Cases per transaction (default: TIMER_SWEEP_BATCH).")

    def handle(self, *args, now=None, batch=None, **options):
        from dispatch.services.timers import timers_sweep

        if batch is not None and batch < 1:
            raise CommandError(_("--batch must be at least 1."))
        result = timers_sweep(now=now, batch=batch)
        self.stdout.write(
            _("Swept as of %(now)s: %(cases)d cases in %(batches)d batches, %(ms).1f ms.")
            % {
                "now": timezone.localtime(result.now).isoformat(),
                "cases": result.cases,
                "batches": result.batches,
                "ms": result.ms,
            }
        )
        for level, count in sorted(result.fired.items(), key=lambda item: _order(item[0])):
            self.stdout.write(f"  {level}: {count}")
        if not result.fired:
            self.stdout.write(_("  nothing fired"))
        if result.followups:
            self.stdout.write(
                _("  announced by %(n)d follow-ups (lifts to the city level, notifications) after the commit")
                % {"n": len(result.followups)}
            )


def _order(level):
    """warning, overdue, then the escalation steps by percent."""
    if level in ("warning", "overdue"):
        return (0 if level == "warning" else 1, 0)
    return (2, int(level.rsplit("-", 1)[-1]))
