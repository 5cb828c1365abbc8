"""`manage.py followups [--repair]`: the follow-up outbox's backlog (what to watch), and a repair sweep now."""

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _


class Command(BaseCommand):
    help = "Show the follow-up outbox's backlog: pending rows, the oldest one's age, failed rows; --repair runs one."

    def add_arguments(self, parser):
        parser.add_argument("--repair", action="store_true", help="Run the repair sweep now, in this process.")

    def handle(self, *args, repair=False, **options):
        from dispatch.services.followup import followup_backlog, followup_repair

        if repair:
            counts = followup_repair()
            self.stdout.write(
                _("Repair sweep: %(done)d done, %(retry)d to retry, %(failed)d failed for good.")
                % {"done": counts.get("done", 0), "retry": counts.get("retry", 0), "failed": counts.get("failed", 0)}
            )
        backlog = followup_backlog()
        self.stdout.write(
            _("Follow-ups pending: %(pending)d, the oldest for %(age).0f s; failed: %(failed)d.")
            % {"pending": backlog["pending"], "age": backlog["oldest_pending_seconds"], "failed": backlog["failed"]}
        )
        for kind, count in sorted(backlog["by_kind"].items()):
            self.stdout.write(f"  {kind}: {count}")
